"""Thin HTTP layer of /v1/models."""

from __future__ import annotations

from fastapi import APIRouter, Request

from serve.api.protocol import ModelCard, ModelList

router = APIRouter()


@router.get("/v1/models", response_model=ModelList)
async def list_models(request: Request) -> ModelList:
    return request.app.state.models.list()


@router.get("/v1/models/{model_id:path}", response_model=ModelCard)
async def get_model(model_id: str, request: Request) -> ModelCard:
    return request.app.state.models.card(model_id)
