"""`ifz serve`: start Ray and the application, serve until Ctrl-C, stop cleanly."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from typing import Any

import httpx

from serve.config.schema import AppConfig


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base_url: str, timeout_s: float, log=print) -> dict[str, Any]:
    """Poll ``/healthz`` until it reports ok (vLLM start-up takes about a minute on CPU)."""
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/healthz", timeout=10)
            if response.status_code == 200:
                return response.json()
            last = response.text[:200]
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(2)
    raise TimeoutError(f"{base_url}/healthz not ok after {timeout_s:.0f} s: {last}")


def start_local_cluster(
    config: AppConfig, address: str | None, temp_dir: str | None = None
) -> None:
    """Join ``address``, or start a one-node Ray from ``config.local_cluster``."""
    import ray

    runtime_env = {"env_vars": {"HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}}
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        return
    cluster = config.local_cluster
    if cluster.ingress_proxy == "haproxy":  # read by the Serve controller and proxies
        os.environ["RAY_SERVE_ENABLE_HA_PROXY"] = "1"
    ray.init(
        num_cpus=cluster.num_cpus,
        num_gpus=cluster.num_gpus,
        include_dashboard=cluster.include_dashboard,
        _metrics_export_port=cluster.metrics_export_port,
        runtime_env=runtime_env,
        log_to_driver=False,
        _temp_dir=temp_dir,
    )


def run_app(
    config: AppConfig,
    *,
    address: str | None = None,
    temp_dir: str | None = None,
    log=print,
) -> str:
    """Start Ray (or join ``address``) and deploy; returns the base URL once healthy."""
    from ray import serve

    from serve.app_builder import build_deployments

    started = time.monotonic()
    start_local_cluster(config, address, temp_dir)
    serve.start(http_options={"host": config.host, "port": config.port})
    serve.run(
        build_deployments(config),
        name=config.app_name,
        route_prefix=config.route_prefix,
        blocking=False,
    )
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    base_url = f"http://{host}:{config.port}"
    log("deploying (the LLM engine takes about a minute on CPU) ...")
    wait_until_healthy(base_url, timeout_s=900, log=log)
    log(f"ready in {time.monotonic() - started:.1f} s: {base_url}/v1 (model {config.model_name!r})")
    return base_url


def stop_app() -> None:
    import ray
    from ray import serve

    try:
        serve.shutdown()
    finally:
        ray.shutdown()


def serve_forever(config: AppConfig, *, address: str | None = None) -> int:
    """Serve until SIGINT/SIGTERM, then shut Serve and Ray down."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        run_app(config, address=address)
        print("serving; Ctrl-C stops", flush=True)
        stop.wait()
    finally:
        print("stopping ...", flush=True)
        stop_app()
        print("stopped", flush=True)
    return 0
