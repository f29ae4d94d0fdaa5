"""Builds the execute deployment from :class:`ExecuteSettings` (builder, not decorator)."""

from __future__ import annotations

from typing import Any

from deployments.actions.execute.config import ExecuteSettings

EXECUTE_DEPLOYMENT_NAME = "execute"


def build_execute_deployment(settings: ExecuteSettings) -> Any:
    """The bound execute deployment (an Application the router receives as a handle)."""
    from ray import serve

    from deployments.actions.execute.deployment import ExecuteDeployment

    return (
        serve.deployment(ExecuteDeployment, name=EXECUTE_DEPLOYMENT_NAME)
        .options(**settings.serve_options())
        .bind(settings.model_dump(mode="json"))
    )
