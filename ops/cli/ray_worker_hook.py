"""The local cluster's ``worker_process_setup_hook``: fixes to Ray Serve inside its workers.

`ifz serve` sets this hook in the job's runtime_env; Ray runs it in every worker of the app
(replicas, the Serve controller's proxy/HAProxy manager) before any task. Each fix is
switched on by an environment variable `ifz serve` sets, so the hook is inert elsewhere:

- :data:`LOOPBACK_ENV` (node address is loopback): Ray's own servers then bind 127.0.0.1, but
  Ray Serve 2.60 opens three listeners with fixed all-interface addresses: each replica's
  inter-deployment gRPC server on ``[::]:0``, and with the HAProxy ingress its Prometheus
  exporter (``bind :PORT``) and stats page (``bind *:PORT``). They are moved to 127.0.0.1.
- :data:`HAPROXY_ERRORS_ENV` (HAProxy ingress): HAProxy's own errors (no router replica up,
  all retries failed, timeouts) are a bare ``500 Internal Server Error`` in Ray's error file;
  they become an OpenAI-shaped, retryable ``503`` with ``Retry-After``.
- :data:`STARTUP_NICE_ENV` (set in the LLM replica's runtime env on CPU): the replica starts
  at a raised priority, before it imports torch and vLLM, so the router's start and
  warm-ups do not slow the last deployment to be ready (:mod:`deployments.llm.priority`).
- :data:`COUNT_CALLS_ENV` (a folder; measurement only, ``loadtest.ray_calls``): every worker
  counts the deployment-handle and actor calls it makes and writes the counts to
  ``<folder>/<pid>.json`` twice a second.

The integration tests (``test_runtime.py``, ``test_faults.py``) check the outcomes, so a Ray
upgrade that moves these internals fails there instead of silently regressing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter

LOOPBACK_ENV = "IFZ_RAY_LOOPBACK"
HAPROXY_ERRORS_ENV = "IFZ_HAPROXY_OPENAI_ERRORS"
COUNT_CALLS_ENV = "IFZ_COUNT_RAY_CALLS"
STARTUP_NICE_ENV = "IFZ_LLM_STARTUP_NICE"  # deployments.llm.priority (imported only if set)
COUNT_WRITE_S = 0.5
HOOK = "ops.cli.ray_worker_hook.setup_worker"  # module.function, as Ray loads it
LOOPBACK = "127.0.0.1"
RETRY_AFTER_S = 2
_HAPROXY_BINDS = (
    ("bind :{{ config.metrics_port }}", f"bind {LOOPBACK}:{{{{ config.metrics_port }}}}"),
    ("bind *:{{ config.stats_port }}", f"bind {LOOPBACK}:{{{{ config.stats_port }}}}"),
)

logger = logging.getLogger(__name__)


def loopback_address(address: str) -> str:
    """``[::]:0`` / ``0.0.0.0:0`` → ``127.0.0.1:0``; anything else unchanged."""
    host, _, port = address.rpartition(":")
    return f"{LOOPBACK}:{port}" if host in ("[::]", "0.0.0.0", "") else address


def loopback_haproxy_template(template: str) -> str:
    for old, new in _HAPROXY_BINDS:
        template = template.replace(old, new)
    return template


def haproxy_error_response(retry_after_s: int = RETRY_AFTER_S) -> str:
    """The raw HTTP response HAProxy sends for its own 502/503/504."""
    body = json.dumps(
        {
            "error": {
                "message": "no router replica could take the request (starting, restarting "
                "or overloaded); retry after a short wait",
                "type": "service_unavailable",
                "code": "ingress_unavailable",
                "param": None,
            }
        },
        separators=(",", ":"),
    )
    return (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\n"
        f"Retry-After: {retry_after_s}\r\n"
        "Cache-Control: no-cache\r\n"
        "Connection: close\r\n"
        f"Content-Length: {len(body.encode())}\r\n"
        "\r\n"
        f"{body}"
    )


def _patch_replica_grpc() -> None:
    from ray.serve._private import replica

    original = replica.add_port_to_grpc_server
    if getattr(original, "_ifz_loopback", False):
        return

    def add_port_to_grpc_server(server, address):
        return original(server, loopback_address(address))

    add_port_to_grpc_server._ifz_loopback = True  # type: ignore[attr-defined]
    replica.add_port_to_grpc_server = add_port_to_grpc_server


def _patch_haproxy_template() -> None:
    from ray.serve._private import haproxy, haproxy_templates

    template = loopback_haproxy_template(haproxy.HAPROXY_CONFIG_TEMPLATE)
    haproxy.HAPROXY_CONFIG_TEMPLATE = template
    haproxy_templates.HAPROXY_CONFIG_TEMPLATE = template


def _patch_haproxy_error_file() -> None:
    from ray.serve._private.haproxy import HAProxyApi

    original = HAProxyApi._initialize_directories_and_error_files
    if getattr(original, "_ifz_openai", False):
        return

    def initialize(self) -> None:
        original(self)
        with open(self.cfg.error_file_path, "w", newline="") as handle:
            handle.write(haproxy_error_response())

    initialize._ifz_openai = True  # type: ignore[attr-defined]
    HAProxyApi._initialize_directories_and_error_files = initialize


def _patch_call_counter(folder: str) -> None:
    """Count this worker's Ray calls: ``handle <deployment>.<method>`` and ``actor <method>``."""
    from ray import actor
    from ray.serve import handle

    base = handle._DeploymentHandleBase
    if getattr(base._remote, "_ifz_counted", False):
        return
    counts: Counter[str] = Counter()
    handle_remote, actor_remote = base._remote, actor.ActorMethod._remote

    def counted_handle(self, args, kwargs):
        method = self.handle_options.method_name
        counts[f"handle {self.deployment_name}.{method}"] += 1
        return handle_remote(self, args, kwargs)

    def counted_actor(self, *args, **kwargs):
        counts[f"actor {self._method_name}"] += 1
        return actor_remote(self, *args, **kwargs)

    counted_handle._ifz_counted = True  # type: ignore[attr-defined]
    base._remote = counted_handle
    actor.ActorMethod._remote = counted_actor
    path = os.path.join(folder, f"{os.getpid()}.json")

    def write() -> None:
        written: dict[str, int] = {}
        while True:
            time.sleep(COUNT_WRITE_S)
            now = dict(counts)
            if now != written:
                with open(path + ".tmp", "w") as out:
                    json.dump(now, out)
                os.replace(path + ".tmp", path)
                written = now

    threading.Thread(target=write, name="ifz-call-counter", daemon=True).start()


def setup_worker() -> None:
    """The worker setup hook (each fix only when `ifz serve` asked for it)."""
    haproxy = os.environ.get("RAY_SERVE_ENABLE_HA_PROXY") == "1"
    if os.environ.get(STARTUP_NICE_ENV):  # the LLM replica, before it imports torch and vLLM
        from deployments.llm.priority import raise_startup_priority

        raise_startup_priority()
    try:
        if os.environ.get(LOOPBACK_ENV) == "1":
            _patch_replica_grpc()
            if haproxy:
                _patch_haproxy_template()
        if haproxy and os.environ.get(HAPROXY_ERRORS_ENV) == "1":
            _patch_haproxy_error_file()
        if os.environ.get(COUNT_CALLS_ENV):
            _patch_call_counter(os.environ[COUNT_CALLS_ENV])
    except (ImportError, AttributeError) as exc:  # a Ray without these internals
        logger.warning("ifz worker hook: Ray Serve internals not found: %s", exc)
