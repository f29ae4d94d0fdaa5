"""Thin HTTP layer of /v1/chat/completions: parse, delegate, render."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from serve.api.protocol import ChatCompletionRequest, ChatCompletionResponse, ErrorResponse

router = APIRouter()

ERROR_RESPONSES = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 413, 422, 429, 503, 504)
}


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletionResponse,
    responses=ERROR_RESPONSES,
)
async def create_chat_completion(body: ChatCompletionRequest, request: Request):
    service = request.app.state.chat_service
    request_id = request.state.request_id
    if body.stream:
        events = await service.stream(body, request_id)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await service.complete(body, request_id)
