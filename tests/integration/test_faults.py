"""Fault injection on real replicas: what the client sees, how fast it recovers, what it costs.

The CI part runs on a second, small application (``faults``: two router replicas and OCR) that
shares the session's Ray and ingress, so killing its replicas leaves the shared app alone:
a killed perception replica, a burst past the OCR queue, and per-key limits shared by both
router replicas. The LLM kills (mid-stream, four in a row with memory after each recovery)
take minutes and are ``slow``: ``pytest -m slow tests/integration/test_faults.py``. They
restore the shared app before they return.

Status classes asserted everywhere: 200, 429/4xx from the gateway, or a retryable 503 with
``Retry-After`` and an OpenAI-shaped body — never a bare 500.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

FAULT_APP = "faults"
RATE_LIMIT = 12  # requests per minute for the anonymous key in the fault app


# ----------------------------------------------------------------------------- helpers
def replica_actors(app: str, deployment: str) -> list[str]:
    """Names of the live Serve replica actors of ``app``/``deployment``."""
    import ray

    prefix = f"SERVE_REPLICA::{app}#{deployment}#"
    return [
        entry["name"]
        for entry in ray.util.list_named_actors(all_namespaces=True)
        if entry["name"].startswith(prefix)
    ]


def kill_replica(app: str, deployment: str) -> str:
    """Kill one replica of ``app``/``deployment`` like a crash (no graceful shutdown)."""
    import ray

    [name, *_] = replica_actors(app, deployment)
    ray.kill(ray.get_actor(name, namespace="serve"), no_restart=True)
    return name


def wait_ok(base_url: str, timeout_s: float) -> float:
    """Seconds until ``/healthz`` says ok."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{base_url} not healthy after {timeout_s} s")


def assert_status_class(response: httpx.Response) -> None:
    """200, a 4xx from the gateway, or a retryable OpenAI-shaped 503 — never another 5xx."""
    status = response.status_code
    if status < 500:
        return
    assert status == 503, f"{status} {response.text[:300]}"
    assert response.headers.get("retry-after"), f"503 without Retry-After: {response.text[:200]}"
    error = response.json().get("error") or {}
    assert error.get("message") and error.get("type"), response.text[:300]


def scan_bodies() -> list[str]:
    from loadtest.payloads import build_payloads
    from loadtest.settings import load_loadtest_config

    return build_payloads(load_loadtest_config().payloads, ("scan",))["scan"]


def chat_body(text: str, model: str = "interfaze", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


@dataclass
class FaultApp:
    base_url: str
    config: Any
    limited_key: str  # RATE_LIMIT requests per minute
    key: str  # a limit the tests never reach

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {key or self.key}", "content-type": "application/json"}


@pytest.fixture(scope="module")
def fault_app(running_app) -> Iterator[FaultApp]:
    """A second app on the session's cluster: two router replicas, OCR only, small queues."""
    from ray import serve

    from loadtest.local_app import stage_overrides
    from ops.cli.serve_cmd import wait_until_healthy
    from serve.app_builder import build_deployments
    from serve.config.loader import deep_merge
    from serve.gateway.keys import KeyStore
    from tests.conftest import make_test_config

    data_dir = tempfile.mkdtemp(prefix="ifz-faults-", dir="/tmp")
    store = KeyStore(f"{data_dir}/gateway/keys.db")
    limited_key, _ = store.create("limited", requests_per_minute=RATE_LIMIT)
    key, _ = store.create("faults", requests_per_minute=100_000)
    store.close()
    overrides = deep_merge(
        stage_overrides(keep={"ocr"}),
        {
            "app_name": FAULT_APP,
            "route_prefix": f"/{FAULT_APP}",
            "port": running_app.config.port,
            "data_dir": data_dir,
            "router": {  # no MiniLM anywhere: the fault app stays small
                "intent_embeddings": False,
                "embeddings": "router",
                "autoscaling_config": {"min_replicas": 2, "max_replicas": 2},
            },
            "embed": {"enabled": False},
            "perception": {
                "ocr": {
                    "max_ongoing_requests": 1,
                    "max_queued_requests": 1,
                    "autoscaling_config": {"target_ongoing_requests": 1},
                }
            },
            "gateway": {
                "auth": {"enabled": True},
                "input_guard": {"injection": {"embedding": False}},
            },
        },
    )
    config = make_test_config(**overrides)
    serve.run(build_deployments(config), name=FAULT_APP, route_prefix=config.route_prefix,
              blocking=False)  # fmt: skip
    base_url = f"{running_app.base_url}/{FAULT_APP}"
    try:
        wait_until_healthy(base_url, timeout_s=300)
        yield FaultApp(base_url, config, limited_key, key)
    finally:
        serve.delete(FAULT_APP)


# ------------------------------------------------------------------------------- tests
def test_limits_are_shared_by_both_router_replicas(fault_app):
    """Two router replicas, one budget: a key gets its limit once, not once per replica."""
    from ray import serve

    status = serve.status().applications[FAULT_APP].deployments["router"]
    assert status.replica_states.get("RUNNING") == 2
    body = chat_body("What is 12 * 12?", max_tokens=8)
    url = f"{fault_app.base_url}/v1/chat/completions"
    headers = fault_app.headers(fault_app.limited_key)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda _: httpx.post(url, json=body, headers=headers, timeout=60), range(30))
        )
    statuses = [r.status_code for r in responses]
    for response in responses:
        assert_status_class(response)
    allowed, limited = statuses.count(200), statuses.count(429)
    # a per-replica ledger would admit up to 2 x RATE_LIMIT; the bucket refills 0.2/s
    assert allowed <= RATE_LIMIT + 2, statuses
    assert allowed + limited == len(statuses), statuses
    assert all(r.headers.get("retry-after") for r in responses if r.status_code == 429)


def test_burst_past_the_ocr_queue_is_shed_with_retry_after(fault_app):
    bodies = scan_bodies()
    url = f"{fault_app.base_url}/v1/chat/completions"

    def post(i: int) -> httpx.Response:
        return httpx.post(url, content=bodies[i % len(bodies)], timeout=120,
                          headers=fault_app.headers())  # fmt: skip

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(8)))
    for response in responses:
        assert_status_class(response)
    statuses = [r.status_code for r in responses]
    assert 503 in statuses, statuses  # one running and one queued per router replica


def test_killed_ocr_replica_is_reported_fast_and_recovers(fault_app):
    bodies = scan_bodies()
    url = f"{fault_app.base_url}/v1/chat/completions"
    killed_at = time.monotonic()
    kill_replica(FAULT_APP, "ocr")
    started = time.perf_counter()
    health = httpx.get(f"{fault_app.base_url}/healthz", timeout=10)
    health_s = time.perf_counter() - started
    during = httpx.post(url, content=bodies[0], timeout=120, headers=fault_app.headers())
    assert_status_class(during)
    recovery_s = wait_ok(fault_app.base_url, timeout_s=120)
    after = httpx.post(url, content=bodies[1], timeout=120, headers=fault_app.headers())
    report = {
        "healthz_status_after_kill": health.status_code,
        "healthz_s": round(health_s, 2),
        "request_during_outage": during.status_code,
        "recovery_s": round(time.monotonic() - killed_at, 1),
        "request_after_recovery": after.status_code,
    }
    print("ocr kill:", json.dumps(report))
    assert health_s < 1.5, report
    assert recovery_s < 120, report
    assert after.status_code == 200 and "ocr" in after.json()["interfaze"]["route"], report


def post_retrying_connection_errors(url: str, body: dict, headers: dict,
                                    retries: int = 2) -> tuple[httpx.Response, int]:  # fmt: skip
    """POST with the official openai client's policy for connection errors: ``retries`` more
    tries (its default ``max_retries`` is 2) after a short back-off. Returns the response and
    how many connections failed on the way; raises when every try failed."""
    for attempt in range(retries + 1):
        try:
            return httpx.post(url, json=body, headers=headers, timeout=60), attempt
        except httpx.TransportError:
            if attempt == retries:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def test_no_router_replica_up_is_a_retryable_503(fault_app):
    """Both router replicas killed: the ingress itself answers, OpenAI-shaped and retryable
    (HAProxy's own error, rewritten by the worker hook), until Serve has restarted them.

    HAProxy reloads each time its server list changes (routers gone, each one back); a
    connection it accepted just before a reload can be closed unanswered. Clients retry
    connection errors (the openai SDK twice by default, with back-off), so the contract checked
    is that no request fails under that policy, and the dropped connections are reported."""
    import ray

    wait_ok(fault_app.base_url, timeout_s=120)
    for name in replica_actors(FAULT_APP, "router"):
        ray.kill(ray.get_actor(name, namespace="serve"), no_restart=True)
    killed_at = time.monotonic()
    statuses = []
    body = chat_body("What is 12 * 12?", max_tokens=8)
    dropped = 0
    while time.monotonic() - killed_at < 120:
        try:
            response, failed = post_retrying_connection_errors(
                f"{fault_app.base_url}/v1/chat/completions", body, fault_app.headers()
            )
        except httpx.TransportError as exc:
            raise AssertionError(
                f"a request failed on every retry while the routers restart: {exc!r}; "
                f"statuses so far {statuses}"
            ) from exc
        dropped += failed
        assert_status_class(response)
        statuses.append(response.status_code)
        if response.status_code == 200:
            break
        time.sleep(0.5)
    print("routers killed:", {"statuses": statuses, "dropped_connections": dropped,
                              "recovery_s": time.monotonic() - killed_at})  # fmt: skip
    assert statuses[-1] == 200, statuses


# --------------------------------------------------------------- the LLM (slow, shared app)
def tree_memory_mb() -> float:
    """PSS of this process and everything it started (the local Ray and all replicas), less
    the fault app's replicas (restarted by the tests above, they would blur the figure)."""
    import psutil

    total = 0
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            if f":{FAULT_APP}:" not in " ".join(proc.cmdline()):
                total += proc.memory_full_info().pss
    return round(total / 2**20, 1)


def kill_llm_mid_stream(app: Any) -> dict[str, Any]:
    """Stream from the bare LLM, kill its replica after 3 chunks; what did the client get?"""
    body = chat_body("Write a very long story about a lighthouse.", model=app.config.llm.model_id,
                     max_tokens=600, temperature=1.0, seed=7, stream=True)  # fmt: skip
    events: list[str] = []
    killed_at = None
    with (
        httpx.Client(timeout=180) as client,
        client.stream("POST", f"{app.base_url}/v1/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        try:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(line[6:])
                content = [e for e in events if '"content":"' in e]
                if killed_at is None and len(content) >= 3:
                    kill_replica(app.config.app_name, "llm")
                    killed_at = time.monotonic()
            stream_end = "clean"
        except httpx.HTTPError as exc:  # the connection was cut without an error event
            stream_end = type(exc).__name__
    error_events = [e for e in events if e.startswith("{") and '"error"' in e]
    asked_at = time.monotonic()
    during = httpx.post(
        f"{app.base_url}/v1/chat/completions",
        timeout=180,
        json=chat_body("Say hi.", model=app.config.llm.model_id, max_tokens=4),
    )
    answered_s = round(time.monotonic() - asked_at, 2)
    wait_ok(app.base_url, timeout_s=600)
    return {
        "stream_end": stream_end,
        "error_event": json.loads(error_events[-1]) if error_events else None,
        "done_marker": events[-1] if events else None,
        "request_during_outage": during.status_code,
        "request_during_outage_retry_after": during.headers.get("retry-after"),
        "request_during_outage_s": answered_s,
        "recovery_s": round(time.monotonic() - killed_at, 1) if killed_at else None,
        "_during": during,
    }


@pytest.mark.slow
def test_llm_replica_killed_mid_stream_four_times(running_app):
    """Each kill: an SSE error event (not a cut stream), a retryable 503 meanwhile, recovery;
    memory after four kills stays within 300 MB of the start (no leaked engine processes)."""
    wait_ok(running_app.base_url, timeout_s=600)
    baseline = tree_memory_mb()
    rows = []
    for kill in range(4):
        row = kill_llm_mid_stream(running_app)
        during = row.pop("_during")
        row["memory_mb_after_recovery"] = tree_memory_mb()
        rows.append(row)
        print(f"llm kill {kill + 1}:", json.dumps(row))
        assert_status_class(during)
        # The router saw the replica die: a new request is refused at once, not queued for a
        # minute behind the replacement.
        assert during.status_code == 503 and row["request_during_outage_retry_after"], row
        assert row["request_during_outage_s"] < 5, row
        assert row["stream_end"] == "clean", row
        assert row["error_event"] and row["error_event"]["error"]["message"], row
    growth = rows[-1]["memory_mb_after_recovery"] - baseline
    print(f"memory: baseline {baseline} MB, after 4 kills +{growth:.0f} MB")
    assert growth < 300, (baseline, rows)
