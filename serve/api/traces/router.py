"""Thin HTTP layer of /v1/traces/{trace_id}: the stored decision trace of a request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/v1/traces/{trace_id}")
async def get_trace(trace_id: str, request: Request) -> dict[str, Any]:
    return await request.app.state.chat_service.get_trace(trace_id)
