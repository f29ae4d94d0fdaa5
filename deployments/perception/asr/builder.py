"""Builds the ASR deployment from :class:`AsrSettings` (builder style, no decorators)."""

from __future__ import annotations

from typing import Any

from deployments.perception.asr.config import AsrSettings

ASR_DEPLOYMENT_NAME = "asr"


def build_asr_deployment(settings: AsrSettings) -> Any:
    """The bound ASR deployment (an Application node the router receives as a handle)."""
    from ray import serve

    from deployments.perception.asr.deployment import AsrDeployment

    return (
        serve.deployment(AsrDeployment, name=ASR_DEPLOYMENT_NAME)
        .options(**settings.serve_options())
        .bind(settings.model_dump(mode="json"))
    )
