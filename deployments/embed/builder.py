"""Builds the embed deployment from :class:`EmbedSettings` (builder style, no decorators)."""

from __future__ import annotations

from typing import Any

from deployments.embed.config import EmbedSettings

EMBED_DEPLOYMENT_NAME = "embed"


def build_embed_deployment(settings: EmbedSettings) -> Any:
    """The bound embed deployment (an Application node others receive as a handle)."""
    from ray import serve

    from deployments.embed.deployment import EmbedDeployment

    return (
        serve.deployment(EmbedDeployment, name=EMBED_DEPLOYMENT_NAME)
        .options(**settings.serve_options())
        .bind(settings.model_dump(mode="json"))
    )
