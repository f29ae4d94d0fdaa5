"""Handles bound into the router take the transport of the router's own Serve mode."""

from __future__ import annotations

import pytest
from ray.serve.handle import DeploymentHandle

from serve.stages.transport import with_replica_transport


@pytest.fixture(autouse=True)
def no_controller(monkeypatch):
    """``options()`` makes the handle's request router, which asks the Serve controller; the
    options themselves are what these tests read."""
    monkeypatch.setattr(DeploymentHandle, "_init", lambda self, **_: setattr(self, "_router", 1))


def test_a_handle_built_for_actor_calls_follows_a_grpc_replica():
    built = DeploymentHandle("ocr", "interfaze").options(_by_reference=True)
    assert built.handle_options._by_reference is True
    assert with_replica_transport(built, grpc=True).handle_options._by_reference is False
    assert with_replica_transport(built, grpc=False).handle_options._by_reference is True


def test_streaming_and_method_options_survive():
    built = DeploymentHandle("llm", "interfaze").options(stream=True, method_name="generate")
    handle = with_replica_transport(built, grpc=True)
    assert handle.handle_options.stream and handle.handle_options.method_name == "generate"
    assert handle.deployment_name == "llm" and handle.app_name == "interfaze"


def test_fakes_and_missing_handles_pass_through():
    fake = object()
    assert with_replica_transport(fake, grpc=True) is fake
    assert with_replica_transport(None, grpc=True) is None
