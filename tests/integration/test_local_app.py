"""The real application on a local Ray Serve cluster (router + vLLM on CPU)."""

import time

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_healthz_reports_every_deployment(running_app):
    report = httpx.get(f"{running_app.base_url}/healthz", timeout=30).json()
    assert report["status"] == "ok"
    assert report["deployments"]["llm"]["model_id"] == running_app.config.llm.model_id


def test_request_id_is_adopted_and_echoed_once(running_app):
    response = httpx.post(
        f"{running_app.base_url}/v1/chat/completions",
        json={
            "model": "interfaze",
            "messages": [{"role": "user", "content": "Say hi."}],
            "max_tokens": 4,
        },
        headers={"x-request-id": "it-req-42"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    assert response.headers.get_list("x-request-id") == ["it-req-42"]
    trace_id = response.json()["interfaze"]["trace_id"]
    assert trace_id != "it-req-42"  # trace ids are the server's; the client's is kept beside
    trace = httpx.get(f"{running_app.base_url}/v1/traces/{trace_id}", timeout=30).json()
    assert trace["client_request_id"] == "it-req-42"
    error = httpx.post(
        f"{running_app.base_url}/v1/chat/completions",
        json={"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-request-id": "it-req-43"},
        timeout=30,
    )
    assert error.status_code == 404 and error.headers.get_list("x-request-id") == ["it-req-43"]


def test_client_disconnect_cancels_the_generation(running_app):
    """Closing a stream mid-generation aborts the vLLM request in the LLM replica."""
    base = running_app.base_url

    def llm_stats():
        return httpx.get(f"{base}/healthz", timeout=30).json()["deployments"]["llm"]

    before = llm_stats()["cancelled"]
    body = {  # the bare LLM sampling a long story: hundreds of tokens if not cancelled
        "model": running_app.config.llm.model_id,
        "messages": [{"role": "user", "content": "Write a very long story about a lighthouse."}],
        "max_tokens": 600,
        "temperature": 1.0,
        "seed": 7,
        "stream": True,
    }
    with (
        httpx.Client(timeout=120) as client,
        client.stream("POST", f"{base}/v1/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        received = 0
        for line in response.iter_lines():
            if line.startswith("data: ") and '"content":"' in line and '"content":""' not in line:
                received += 1
            if received >= 3:
                break  # leave the with-block: the connection closes mid-stream
    deadline = time.monotonic() + 30
    stats = llm_stats()
    while time.monotonic() < deadline and not (
        stats["cancelled"] > before and stats["active"] == 0
    ):
        time.sleep(0.5)
        stats = llm_stats()
    # 600 tokens at ~16 tok/s would run ~40 s; cancellation stops it within seconds.
    assert stats["cancelled"] > before
    assert stats["active"] == 0


def test_metrics_relay_exports_ray_serve_and_router_series(running_app):
    httpx.post(
        f"{running_app.base_url}/v1/chat/completions",
        json={
            "model": "interfaze",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 2,
        },
        timeout=120,
    )
    deadline = time.monotonic() + 60
    text = ""
    while time.monotonic() < deadline:
        text = httpx.get(f"{running_app.base_url}/metrics", timeout=30).text
        if "ray_ifz_requests_total" in text and "ray_serve_num_http_requests" in text:
            break
        time.sleep(2)
    assert "ray_serve_num_http_requests" in text
    assert "ray_ifz_requests_total" in text
    assert "ray_ifz_stage_latency_ms_bucket" in text


def test_serve_config_renders_and_validates(running_app):
    """`ifz config render` output is a valid Serve deploy config naming our builder."""
    import yaml

    from serve.config.render import IMPORT_PATH, render_yaml

    document = yaml.safe_load(render_yaml(running_app.config))
    [app] = document["applications"]
    assert app["import_path"] == IMPORT_PATH
    names = {d["name"] for d in app["deployments"]}
    assert {"router", "llm", "asr", "execute"} <= names
    llm = next(d for d in app["deployments"] if d["name"] == "llm")
    assert llm["max_ongoing_requests"] == running_app.config.llm.max_ongoing_requests
    assert llm["placement_group_bundles"][0]["CPU"] >= 1
