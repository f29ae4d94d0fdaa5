"""The local cluster's worker hook: Serve's own listeners on loopback, HAProxy's errors as
OpenAI-shaped 503s."""

from __future__ import annotations

import json
import re

import pytest

from ops.cli import ray_worker_hook
from ops.cli.ray_worker_hook import (
    HAPROXY_ERRORS_ENV,
    HOOK,
    LOOPBACK_ENV,
    haproxy_error_response,
    loopback_address,
    loopback_haproxy_template,
)


def test_all_interface_addresses_become_loopback():
    assert loopback_address("[::]:0") == "127.0.0.1:0"
    assert loopback_address("0.0.0.0:9000") == "127.0.0.1:9000"
    assert loopback_address("10.0.0.5:0") == "10.0.0.5:0"


def test_rays_haproxy_template_has_no_all_interface_bind_left():
    from ray.serve._private.haproxy_templates import HAPROXY_CONFIG_TEMPLATE

    patched = loopback_haproxy_template(HAPROXY_CONFIG_TEMPLATE)
    binds = re.findall(r"^\s*bind (\S+)", patched, flags=re.M)
    assert "127.0.0.1:{{" in " ".join(binds)
    # every remaining bind names a host: loopback, or the frontends' configured host
    assert all(not b.startswith((":", "*:")) for b in binds), binds
    assert patched != HAPROXY_CONFIG_TEMPLATE  # Ray still has the two binds we rewrite


def test_the_haproxy_error_is_a_well_formed_openai_503():
    raw = haproxy_error_response(3)
    head, body = raw.split("\r\n\r\n", 1)
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 503 Service Unavailable"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert headers["Retry-After"] == "3" and headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(body.encode())
    error = json.loads(body)["error"]
    assert error["message"] and error["type"] and error["code"]


@pytest.fixture
def restore_ray(monkeypatch):
    from ray.serve._private import haproxy, haproxy_templates, replica

    monkeypatch.setattr(replica, "add_port_to_grpc_server", replica.add_port_to_grpc_server)
    monkeypatch.setattr(haproxy, "HAPROXY_CONFIG_TEMPLATE", haproxy.HAPROXY_CONFIG_TEMPLATE)
    monkeypatch.setattr(
        haproxy_templates, "HAPROXY_CONFIG_TEMPLATE", haproxy_templates.HAPROXY_CONFIG_TEMPLATE
    )
    monkeypatch.setattr(
        haproxy.HAProxyApi,
        "_initialize_directories_and_error_files",
        haproxy.HAProxyApi._initialize_directories_and_error_files,
    )
    for name in (LOOPBACK_ENV, HAPROXY_ERRORS_ENV, "RAY_SERVE_ENABLE_HA_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return replica, haproxy


def test_the_hook_rewrites_the_replica_grpc_address(monkeypatch, restore_ray):
    replica, haproxy = restore_ray
    seen = []
    monkeypatch.setattr(replica, "add_port_to_grpc_server", lambda s, a: seen.append(a) or 1)
    monkeypatch.setenv(LOOPBACK_ENV, "1")
    monkeypatch.setenv("RAY_SERVE_ENABLE_HA_PROXY", "1")
    ray_worker_hook.setup_worker()
    ray_worker_hook.setup_worker()  # idempotent: wrapped once
    assert replica.add_port_to_grpc_server(object(), "[::]:0") == 1
    assert seen == ["127.0.0.1:0"]
    assert "bind *:" not in haproxy.HAPROXY_CONFIG_TEMPLATE


def test_the_hook_writes_the_openai_error_file(monkeypatch, restore_ray, tmp_path):
    _, haproxy = restore_ray
    monkeypatch.setenv("RAY_SERVE_ENABLE_HA_PROXY", "1")
    monkeypatch.setenv(HAPROXY_ERRORS_ENV, "1")
    error_file = tmp_path / "500.http"

    def rays_own(self) -> None:  # what Ray writes: a bare 500
        error_file.write_text("HTTP/1.1 500 Internal Server Error\r\n\r\nInternal Server Error")
        self.cfg.error_file_path = str(error_file)

    monkeypatch.setattr(haproxy.HAProxyApi, "_initialize_directories_and_error_files", rays_own)
    ray_worker_hook.setup_worker()

    class Api:
        cfg = type("Cfg", (), {"error_file_path": ""})()

    haproxy.HAProxyApi._initialize_directories_and_error_files(Api())
    assert error_file.read_bytes().decode() == haproxy_error_response()


def test_the_hook_does_nothing_unless_asked(restore_ray):
    replica, haproxy = restore_ray
    original = replica.add_port_to_grpc_server
    initialize = haproxy.HAProxyApi._initialize_directories_and_error_files
    ray_worker_hook.setup_worker()
    assert replica.add_port_to_grpc_server is original
    assert haproxy.HAProxyApi._initialize_directories_and_error_files is initialize


def test_rays_own_loader_finds_and_runs_the_hook(restore_ray):
    """The hook name in the form Ray's workers load it (a wrong name kills every worker)."""
    from ray._private.runtime_env.setup_hook import load_and_execute_setup_hook_module

    assert load_and_execute_setup_hook_module(HOOK) is None
