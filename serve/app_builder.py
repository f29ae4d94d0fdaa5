"""``build_app(args)``: the config becomes a graph of Ray Serve deployments.

Usable as the ``import_path`` of a Serve config (``serve.app_builder:build_app``), so ``serve
build``, ``serve run`` and KubeRay's ``serveConfigV2`` all start the same application.
"""

from __future__ import annotations

from typing import Any

from ray import serve

from serve.config.loader import config_from_args
from serve.config.schema import AppConfig
from serve.ingress import RouterIngress
from serve.stages.registry import REGISTRY, SPECS

ROUTER_DEPLOYMENT_NAME = "router"


def required_deployments(config: AppConfig) -> list[str]:
    """Registry rows to deploy, each after the deployments it needs (registry order otherwise).

    That is the enabled rows and every deployment they need, transitively.
    """
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...] = ()) -> None:
        if name in ordered:
            return
        if name in path:
            raise ValueError(f"deployment dependency cycle: {' -> '.join((*path, name))}")
        for need in SPECS[name].needs:
            visit(need, (*path, name))
        ordered.append(name)

    for spec in REGISTRY:
        if spec.enabled(config):
            visit(spec.name)
    return ordered


def build_stage_deployments(config: AppConfig) -> dict[str, Any]:
    """Bound deployments the router gets as handles (only the enabled ones), in registry order.

    Deployments that are only needed by another one (the embedder, say) are bound into it and
    deployed with it, without a handle in the router.
    """
    bound: dict[str, Any] = {}
    for name in required_deployments(config):
        bound[name] = SPECS[name].build(config, bound)
    return {name: node for name, node in bound.items() if SPECS[name].enabled(config)}


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
