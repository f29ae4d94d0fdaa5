"""Glue between FastAPI and the gateway (FastAPI-aware, but no endpoint logic here).

ctx = Depends(gateway_context)   # endpoint argument: 401 before the body is validated
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from serve.gateway.context import RequestContext
from serve.gateway.errors import PolicyRefusal
from serve.gateway.gateway import Gateway


def context_from_request(gateway: Gateway, request: Request) -> RequestContext:
    """A :class:`RequestContext` from a Starlette request (headers, path, size, client)."""
    length = request.headers.get("content-length")
    return gateway.new_context(
        getattr(request.state, "request_id", None) or "unknown",
        request.headers,
        route=request.url.path,
        body_bytes=int(length) if length and length.isdigit() else None,
        client=request.client.host if request.client else None,
    )


async def gateway_context(request: Request) -> RequestContext | None:
    """FastAPI dependency: authenticates from the headers before the body is validated.

    Returns None when the app has no gateway (``app.state.gateway`` unset).
    """
    gateway: Gateway | None = getattr(request.app.state, "gateway", None)
    if gateway is None:
        return None
    ctx = context_from_request(gateway, request)
    await gateway.authenticate(ctx)
    return ctx


def refusal_response(exc: PolicyRefusal, model: str, request_id: str, *, stream: bool) -> Any:
    """HTTP 200 with the refusal (``refuse_with: message``), JSON or SSE."""
    from fastapi.responses import JSONResponse, StreamingResponse

    if stream:
        events = exc.sse_events(model, request_id)

        async def body():
            for event in events:
                yield event

        return StreamingResponse(body(), media_type="text/event-stream")
    return JSONResponse(exc.completion(model, request_id))
