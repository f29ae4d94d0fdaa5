"""The shared state actor: stores as slots of one actor, built on first use, rebuilt after a
restart; the stores' own tests cover what each slot does."""

from __future__ import annotations

import tempfile
import time

import pytest

from serve.observability.state_host import Slot, StateHost


def test_a_slot_is_built_on_first_call_and_kept():
    host = StateHost()
    slot = Slot("responses", "serve.api.responses.store:ResponseStore", (10, None))
    assert host.call(slot, "put", ({"id": "resp_1", "key_id": "k"},), {}) is not None
    assert host.call(slot, "get", ("resp_1",), {"key_id": "k"})["id"] == "resp_1"
    other = Slot("traces", "serve.observability.traces:TraceStore", (5, None))
    assert host.call(other, "__len__", (), {}) == 0
    assert host.slots() == ["responses", "traces"]


def test_a_nested_factory_name_resolves():
    slot = Slot("x", "collections:OrderedDict", (), {"a": 1})
    assert StateHost().call(slot, "get", ("a",), {}) == 1


ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_session():
    if ray.is_initialized():  # the session's shared app already runs Ray: use it
        yield
        return
    ray.init(
        num_cpus=1,
        include_dashboard=False,
        log_to_driver=False,
        namespace="state-tests",
        _temp_dir=tempfile.mkdtemp(prefix="ifzst-", dir="/tmp"),
    )
    yield
    ray.shutdown()


def test_stores_share_one_actor_and_survive_its_restart(ray_session):
    from serve.observability.state_host import HostedStore

    traces = HostedStore(Slot("traces", "serve.observability.traces:TraceStore", (5, None)),
                         "state-tests", name="state-test")  # fmt: skip
    responses = HostedStore(
        Slot("responses", "serve.api.responses.store:ResponseStore", (5, None)),
        "state-tests",
        name="state-test",
    )
    try:
        assert ray.get(responses.remote("put", {"id": "resp_1", "key_id": None}))
        assert ray.get(traces.remote("__len__")) == 0
        assert ray.get(traces.actor.slots.remote()) == ["responses", "traces"]  # one process
        ray.kill(traces.actor, no_restart=False)  # a crash: Ray restarts the host
        deadline = time.monotonic() + 60
        while True:
            try:
                assert ray.get(responses.remote("get", "resp_1"), timeout=10) is None  # fresh
                break
            except ray.exceptions.RayActorError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert ray.get(traces.remote("__len__")) == 0  # rebuilt on first use after restart
    finally:
        traces.kill()
