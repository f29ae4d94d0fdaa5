"""``build_app(args)``: the config becomes a graph of Ray Serve deployments.

Usable as the ``import_path`` of a Serve config (``serve.app_builder:build_app``), so ``serve
build``, ``serve run`` and KubeRay's ``serveConfigV2`` all start the same application.
"""

from __future__ import annotations

from typing import Any

from ray import serve

from serve.config.loader import config_from_args
from serve.config.schema import AppConfig
from serve.router.ingress import RouterIngress

ROUTER_DEPLOYMENT_NAME = "router"


def build_stage_deployments(config: AppConfig) -> dict[str, Any]:
    """Bound perception/action deployments by stage name (only the enabled ones)."""
    stages: dict[str, Any] = {}
    perception = config.perception
    if perception.ocr.enabled:
        from deployments.perception.ocr.builder import build_ocr_deployment

        stages["ocr"] = build_ocr_deployment(perception.ocr)
    if perception.chart.enabled:
        from deployments.perception.chart.builder import build_chart_deployment

        stages["chart"] = build_chart_deployment(perception.chart)
    if perception.asr.enabled:
        from deployments.perception.asr.builder import build_asr_deployment

        stages["asr"] = build_asr_deployment(perception.asr)
    actions = config.actions
    if actions.execute.enabled:
        from deployments.actions.execute.builder import build_execute_deployment

        stages["execute"] = build_execute_deployment(actions.execute)
    if actions.browse.enabled:
        from deployments.actions.browse.builder import build_browse_deployment

        stages["browse"] = build_browse_deployment(actions.browse)
    if actions.retrieve.enabled or actions.index.enabled:
        from deployments.actions.index.builder import build_index_deployment
        from deployments.actions.retrieve.builder import build_retrieve_deployment
        from deployments.embed.builder import build_embed_deployment

        embed = build_embed_deployment(config.embed)
        retrieve = build_retrieve_deployment(actions.retrieve, config.data_path(), embed)
        if actions.retrieve.enabled:
            stages["retrieve"] = retrieve
        if actions.index.enabled:
            stages["index"] = build_index_deployment(
                actions.index, embed, retrieve, stages.get("ocr")
            )
    return stages


def build_deployments(config: AppConfig) -> Any:
    """Bind every enabled deployment; the router receives the others as handles."""
    llm_app = None
    if config.llm.enabled:
        from deployments.llm.builder import build_llm_deployment

        llm_app = build_llm_deployment(config.llm, config.data_path())
    router_cls = serve.ingress()(RouterIngress)
    router = serve.deployment(router_cls, name=ROUTER_DEPLOYMENT_NAME)
    return router.options(**config.router.serve_options()).bind(
        config.model_dump(mode="json"), llm_app, **build_stage_deployments(config)
    )


def build_app(args: dict[str, Any] | None = None) -> Any:
    """Application builder for Serve configs: ``args`` is a full config or a profile."""
    return build_deployments(config_from_args(args))


def __getattr__(name: str) -> Any:
    """``serve.app_builder:app`` — the Application for ``$IFZ_PROFILE`` (default local).

    ``serve build`` wants an Application object rather than a builder, so this attribute is
    built lazily on first access.
    """
    if name == "app":
        return build_app()
    raise AttributeError(name)
