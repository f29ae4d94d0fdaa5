"""Thin HTTP layer of /v1/chat/completions: parse, delegate to the serving class."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from serve.api.protocol import ERROR_RESPONSES, ChatCompletionRequest, ChatCompletionResponse
from serve.gateway.integration import gateway_context

router = APIRouter()


@router.post(
    "/v1/chat/completions", response_model=ChatCompletionResponse, responses=ERROR_RESPONSES
)
async def create_chat_completion(
    body: ChatCompletionRequest, request: Request, ctx=Depends(gateway_context)
) -> Any:
    return await request.app.state.chat.create(body, request, ctx)
