"""Which ledger a router replica uses: shared as soon as a second router replica can run."""

from __future__ import annotations

import pytest

from serve.gateway import limiter
from serve.gateway.config import LimitSettings
from serve.gateway.limiter import InProcessLimitBackend, LeasedLimitBackend, select_limit_backend


class SharedLedger:
    """Stands in for the named actor (the real one is tested in test_limits_ray.py)."""

    def __init__(self, name: str, namespace: str) -> None:
        self.name, self.namespace = name, namespace


@pytest.fixture
def shared(monkeypatch):
    monkeypatch.setattr(limiter, "RayActorLimitBackend", SharedLedger)


def test_one_router_replica_keeps_the_ledger_in_process(shared):
    backend = select_limit_backend(LimitSettings(), "interfaze", router_replicas=1)
    assert isinstance(backend, InProcessLimitBackend)


def test_autoscaling_past_one_replica_shares_the_ledger(shared):
    backend = select_limit_backend(LimitSettings(backend="memory"), "app", router_replicas=2)
    assert isinstance(backend, LeasedLimitBackend) and isinstance(backend.shared, SharedLedger)
    shared_ledger = backend.shared
    assert (shared_ledger.name, shared_ledger.namespace) == ("interfaze-gateway-limits", "app")


def test_explicit_ray_actor_and_namespace_are_honoured(shared):
    settings = LimitSettings(backend="ray_actor", actor_name="l", actor_namespace="ns")
    backend = select_limit_backend(settings, "app", router_replicas=1).shared
    assert isinstance(backend, SharedLedger) and (backend.name, backend.namespace) == ("l", "ns")


def test_disabled_limits_start_no_actor(shared):
    settings = LimitSettings(enabled=False, backend="ray_actor")
    backend = select_limit_backend(settings, "app", router_replicas=4)
    assert isinstance(backend, InProcessLimitBackend)


def test_without_ray_the_ledger_falls_back_to_this_process(monkeypatch):
    def unavailable(name: str, namespace: str):
        raise RuntimeError("Ray is not initialized in this process")

    monkeypatch.setattr(limiter, "RayActorLimitBackend", unavailable)
    backend = select_limit_backend(LimitSettings(), "app", router_replicas=3)
    assert isinstance(backend, InProcessLimitBackend)
