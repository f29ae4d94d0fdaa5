"""Builds the retrieve deployment from :class:`RetrieveSettings` (builder style)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployments.actions.retrieve.config import RetrieveSettings

RETRIEVE_DEPLOYMENT_NAME = "retrieve"


def build_retrieve_deployment(
    settings: RetrieveSettings, data_dir: str | Path, embed_app: Any
) -> Any:
    """The bound retrieve deployment; a relative Lite ``uri`` is made absolute under data_dir.

    With a Milvus Lite file the settings validator has already pinned one replica (the file
    admits one process); with a server URI the deployment may autoscale.
    """
    from ray import serve

    from deployments.actions.retrieve.deployment import RetrieveDeployment

    resolved = settings.model_copy(update={"uri": settings.resolved_uri(data_dir)})
    return (
        serve.deployment(RetrieveDeployment, name=RETRIEVE_DEPLOYMENT_NAME)
        .options(**resolved.serve_options())
        .bind(resolved.model_dump(mode="json"), embed_app)
    )
