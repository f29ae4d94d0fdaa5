"""Builds the chart deployment from :class:`ChartSettings` (builder style, no decorators)."""

from __future__ import annotations

from typing import Any

from deployments.perception.chart.config import ChartSettings

CHART_DEPLOYMENT_NAME = "chart"


def build_chart_deployment(settings: ChartSettings) -> Any:
    """The bound chart deployment (an Application the router receives as a handle)."""
    from ray import serve

    from deployments.perception.chart.deployment import ChartDeployment

    return (
        serve.deployment(ChartDeployment, name=CHART_DEPLOYMENT_NAME)
        .options(**settings.serve_options())
        .bind(settings.model_dump(mode="json"))
    )
