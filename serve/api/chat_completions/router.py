"""Thin HTTP layer of /v1/chat/completions: parse, delegate, render."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from serve.api.protocol import ChatCompletionRequest, ChatCompletionResponse, ErrorResponse
from serve.gateway.errors import PolicyRefusal
from serve.gateway.integration import gateway_context, refusal_response

router = APIRouter()

ERROR_RESPONSES = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 413, 422, 429, 503, 504)
}


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletionResponse,
    responses=ERROR_RESPONSES,
)
async def create_chat_completion(
    body: ChatCompletionRequest, request: Request, ctx=Depends(gateway_context)
):
    service = request.app.state.chat_service
    request_id = request.state.request_id
    headers: dict[str, str] = {}
    if ctx is not None:  # the gateway: limits, validation, input guard (auth already ran)
        ctx.body = body
        try:
            await request.app.state.gateway.on_request(ctx)
        except PolicyRefusal as exc:
            if exc.as_message:
                return refusal_response(exc, body.model, request_id, stream=body.stream)
            raise
        headers = dict(ctx.response_headers)
    if body.stream:
        events = await service.stream(body, request_id, ctx)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **headers},
        )
    response = await service.complete(body, request_id, ctx)
    return JSONResponse(response.model_dump(mode="json"), headers=headers)
