"""The router/ingress deployment class (made a deployment by the app builder)."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from serve.api.app import create_app
from serve.api.health.rehearsal import rehearse, rehearse_pipeline
from serve.composition import compose, trace_store
from serve.config.schema import AppConfig
from serve.gateway.config import startup_warnings
from serve.gateway.gateway import Gateway
from serve.gateway.limiter import select_limit_backend
from serve.stages.embedder import DeploymentEmbedder
from serve.stages.transport import with_replica_transport

logger = logging.getLogger(__name__)


def _replica_id() -> str | None:
    try:
        from ray import serve

        return serve.get_replica_context().replica_tag
    except Exception:  # outside a Serve replica (tests)
        return None


API_KEYS_ENV = "IFZ_API_KEYS"


def import_env_keys(gateway: Gateway) -> int:
    """Keys given as ``IFZ_API_KEYS`` (comma-separated; the Helm chart mounts a Secret there)
    are added to the key store, hashed, once."""
    raw = os.environ.get(API_KEYS_ENV, "")
    auth = gateway.hook("auth")
    store = getattr(auth, "store", None)
    if not raw.strip() or store is None:
        return 0
    added = 0
    for key in (k.strip() for k in raw.split(",")):
        if not key:
            continue
        try:
            added += store.import_key(key, name="from-secret")
        except ValueError:
            logger.error("ignored a malformed key in %s", API_KEYS_ENV)
    return added


class RouterIngress:
    """Hosts the HTTP API; composes downstream deployments only through handles."""

    def __init__(
        self, config: dict[str, Any], llm_handle: Any | None = None, **stage_handles: Any
    ) -> None:
        self.config = AppConfig.model_validate(config)
        llm_handle = with_replica_transport(llm_handle)
        stage_handles = {name: with_replica_transport(h) for name, h in stage_handles.items()}
        embedder = None  # the router's embeddings: its own MiniLM, or the embed deployment
        if self.config.router.embeddings == "embed_deployment" and stage_handles.get("embed"):
            embedder = DeploymentEmbedder(stage_handles["embed"])
        self.gateway = Gateway.from_app_config(
            self.config,
            replica_id=_replica_id(),
            embedder=embedder,
            limit_backend=select_limit_backend(  # shared once a second router replica can run
                self.config.gateway.limits,
                self.config.app_name,
                router_replicas=self.config.router.autoscaling_config.max_replicas,
            ),
        )
        for line in startup_warnings(self.config.gateway, self.config.profile):
            logger.warning(line)
            print(line, flush=True)
        import_env_keys(self.gateway)
        gateway_warm_up = self.gateway.warm_up_in_background()
        self.services = compose(
            self.config,
            llm_handle=llm_handle,
            handles=stage_handles,
            gateway=self.gateway,
            traces=trace_store(self.config),
        )
        # /healthz (and so `ifz serve`'s "ready") waits for every warm-up of this replica
        readiness = self.services.health.readiness
        readiness.track("gateway", gateway_warm_up)
        step = self.services.chat.pipeline.small_stack

        def rehearse_small_stack() -> None:
            readiness.join("intent_classifier")  # rehearse with the embedder in place
            rehearse(step.small_stack)

        readiness.run("small_stack", rehearse_small_stack)

    async def __serve_build_asgi_app__(self):
        """Ray Serve calls this once per replica (on the loop that serves requests) to get
        the ASGI app; the pipeline rehearsal starts here, after the small stack's."""
        readiness, chat = self.services.health.readiness, self.services.chat

        async def rehearse_after_small_stack() -> None:
            await asyncio.to_thread(readiness.join, "small_stack")
            outcome = await rehearse_pipeline(chat, self.config.model_name)
            logger.info("pipeline rehearsal: %s", outcome)

        readiness.run_async("pipeline", rehearse_after_small_stack())
        return create_app(self.services, echo_request_id=False)  # the proxy echoes the id

    async def check_health(self) -> None:
        """Ray Serve's replica health check: the router itself has no external state."""
        return None

    def __del__(self) -> None:
        """Ray Serve calls this on graceful shutdown: audit lines still queued go to disk."""
        gateway = getattr(self, "gateway", None)
        if gateway is not None:
            gateway.flush_audit(timeout_s=5.0)
