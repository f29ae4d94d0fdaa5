"""Start the app in this process for a load run (loopback, free ports), and stop it after.

Ray and Serve are started by :func:`ops.cli.serve_cmd.run_app`; with the HAProxy ingress
its config, socket and state files go to a private temporary folder instead of the shared
``/tmp/haproxy-serve`` (two runs on one machine would otherwise fight over them).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from serve.config.schema import AppConfig

HAPROXY_PATH_ENV = {
    "RAY_SERVE_HAPROXY_CONFIG_FILE_LOC": "haproxy.cfg",
    "RAY_SERVE_HAPROXY_SOCKET_PATH": "admin.sock",
    "RAY_SERVE_HAPROXY_SERVER_STATE_BASE": "",
    "RAY_SERVE_HAPROXY_SERVER_STATE_FILE": "server-state",
}


@dataclass
class LocalApp:
    config: AppConfig
    base_url: str
    startup_s: float
    temp_dir: str


def app_config(
    profile: str | None,
    overrides: dict[str, Any] | None = None,
    *,
    ingress: str | None = None,
) -> AppConfig:
    """The profile with free loopback ports (and the ingress proxy, when given)."""
    from ops.cli.serve_cmd import free_port
    from serve.config.loader import deep_merge, load_config

    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": free_port(),
        "local_cluster": {"metrics_export_port": free_port()},
    }
    if ingress:
        base["local_cluster"]["ingress_proxy"] = ingress
    return load_config(profile, deep_merge(overrides or {}, base))


def stage_overrides(keep: set[str] = frozenset(), llm: bool = False) -> dict[str, Any]:
    """Overrides that disable every perception/action stage except ``keep`` (and the LLM).

    Read from the schema, so stages added later are switched off too.
    """
    from serve.config.schema import AppConfig

    overrides: dict[str, Any] = {"llm": {"enabled": llm}}
    for section in ("perception", "actions"):
        model = AppConfig.model_fields[section].annotation
        for name, info in model.model_fields.items():
            if "enabled" in info.annotation.model_fields and name not in keep:
                overrides.setdefault(section, {})[name] = {"enabled": False}
    return overrides


def app_overrides(pairs: list[str], only_stages: str | None = None) -> dict[str, Any]:
    """``--set K=V`` pairs, after switching off every stage not in ``only_stages`` (if given).

    ``only_stages`` is a comma list (``"asr"``; ``""`` keeps the router alone); the LLM stays
    as the profile says.
    """
    from serve.config.loader import deep_merge, parse_overrides

    overrides = parse_overrides(pairs)
    if only_stages is None:
        return overrides
    keep = {s.strip() for s in only_stages.split(",") if s.strip()}
    stages = stage_overrides(keep)
    stages.pop("llm")
    return deep_merge(stages, overrides)


def isolate_haproxy(temp_dir: str) -> None:
    """Point Ray's HAProxy files into ``temp_dir`` (read when Ray's processes start)."""
    folder = os.path.join(temp_dir, "haproxy")
    os.makedirs(folder, exist_ok=True)
    for name, leaf in HAPROXY_PATH_ENV.items():
        os.environ.setdefault(name, os.path.join(folder, leaf) if leaf else folder)


@contextmanager
def local_app(config: AppConfig, log: Any = print) -> Iterator[LocalApp]:
    """Ray + the app on loopback for the duration of the ``with`` block."""
    from ops.cli.serve_cmd import run_app, stop_app

    temp_dir = tempfile.mkdtemp(prefix="ifzlt-", dir="/tmp")
    if config.local_cluster.ingress_proxy == "haproxy":
        isolate_haproxy(temp_dir)
    started = time.monotonic()
    try:
        base_url = run_app(config, temp_dir=temp_dir, log=log)
        yield LocalApp(config, base_url, time.monotonic() - started, temp_dir)
    finally:
        stopping = time.monotonic()
        stop_app()
        log(f"app stopped in {time.monotonic() - stopping:.1f} s")
