"""`ifz serve`: start Ray and the application, serve until Ctrl-C, stop cleanly."""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from typing import Any

import httpx

from ops.cli.ray_worker_hook import HAPROXY_ERRORS_ENV, LOOPBACK_ENV
from ops.cli.ray_worker_hook import HOOK as WORKER_HOOK
from ops.cli.startup import StartupTimeline
from serve.config.schema import AppConfig, LocalClusterSettings

# Ray Serve's HAProxy ingress keeps its config, admin socket and state under /tmp/haproxy-serve
# by default: two apps on one machine would fight over them, so each gets a private folder.
HAPROXY_PATH_ENV = {
    "RAY_SERVE_HAPROXY_CONFIG_FILE_LOC": "haproxy.cfg",
    "RAY_SERVE_HAPROXY_SOCKET_PATH": "admin.sock",
    "RAY_SERVE_HAPROXY_SERVER_STATE_BASE": "",
    "RAY_SERVE_HAPROXY_SERVER_STATE_FILE": "server-state",
}
# Ray puts each node's files one folder deeper (the 56-character node id), and HAProxy refuses
# an admin socket path over 97 characters: the folder itself may be at most this long.
HAPROXY_SOCKET_MAX = 97
HAPROXY_FOLDER_MAX = HAPROXY_SOCKET_MAX - len("/" + "0" * 56 + "/admin.sock")
# ... and its stats page and Prometheus exporter on fixed ports (8404, 9101): free ones instead.
HAPROXY_PORT_ENV = ("RAY_SERVE_HAPROXY_STATS_PORT", "RAY_SERVE_HAPROXY_METRICS_PORT")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(
    base_url: str,
    timeout_s: float,
    log=print,
    *,
    timeline: StartupTimeline | None = None,
    app_name: str | None = None,
    interval_s: float = 0.5,
) -> dict[str, Any]:
    """Poll ``/healthz`` until it reports ok: every deployment healthy and every warm-up of the
    router done (vLLM start-up takes about a minute on CPU). With ``timeline``, also record
    when Serve reports each deployment of ``app_name`` healthy."""
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        if timeline is not None and app_name:
            status, message = "", ""
            with contextlib.suppress(Exception):  # the controller is busy: next round
                status, message = timeline.observe_serve_status(app_name)
            if status == "DEPLOY_FAILED":
                raise RuntimeError(f"application {app_name!r} failed to deploy: {message}")
        try:
            response = httpx.get(f"{base_url}/healthz", timeout=10)
            report = response.json() if "json" in response.headers.get("content-type", "") else {}
            if timeline is not None:
                timeline.observe_health(report)
            if response.status_code == 200:
                return report
            last = response.text[:300]
        except (httpx.HTTPError, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(interval_s)
    raise TimeoutError(f"{base_url}/healthz not ok after {timeout_s:.0f} s: {last}")


THROUGHPUT_ENV = "RAY_SERVE_THROUGHPUT_OPTIMIZED"
METRICS_INTERVAL_ENV = "RAY_SERVE_METRICS_EXPORT_INTERVAL_MS"
GRPC_MESSAGE_ENV = "RAY_SERVE_REPLICA_GRPC_MAX_MESSAGE_LENGTH"


def configure_serve_mode(cluster: LocalClusterSettings) -> None:
    """Ray Serve's throughput-optimised mode, handle message size and metrics export interval
    for the Ray about to start (read at import by the controller, proxies and replicas); the
    settings win over leftover variables."""
    os.environ[THROUGHPUT_ENV] = "1" if cluster.serve_throughput_optimized else "0"
    os.environ[METRICS_INTERVAL_ENV] = str(cluster.serve_metrics_export_interval_ms)
    os.environ[GRPC_MESSAGE_ENV] = str(cluster.serve_grpc_max_message_bytes)


def configure_ingress(cluster: LocalClusterSettings, state_dir: str) -> None:
    """Select Serve's ingress for the Ray about to start (read by its controller and proxies).

    HAProxy gets private files under ``state_dir`` and free stats/exporter ports, so several
    apps (tests, benchmarks) can run on one machine, and a short drain (``ingress_drain_s``).
    """
    if cluster.ingress_proxy != "haproxy":
        os.environ.pop("RAY_SERVE_ENABLE_HA_PROXY", None)
        return
    os.environ["RAY_SERVE_ENABLE_HA_PROXY"] = "1"
    os.environ[HAPROXY_ERRORS_ENV] = "1"  # its own errors: OpenAI-shaped 503 (worker hook)
    folder = haproxy_folder(state_dir)
    for name, leaf in HAPROXY_PATH_ENV.items():
        os.environ[name] = os.path.join(folder, leaf) if leaf else folder
    for name in HAPROXY_PORT_ENV:
        os.environ[name] = str(free_port())
    os.environ["RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"] = str(cluster.ingress_drain_s)


def haproxy_folder(state_dir: str) -> str:
    """A private (0700) folder for HAProxy's files, short enough for its admin socket.

    ``<state_dir>/haproxy`` when that fits; otherwise a short folder under /tmp, removed when
    this process exits.
    """
    folder = os.path.join(state_dir, "haproxy")
    if len(folder) > HAPROXY_FOLDER_MAX:
        folder = tempfile.mkdtemp(prefix="ifzh-", dir="/tmp")  # 0700 already
        atexit.register(shutil.rmtree, folder, True)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def ray_init_options(cluster: LocalClusterSettings) -> dict[str, Any]:
    """``ray.init`` keyword arguments of the one-node cluster ``ifz serve`` starts."""
    return {
        "num_cpus": cluster.num_cpus,
        "num_gpus": cluster.num_gpus,
        "include_dashboard": cluster.include_dashboard,
        "_metrics_export_port": cluster.metrics_export_port,
        # GCS, raylet, object manager, workers, the dashboard/metrics agents and the runtime
        # env agent bind to this address (all interfaces unless it is a loopback address)
        "_node_ip_address": cluster.node_ip_address,
    }


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def keep_node_address(address: str) -> None:
    """Make Ray use a loopback node address as given, and keep Serve's sockets on it.

    Ray 2.60 replaces 127.0.0.1 / localhost with the machine's network address
    (``resolve_ip_for_localhost``) unless "cluster mode" is off, which is what
    ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` selects (the default on macOS and Windows). Its only
    effects are that address choice and refusing ``ray start`` — a one-node cluster needs
    neither. The variable reaches every Ray process started from here; this process read it
    when ``ray`` was imported, so its constant is set too. Ray Serve's own all-interface
    listeners are moved by the workers' setup hook (:mod:`ops.cli.ray_worker_hook`).
    """
    if not is_loopback(address):
        os.environ.pop(LOOPBACK_ENV, None)
        return
    from ray._private import ray_constants

    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False
    os.environ[LOOPBACK_ENV] = "1"


def cluster_runtime_env(
    config: AppConfig, address: str | None, temp_dir: str | None = None
) -> dict[str, Any]:
    """Prepare this process's environment for the Ray about to start (ingress, node address)
    and return the job's runtime_env. Runs before anything imports Ray Serve LLM, whose
    constants read that environment."""
    runtime_env: dict[str, Any] = {
        "env_vars": {"HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    }
    if address:
        return runtime_env
    cluster = config.local_cluster
    configure_ingress(cluster, temp_dir or tempfile.mkdtemp(prefix="ifz-serve-"))
    configure_serve_mode(cluster)
    keep_node_address(cluster.node_ip_address)
    runtime_env["worker_process_setup_hook"] = WORKER_HOOK  # the fixes above, in every worker
    # Ray Serve LLM replaces the job's setup hook with a no-op of its own unless told not to
    # (read when ray.serve.llm is imported): the LLM replica keeps ours
    os.environ["RAYLLM_ENABLE_WORKER_PROCESS_SETUP_HOOK"] = "0"
    return runtime_env


def start_local_cluster(
    config: AppConfig,
    address: str | None,
    temp_dir: str | None = None,
    runtime_env: dict[str, Any] | None = None,
) -> None:
    """Join ``address``, or start a one-node Ray from ``config.local_cluster``."""
    import ray

    if runtime_env is None:
        runtime_env = cluster_runtime_env(config, address, temp_dir)
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        return
    ray.init(
        **ray_init_options(config.local_cluster),
        runtime_env=runtime_env,
        log_to_driver=False,
        _temp_dir=temp_dir,
    )


def import_builders(config: AppConfig) -> None:
    """Import what :func:`build_deployments` needs (no Ray call: Ray Serve LLM's builder
    would start a Ray of its own if called before ``ray.init``)."""
    try:
        import serve.app_builder  # noqa: F401

        if config.llm.enabled:
            import ray.serve.llm  # noqa: F401

            import deployments.llm.server  # noqa: F401
    except Exception:  # the real import, after ray.init, reports it
        pass


def run_app(
    config: AppConfig,
    *,
    address: str | None = None,
    temp_dir: str | None = None,
    log=print,
    timeline: StartupTimeline | None = None,
) -> str:
    """Start Ray (or join ``address``) and deploy; returns the base URL once ready (every
    deployment healthy, the router's warm-ups done). ``timeline`` records where the time went.
    """
    timeline = timeline if timeline is not None else StartupTimeline()
    # first, before this process imports Ray Serve: its constants (throughput mode, gRPC
    # handles) are read at import, and the handles built here carry them to the router
    runtime_env = cluster_runtime_env(config, address, temp_dir)
    from ray import serve

    from serve.app_builder import build_deployments

    # the builders import ray.serve.llm (and so vLLM and torch: ~10 s on 2 cores): do it
    # while Ray starts, not after
    prefetch = threading.Thread(target=import_builders, args=(config,), daemon=True)
    prefetch.start()
    start_local_cluster(config, address, temp_dir, runtime_env)
    timeline.mark("ray")
    serve.start(http_options={"host": config.host, "port": config.port})
    timeline.mark("serve")
    prefetch.join()
    timeline.mark("builders_imported")
    app = serve.RunTarget(
        build_deployments(config), name=config.app_name, route_prefix=config.route_prefix
    )
    # submit without waiting: the wait below records when each deployment became healthy
    serve.run_many(
        [app], wait_for_ingress_deployment_creation=False, wait_for_applications_running=False
    )
    timeline.mark("deploy_submitted")
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    base_url = f"http://{host}:{config.port}"
    log("deploying (the LLM engine takes about a minute on CPU) ...")
    wait_until_healthy(
        base_url, timeout_s=900, log=log, timeline=timeline, app_name=config.app_name
    )
    timeline.observe_serve_status(config.app_name)
    timeline.mark("ready")
    log(f"ready in {timeline.marks['ready']:.1f} s: {base_url}/v1 (model {config.model_name!r})")
    log(f"start-up: {timeline.summary()}")
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
        stopping = time.monotonic()
        stop_app()
        print(f"stopped in {time.monotonic() - stopping:.1f} s", flush=True)
    return 0
