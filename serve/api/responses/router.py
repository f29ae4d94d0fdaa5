"""Thin HTTP layer of /v1/responses: create, retrieve and delete responses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from serve.api.protocol import ERROR_RESPONSES
from serve.api.responses.protocol import DeletedResponse, ResponseObject, ResponsesRequest
from serve.gateway.integration import gateway_context

router = APIRouter()


@router.post("/v1/responses", response_model=ResponseObject, responses=ERROR_RESPONSES)
async def create_response(
    body: ResponsesRequest, request: Request, ctx=Depends(gateway_context)
) -> Any:
    return await request.app.state.responses.create(body, request, ctx)


@router.get("/v1/responses/{response_id}", response_model=ResponseObject, responses=ERROR_RESPONSES)
async def get_response(response_id: str, request: Request, ctx=Depends(gateway_context)) -> Any:
    """A stored response, if it belongs to the caller's key (404 otherwise)."""
    return await request.app.state.responses.retrieve(response_id, ctx)


@router.delete(
    "/v1/responses/{response_id}", response_model=DeletedResponse, responses=ERROR_RESPONSES
)
async def delete_response(response_id: str, request: Request, ctx=Depends(gateway_context)) -> Any:
    return await request.app.state.responses.delete(response_id, ctx)
