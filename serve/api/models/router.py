"""Thin HTTP layer of /v1/models."""

from __future__ import annotations

from fastapi import APIRouter, Request

from serve.api.errors import NotFound
from serve.api.protocol import ModelCard, ModelList

router = APIRouter()


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request) -> ModelList:
    return request.app.state.chat_service.list_models()


@router.get("/v1/models/{model_id:path}", response_model=ModelCard)
async def get_model(model_id: str, request: Request) -> ModelCard:
    for card in request.app.state.chat_service.list_models().data:
        if card.id == model_id:
            return card
    raise NotFound(f"model {model_id!r} does not exist", code="model_not_found")
