"""The worker setup hook that keeps Ray Serve's own listeners on loopback."""

from __future__ import annotations

import re

import pytest

from ops.cli import ray_loopback
from ops.cli.ray_loopback import LOOPBACK_ENV, loopback_address, loopback_haproxy_template


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


@pytest.fixture
def restore_ray(monkeypatch):
    from ray.serve._private import haproxy, haproxy_templates, replica

    monkeypatch.setattr(replica, "add_port_to_grpc_server", replica.add_port_to_grpc_server)
    monkeypatch.setattr(haproxy, "HAPROXY_CONFIG_TEMPLATE", haproxy.HAPROXY_CONFIG_TEMPLATE)
    monkeypatch.setattr(
        haproxy_templates, "HAPROXY_CONFIG_TEMPLATE", haproxy_templates.HAPROXY_CONFIG_TEMPLATE
    )
    return replica, haproxy


def test_the_hook_rewrites_the_replica_grpc_address(monkeypatch, restore_ray):
    replica, haproxy = restore_ray
    seen = []
    monkeypatch.setattr(replica, "add_port_to_grpc_server", lambda s, a: seen.append(a) or 1)
    monkeypatch.setenv(LOOPBACK_ENV, "1")
    monkeypatch.setenv("RAY_SERVE_ENABLE_HA_PROXY", "1")
    ray_loopback.bind_serve_listeners_to_loopback()
    ray_loopback.bind_serve_listeners_to_loopback()  # idempotent: wrapped once
    assert replica.add_port_to_grpc_server(object(), "[::]:0") == 1
    assert seen == ["127.0.0.1:0"]
    assert "bind *:" not in haproxy.HAPROXY_CONFIG_TEMPLATE


def test_the_hook_does_nothing_unless_asked(monkeypatch, restore_ray):
    replica, _ = restore_ray
    original = replica.add_port_to_grpc_server
    monkeypatch.delenv(LOOPBACK_ENV, raising=False)
    ray_loopback.bind_serve_listeners_to_loopback()
    assert replica.add_port_to_grpc_server is original


def test_rays_own_loader_finds_and_runs_the_hook(monkeypatch):
    """The hook name in the form Ray's workers load it (a wrong name kills every worker)."""
    from ray._private.runtime_env.setup_hook import load_and_execute_setup_hook_module

    from ops.cli.ray_loopback import HOOK

    monkeypatch.delenv(LOOPBACK_ENV, raising=False)  # load and run it, patching nothing
    assert load_and_execute_setup_hook_module(HOOK) is None
