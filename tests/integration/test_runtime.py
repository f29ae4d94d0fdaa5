"""The runtime around the router on the shared app: listening addresses, /healthz speed,
the ingress's health routes and large bodies (the profile's default ingress)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from ops.cli.listeners import exposed, listeners

pytestmark = pytest.mark.integration


def test_no_process_of_the_app_listens_outside_loopback(running_app):
    """GCS, raylet, object manager, workers, agents, replicas, the ingress: all on 127.0.0.1."""
    assert running_app.config.local_cluster.node_ip_address == "127.0.0.1"
    found = listeners()
    assert any(listener.port == running_app.config.port for listener in found)
    outside = exposed()
    assert outside == [], "\n".join(str(listener) for listener in outside)


def test_healthz_answers_within_a_second(running_app):
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = httpx.get(f"{running_app.base_url}/healthz", timeout=30)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        time.sleep(1.1)  # past the cache: each call probes every deployment
    assert max(timings) < 1.0, timings
    assert all(w["status"] == "ok" for w in response.json().get("warm_ups", {}).values())


def test_serve_health_routes_answer_through_the_ingress(running_app):
    """What KubeRay probes (Serve's own routes) and ours, through the default ingress."""
    for path in ("/-/healthz", "/-/routes", "/healthz", "/v1/models"):
        assert httpx.get(f"{running_app.base_url}{path}", timeout=30).status_code == 200, path


@pytest.mark.parametrize(
    ("mib", "code"),
    [(24, "text_too_long"), (26, "request_too_large")],
)
def test_large_bodies_reach_the_router(running_app, mib, code):
    """24 MiB passes the ingress (the router refuses the text); 26 MiB is over the body limit.
    Both get the router's OpenAI-shaped 413, not an ingress error or a reset connection."""
    body = json.dumps(
        {"model": "interfaze", "messages": [{"role": "user", "content": "a" * (mib * 2**20)}]}
    )
    response = httpx.post(
        f"{running_app.base_url}/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
        timeout=120,
    )
    assert response.status_code == 413, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
