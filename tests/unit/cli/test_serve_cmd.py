"""`ifz serve`'s cluster options, ingress set-up and start-up timeline (no Ray started)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ops.cli.serve_cmd import (
    GRPC_MESSAGE_ENV,
    HAPROXY_PATH_ENV,
    HAPROXY_PORT_ENV,
    HAPROXY_SOCKET_MAX,
    METRICS_INTERVAL_ENV,
    THROUGHPUT_ENV,
    configure_ingress,
    configure_serve_mode,
    ray_init_options,
)
from ops.cli.startup import StartupTimeline
from serve.config.loader import load_config
from serve.config.schema import LocalClusterSettings


@pytest.fixture
def clean_env(monkeypatch):
    drain = "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"
    names = ("RAY_SERVE_ENABLE_HA_PROXY", "IFZ_HAPROXY_OPENAI_ERRORS", drain)
    for name in (*names, *HAPROXY_PATH_ENV, *HAPROXY_PORT_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(THROUGHPUT_ENV, "unset")  # restored (removed) after the test
    monkeypatch.setenv(METRICS_INTERVAL_ENV, "unset")
    monkeypatch.setenv(GRPC_MESSAGE_ENV, "unset")


def test_throughput_mode_follows_the_setting(clean_env):
    configure_serve_mode(LocalClusterSettings(serve_throughput_optimized=True))
    assert os.environ[THROUGHPUT_ENV] == "1"
    configure_serve_mode(LocalClusterSettings(serve_throughput_optimized=False))
    assert os.environ[THROUGHPUT_ENV] == "0"  # a leftover switch is turned off
    configure_serve_mode(LocalClusterSettings())
    assert os.environ[THROUGHPUT_ENV] == "1"  # the default


def test_serve_exports_its_cached_metrics_once_a_second_unless_told(clean_env):
    configure_serve_mode(LocalClusterSettings())
    assert os.environ[METRICS_INTERVAL_ENV] == "1000"
    configure_serve_mode(LocalClusterSettings(serve_metrics_export_interval_ms=0))
    assert os.environ[METRICS_INTERVAL_ENV] == "0"  # Serve: record every request


def test_handle_messages_may_carry_the_largest_body_the_gateway_accepts(clean_env):
    config = load_config("local")
    configure_serve_mode(config.local_cluster)
    assert int(os.environ[GRPC_MESSAGE_ENV]) > 2 * config.gateway.validation.max_body_bytes


@pytest.mark.parametrize("profile", ["local", "gpu"])
def test_the_local_cluster_binds_ray_to_loopback(profile):
    options = ray_init_options(load_config(profile).local_cluster)
    assert options["_node_ip_address"] == "127.0.0.1"
    assert options["include_dashboard"] is False


def test_a_lan_address_can_be_chosen_for_multi_node():
    cluster = LocalClusterSettings(node_ip_address="10.0.0.5")
    assert ray_init_options(cluster)["_node_ip_address"] == "10.0.0.5"


def test_haproxy_gets_private_files_and_free_ports(clean_env):
    tmp_path = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))  # short: see the next test
    configure_ingress(LocalClusterSettings(ingress_proxy="haproxy"), str(tmp_path))
    assert os.environ["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
    for name in HAPROXY_PATH_ENV:
        assert os.environ[name].startswith(str(tmp_path / "haproxy"))
    ports = {int(os.environ[name]) for name in HAPROXY_PORT_ENV}
    assert len(ports) == 2 and not ports & {8404, 9101}
    assert (tmp_path / "haproxy").stat().st_mode & 0o077 == 0
    assert os.environ["RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"] == "2.0"
    shutil.rmtree(tmp_path)


def test_haproxy_admin_socket_fits_even_under_a_long_state_dir(clean_env, tmp_path):
    """`ifz serve` keeps its state in /tmp/ifz-serve-XXXXXXXX: with Ray's node folder the socket
    path came to 99 characters and HAProxy refused to start."""
    long_dir = tmp_path / ("d" * 60)
    long_dir.mkdir()
    configure_ingress(LocalClusterSettings(ingress_proxy="haproxy"), str(long_dir))
    folder = os.environ["RAY_SERVE_HAPROXY_SERVER_STATE_BASE"]
    socket_path = os.path.join(folder, "f" * 56, "admin.sock")  # as Ray scopes it per node
    assert len(socket_path) <= HAPROXY_SOCKET_MAX
    assert os.stat(folder).st_mode & 0o077 == 0
    assert os.environ["RAY_SERVE_HAPROXY_SOCKET_PATH"] == os.path.join(folder, "admin.sock")


def test_the_default_proxy_clears_a_leftover_haproxy_switch(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("RAY_SERVE_ENABLE_HA_PROXY", "1")
    configure_ingress(LocalClusterSettings(ingress_proxy="default"), str(tmp_path))
    assert "RAY_SERVE_ENABLE_HA_PROXY" not in os.environ


def test_timeline_summary_orders_deployments_and_names_warm_ups():
    timeline = StartupTimeline(started=0.0)
    timeline.marks.update({"ray": 7.4, "serve": 9.0, "ready": 61.5})
    timeline.deployments.update({"llm": 60.2, "router": 14.0})
    timeline.observe_health({"status": "starting", "warm_ups": {"gateway": {"s": 3.25}}})
    summary = timeline.summary()
    assert summary.index("router 14.0 s") < summary.index("llm 60.2 s")
    assert "router warm-ups: gateway 3.2 s" in summary
    assert summary.endswith("ready 61.5 s")
    assert "deployments_healthy" in timeline.as_dict()["marks_s"]


def test_a_loopback_node_address_is_kept_and_serve_listeners_follow(monkeypatch):
    from ray._private import ray_constants

    from ops.cli.ray_worker_hook import LOOPBACK_ENV
    from ops.cli.serve_cmd import keep_node_address

    monkeypatch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", True)
    monkeypatch.delenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", raising=False)
    monkeypatch.delenv(LOOPBACK_ENV, raising=False)
    keep_node_address("127.0.0.1")
    assert ray_constants.ENABLE_RAY_CLUSTER is False  # 127.0.0.1 is not re-resolved
    assert os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"  # nor in Ray's processes
    assert os.environ[LOOPBACK_ENV] == "1"  # the worker hook moves Serve's own listeners


def test_a_lan_node_address_changes_nothing(monkeypatch):
    from ray._private import ray_constants

    from ops.cli.serve_cmd import keep_node_address

    monkeypatch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", True)
    keep_node_address("10.0.0.5")
    assert ray_constants.ENABLE_RAY_CLUSTER is True


def test_the_local_cluster_gets_the_worker_hook(clean_env, monkeypatch, tmp_path):
    from ray._private import ray_constants

    from ops.cli.ray_worker_hook import HAPROXY_ERRORS_ENV, HOOK, LOOPBACK_ENV
    from ops.cli.serve_cmd import cluster_runtime_env

    monkeypatch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", True)
    for name in (LOOPBACK_ENV, HAPROXY_ERRORS_ENV, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER",
                 "RAYLLM_ENABLE_WORKER_PROCESS_SETUP_HOOK"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    runtime_env = cluster_runtime_env(load_config("local"), None, str(tmp_path))
    assert runtime_env["worker_process_setup_hook"] == HOOK
    assert os.environ["RAYLLM_ENABLE_WORKER_PROCESS_SETUP_HOOK"] == "0"  # the LLM keeps it
    assert os.environ[HAPROXY_ERRORS_ENV] == "1"
    assert os.environ[THROUGHPUT_ENV] == "1"  # the profile's setting reaches Serve
    assert cluster_runtime_env(load_config("local"), "ray://x:1", str(tmp_path)) == {
        "env_vars": runtime_env["env_vars"]
    }  # joining a cluster: no hook, nothing local
