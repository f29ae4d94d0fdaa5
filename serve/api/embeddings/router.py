"""Thin HTTP layer of /v1/embeddings: parse, delegate to the serving class."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from serve.api.embeddings.protocol import EmbeddingRequest, EmbeddingResponse
from serve.api.protocol import ERROR_RESPONSES
from serve.gateway.integration import gateway_context

router = APIRouter()


@router.post("/v1/embeddings", response_model=EmbeddingResponse, responses=ERROR_RESPONSES)
async def create_embeddings(
    body: EmbeddingRequest, request: Request, ctx=Depends(gateway_context)
) -> Any:
    return await request.app.state.embeddings.create(body, request, ctx)
