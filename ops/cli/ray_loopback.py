"""Keep the sockets Ray Serve opens inside workers on loopback (one-node local cluster).

With a loopback node address Ray's own servers (GCS, raylet, object manager, core workers,
agents) bind 127.0.0.1, but Ray Serve 2.60 opens three listeners with fixed all-interface
addresses: each replica's inter-deployment gRPC server on ``[::]:0``, and with the HAProxy
ingress its Prometheus exporter (``bind :PORT``) and stats page (``bind *:PORT``). This module
is the local cluster's ``worker_process_setup_hook``: in every worker of the app it rewrites
those addresses to 127.0.0.1 — only when ``ifz serve`` set :data:`LOOPBACK_ENV`, i.e. for a
cluster whose node address is loopback, where nothing off the machine may connect anyway.

The integration test ``test_runtime.py`` checks the outcome with ``ss``, so a Ray upgrade that
moves these internals fails there instead of silently exposing a port.
"""

from __future__ import annotations

import logging
import os

LOOPBACK_ENV = "IFZ_RAY_LOOPBACK"
HOOK = "ops.cli.ray_loopback.bind_serve_listeners_to_loopback"  # module.function (Ray)
LOOPBACK = "127.0.0.1"
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


def bind_serve_listeners_to_loopback() -> None:
    """The worker setup hook (a no-op unless ``ifz serve`` asked for loopback)."""
    if os.environ.get(LOOPBACK_ENV) != "1":
        return
    try:
        _patch_replica_grpc()
        if os.environ.get("RAY_SERVE_ENABLE_HA_PROXY") == "1":
            _patch_haproxy_template()
    except (ImportError, AttributeError) as exc:  # a Ray without these internals
        logger.warning("cannot keep Ray Serve's listeners on loopback: %s", exc)
