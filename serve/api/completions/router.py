"""Thin HTTP layer of /v1/completions: parse, delegate to the serving class."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from serve.api.completions.protocol import CompletionRequest, CompletionResponse
from serve.api.protocol import ERROR_RESPONSES
from serve.gateway.integration import gateway_context

router = APIRouter()


@router.post("/v1/completions", response_model=CompletionResponse, responses=ERROR_RESPONSES)
async def create_completion(
    body: CompletionRequest, request: Request, ctx=Depends(gateway_context)
) -> Any:
    return await request.app.state.completions.create(body, request, ctx)
