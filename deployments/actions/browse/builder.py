"""Builds the browse deployment from :class:`BrowseSettings` (builders, not decorators)."""

from __future__ import annotations

from typing import Any

from deployments.actions.browse.config import BrowseSettings

BROWSE_DEPLOYMENT_NAME = "browse"


def build_browse_deployment(settings: BrowseSettings) -> Any:
    """The bound browse deployment (an Application the router receives as a handle)."""
    from ray import serve

    from deployments.actions.browse.deployment import BrowseDeployment

    return (
        serve.deployment(BrowseDeployment, name=BROWSE_DEPLOYMENT_NAME)
        .options(**settings.serve_options())
        .bind(settings.model_dump(mode="json"))
    )
