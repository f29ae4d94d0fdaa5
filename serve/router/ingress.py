"""The router/ingress deployment class (made a deployment by the app builder)."""

from __future__ import annotations

import logging
import os
from typing import Any

from serve.api.app import create_app
from serve.config.schema import AppConfig
from serve.gateway.config import startup_warnings
from serve.gateway.gateway import Gateway
from serve.llm.client import LLMClient
from serve.observability.trace import SharedTraceStore, TraceStore
from serve.router.audio import AudioService
from serve.router.documents import DocumentsService
from serve.router.health import HealthReporter, MetricsRelay
from serve.router.service import ChatService
from serve.stages.client import StageClient

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


# The method each stage's deployment serves the router with.
STAGE_METHODS = {
    "ocr": "process",
    "chart": "process",
    "asr": "transcribe",
    "browse": "browse",
    "execute": "run",
    "retrieve": "search",
}


def stage_clients(config: AppConfig, handles: dict[str, Any]) -> dict[str, StageClient]:
    """A deadline-bound client per stage handle the router was given."""
    timeouts = config.routing.timeouts
    return {
        name: StageClient(name, handle, STAGE_METHODS[name], timeout_s=timeouts.for_stage(name))
        for name, handle in handles.items()
        if handle is not None and name in STAGE_METHODS
    }


class RouterIngress:
    """Hosts the HTTP API; composes downstream deployments only through handles."""

    def __init__(
        self, config: dict[str, Any], llm_handle: Any | None = None, **stage_handles: Any
    ) -> None:
        self.config = AppConfig.model_validate(config)
        self.llm = LLMClient(llm_handle, self.config.llm.model_id) if llm_handle else None
        self.stages = stage_clients(self.config, stage_handles)
        traces = self._trace_store()
        self.gateway = Gateway.from_app_config(self.config, replica_id=_replica_id())
        for line in startup_warnings(self.config.gateway, self.config.profile):
            logger.warning(line)
            print(line, flush=True)
        import_env_keys(self.gateway)
        self.gateway.warm_up_in_background()
        self.chat_service = ChatService(
            self.config, self.llm, stages=self.stages, traces=traces, gateway=self.gateway
        )
        self.audio_service = AudioService(
            self.stages.get("asr"),
            model_names=[self.config.model_name, self.config.perception.asr.model],
            max_bytes=self.config.router.max_media_bytes,
            traces=traces,
        )
        self.documents_service = DocumentsService(
            stage_handles.get("index"),
            max_bytes=self.config.router.max_media_bytes,
            timeout_s=self.config.routing.timeouts.action_ms / 1000,
        )
        self.health = HealthReporter(self.llm, self.config.profile, stage_handles)
        self.metrics_relay = MetricsRelay()

    def _trace_store(self) -> TraceStore | SharedTraceStore:
        router = self.config.router
        if router.shared_traces and router.trace_retention > 0:
            try:
                return SharedTraceStore(
                    router.trace_retention, router.trace_ttl_s, namespace=self.config.app_name
                )
            except Exception:  # no Ray worker (e.g. local testing mode): keep them in-process
                pass
        return TraceStore(router.trace_retention, router.trace_ttl_s)

    async def __serve_build_asgi_app__(self):
        """Ray Serve calls this once per replica to get the ASGI app."""
        return create_app(
            chat_service=self.chat_service,
            gateway=self.gateway,
            audio_service=self.audio_service,
            documents_service=self.documents_service,
            health=self.health,
            metrics_relay=self.metrics_relay,
            max_request_bytes=self.config.router.max_request_bytes,
            echo_request_id=False,  # the Serve proxy echoes x-request-id itself
        )

    async def check_health(self) -> None:
        """Ray Serve's replica health check: the router itself has no external state."""
        return None

    def __del__(self) -> None:
        """Ray Serve calls this on graceful shutdown: audit lines still queued go to disk."""
        gateway = getattr(self, "gateway", None)
        if gateway is not None:
            gateway.flush_audit(timeout_s=5.0)
