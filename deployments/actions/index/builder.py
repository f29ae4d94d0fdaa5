"""Builds the index deployment from :class:`IndexSettings` (builder style, no decorators)."""

from __future__ import annotations

from typing import Any

from deployments.actions.index.config import IndexSettings

INDEX_DEPLOYMENT_NAME = "index"


def build_index_deployment(
    settings: IndexSettings, embed_app: Any, retrieve_app: Any, ocr_app: Any = None
) -> Any:
    """The bound index deployment; PDFs go through ``ocr_app``'s text-layer path when given."""
    from ray import serve

    from deployments.actions.index.deployment import IndexDeployment

    return (
        serve.deployment(IndexDeployment, name=INDEX_DEPLOYMENT_NAME)
        .options(**settings.serve_options())
        .bind(settings.model_dump(mode="json"), embed_app, retrieve_app, ocr_app)
    )
