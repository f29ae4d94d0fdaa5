"""Builders of the deployments that serve other deployments rather than the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serve.config.schema import AppConfig


def build_embed(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.embed.builder import build_embed_deployment

    return build_embed_deployment(config.embed)


def build_index(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.actions.index.builder import build_index_deployment

    return build_index_deployment(
        config.actions.index, bound["embed"], bound["retrieve"], bound.get("ocr")
    )
