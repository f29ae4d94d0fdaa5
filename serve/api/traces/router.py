"""Thin HTTP layer of /v1/traces: the caller's stored decision traces."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from deployments.common.errors import NotFound
from serve.api.protocol import ERROR_RESPONSES
from serve.gateway.integration import gateway_context

router = APIRouter()


@router.get("/v1/traces", responses=ERROR_RESPONSES)
async def list_traces(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    escalated: bool | None = None,
    route: str | None = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    ctx=Depends(gateway_context),
) -> dict[str, Any]:
    """The caller's traces, newest first (filters: escalated, route, status)."""
    lifecycle = request.app.state.lifecycle
    data = await lifecycle.traces.alist(
        lifecycle.owner(ctx), limit=limit, escalated=escalated, route=route, status=status
    )
    return {"object": "list", "data": data}


@router.get("/v1/traces/{trace_id}", responses=ERROR_RESPONSES)
async def get_trace(trace_id: str, request: Request, ctx=Depends(gateway_context)) -> Any:
    """One trace, if it belongs to the caller's key (404 otherwise, existence not revealed)."""
    lifecycle = request.app.state.lifecycle
    trace = await lifecycle.traces.aget(trace_id, lifecycle.owner(ctx))
    if trace is None:
        raise NotFound(
            f"trace {trace_id!r} not found (expired, evicted, never recorded, or another key's)",
            code="trace_not_found",
        )
    return trace
