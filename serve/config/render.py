"""Render the serveConfigV2 YAML (the `serve build` format that KubeRay embeds)."""

from __future__ import annotations

from typing import Any

import yaml

from serve.config.schema import AppConfig

IMPORT_PATH = "serve.app_builder:build_app"


def application_schema(config: AppConfig, *, with_deployments: bool = True) -> dict[str, Any]:
    """One ``applications[]`` entry: the builder, the full config as args, deployment options."""
    app: dict[str, Any] = {
        "name": config.app_name,
        "route_prefix": config.route_prefix,
        "import_path": IMPORT_PATH,
        "args": config.model_dump(mode="json"),
        "runtime_env": {},
    }
    if with_deployments:
        from ray.serve._private.build_app import build_app
        from ray.serve.deployment import deployment_to_schema

        from serve.app_builder import build_deployments

        built = build_app(build_deployments(config), name=config.app_name)
        app["deployments"] = [
            deployment_to_schema(d).model_dump(exclude_unset=True, mode="json")
            for d in built.deployments
        ]
    return app


def serve_config(config: AppConfig, *, with_deployments: bool = True) -> dict[str, Any]:
    """The whole Serve deploy config, validated by Ray's own ``ServeDeploySchema``."""
    from ray.serve.schema import ServeDeploySchema

    document = {
        "proxy_location": "EveryNode",
        "http_options": {"host": config.host, "port": config.port},
        "applications": [application_schema(config, with_deployments=with_deployments)],
    }
    ServeDeploySchema.model_validate(document)
    return document


def render_yaml(config: AppConfig, *, with_deployments: bool = True) -> str:
    """serveConfigV2 as YAML text."""
    header = (
        f"# serveConfigV2 for interfaze-serve, profile {config.profile!r}.\n"
        "# Rendered by `ifz config render`; args carry the whole validated config.\n"
    )
    body = yaml.safe_dump(
        serve_config(config, with_deployments=with_deployments), sort_keys=False, width=100
    )
    return header + body
