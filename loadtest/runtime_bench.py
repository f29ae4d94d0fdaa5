"""The runtime around the router, for one ingress, in one app run (loopback only):

- start-up: where the time goes (Ray, Serve, each deployment until healthy, router warm-ups);
- readiness: the first request after "ready" vs the tenth, on the small-stack path (arithmetic)
  and an OCR path (a scanned invoice page);
- ``/healthz`` latency when healthy;
- ingress checks: SSE streamed incrementally, a client disconnect cancels the generation in the
  LLM replica, large bodies (24 MiB through to the router, 26 MiB refused with 413), Serve's
  own health routes;
- listening addresses of every process of the app (anything not on loopback is listed);
- shutdown time.

    .venv/bin/python -m loadtest.runtime_bench --ingress haproxy --json /tmp/rt-haproxy.json
    .venv/bin/python -m loadtest.runtime_bench --ingress default --set llm.enabled=false

Run it under the shared lock on a shared machine (`flock /tmp/ifz-heavy.lock ...`).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

PATHS = ("arithmetic", "scan")


def payload_bodies(categories: tuple[str, ...] = PATHS, n: int = 10) -> dict[str, list[str]]:
    """``n`` distinct request bodies per path (the load tests' generators, seeded): the tenth
    request is a new question like the first, not a repeat a cache would answer."""
    from loadtest.payloads import build_payloads
    from loadtest.settings import load_loadtest_config

    settings = load_loadtest_config().payloads.model_copy(update={"variants": n})
    bodies = build_payloads(settings, categories)
    if "arithmetic" in bodies and len(set(bodies["arithmetic"])) < n:
        rng = random.Random(settings.seed)
        pairs = [(rng.randint(100, 9999), rng.randint(10, 999)) for _ in range(n)]
        questions = [f"What is {a} * {b}?" for a, b in pairs]
        bodies["arithmetic"] = [
            json.dumps(
                {
                    "model": settings.model,
                    "max_tokens": settings.max_tokens,
                    "messages": [{"role": "user", "content": question}],
                }
            )
            for question in questions
        ]
    return bodies


def timed_post(
    client: httpx.Client, url: str, body: str | bytes
) -> tuple[float, int, dict[str, Any]]:
    """(ms, status, the stages' own timings and the request id)."""
    started = time.perf_counter()
    response = client.post(url, content=body, headers={"content-type": "application/json"})
    ms = round((time.perf_counter() - started) * 1000, 1)
    try:
        stages = response.json().get("interfaze", {}).get("timings_ms", {})
    except ValueError:
        stages = {}
    return ms, response.status_code, {**stages, "request_id": response.headers.get("x-request-id")}


def audit_timings(audit_dir: Path, request_ids: list[str], wait_s: float = 5.0) -> dict:
    """The gateway's and the stages' timings of ``request_ids`` from the audit log."""
    found: dict[str, Any] = {}
    deadline = time.monotonic() + wait_s
    while len(found) < len(request_ids) and time.monotonic() < deadline:
        for path in audit_dir.glob("*.jsonl"):
            for line in path.read_text(errors="replace").splitlines():
                if any(rid in line for rid in request_ids):
                    entry = json.loads(line)
                    found[entry["request_id"]] = entry.get("timings_ms", {})
        time.sleep(0.5)
    return found


def first_vs_tenth(base_url: str, bodies: dict[str, list[str]], n: int = 10) -> dict[str, Any]:
    """``n`` sequential requests per path right after "ready", first to last."""
    out: dict[str, Any] = {}
    with httpx.Client(timeout=300) as client:
        for path, options in bodies.items():
            runs = [
                timed_post(client, f"{base_url}/v1/chat/completions", options[i % len(options)])
                for i in range(n)
            ]
            latencies = [ms for ms, _, _ in runs]
            out[path] = {
                "first_ms": latencies[0],
                "tenth_ms": latencies[-1],
                "median_rest_ms": statistics.median(latencies[1:]),
                "ratio_first_to_median": round(latencies[0] / statistics.median(latencies[1:]), 2),
                "statuses": sorted({status for _, status, _ in runs}),
                "all_ms": latencies,
                "first_stages_ms": runs[0][2],
                "tenth_stages_ms": runs[-1][2],
            }
    return out


def healthz_timings(base_url: str, n: int = 10) -> dict[str, Any]:
    times, statuses = [], set()
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            started = time.perf_counter()
            statuses.add(client.get(f"{base_url}/healthz").status_code)
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(1.1)  # past the 1 s cache: every call probes
    return {"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
            "statuses": sorted(statuses)}  # fmt: skip


def streaming_check(base_url: str, model: str) -> dict[str, Any]:
    """Chunks of a bare-LLM stream arrive spread over time (not buffered into one write)."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Write a long story about a lighthouse."}],
        "max_tokens": 48,
        "temperature": 0.0,
        "stream": True,
    }
    started = time.perf_counter()
    arrivals: list[float] = []
    with (
        httpx.Client(timeout=120) as client,
        client.stream("POST", f"{base_url}/v1/chat/completions", json=body) as response,
    ):
        status = response.status_code
        for line in response.iter_lines():
            if line.startswith("data: ") and '"content":"' in line:
                arrivals.append(time.perf_counter() - started)
    spread = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    distinct = len({round(t, 2) for t in arrivals})
    return {
        "status": status,
        "content_events": len(arrivals),
        "ttft_ms": round(arrivals[0] * 1000, 1) if arrivals else None,
        "spread_s": round(spread, 2),
        "distinct_arrival_times": distinct,
        "incremental": status == 200 and distinct >= max(2, len(arrivals) // 4) and spread > 0.3,
    }


def cancellation_check(base_url: str, model: str) -> dict[str, Any]:
    """Closing a stream after 3 content events cancels the generation in the LLM replica."""

    def llm() -> dict[str, Any]:
        return httpx.get(f"{base_url}/healthz", timeout=30).json()["deployments"]["llm"]

    before = llm().get("cancelled", 0)
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Write a very long story about a lighthouse."}],
        "max_tokens": 600,
        "temperature": 1.0,
        "seed": 7,
        "stream": True,
    }
    with (
        httpx.Client(timeout=120) as client,
        client.stream("POST", f"{base_url}/v1/chat/completions", json=body) as response,
    ):
        received = 0
        for line in response.iter_lines():
            if line.startswith("data: ") and '"content":"' in line:
                received += 1
            if received >= 3:
                break
    closed = time.monotonic()
    stats = llm()
    while time.monotonic() - closed < 30 and not (
        stats.get("cancelled", 0) > before and stats.get("active", 1) == 0
    ):
        time.sleep(0.25)
        stats = llm()
    cancelled = stats.get("cancelled", 0) > before and stats.get("active", 1) == 0
    return {"cancelled": cancelled, "seconds_to_cancel": round(time.monotonic() - closed, 2)}


def large_body_check(base_url: str) -> dict[str, Any]:
    """24 MiB reaches the router (its own 413 on text length); 26 MiB is refused with 413."""
    out: dict[str, Any] = {}
    with httpx.Client(timeout=120) as client:
        for label, size in (("24MiB", 24 * 2**20), ("26MiB", 26 * 2**20)):
            text = "a" * size
            body = json.dumps({"model": "interfaze", "messages": [{"role": "user",
                               "content": text}], "max_tokens": 4})  # fmt: skip
            started = time.perf_counter()
            try:
                response = client.post(
                    f"{base_url}/v1/chat/completions",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                error = (response.json().get("error") or {}) if response.content else {}
                out[label] = {
                    "status": response.status_code,
                    "code": error.get("code"),
                    "openai_shaped": bool(error.get("message")),
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            except (httpx.HTTPError, ValueError) as exc:
                out[label] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return out


def serve_health_routes(base_url: str) -> dict[str, Any]:
    """Serve's own routes (what KubeRay probes) and ours, through the ingress."""
    out = {}
    with httpx.Client(timeout=30) as client:
        for path in ("/-/healthz", "/-/routes", "/healthz", "/v1/models"):
            try:
                out[path] = client.get(f"{base_url}{path}").status_code
            except httpx.HTTPError as exc:
                out[path] = type(exc).__name__
    return out


def listening(app_pids: set[int] | None = None) -> dict[str, Any]:
    from ops.cli.listeners import listeners

    found = listeners(app_pids)
    return {
        "total": len(found),
        "not_loopback": [str(listener) for listener in found if not listener.loopback],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.local_app import app_config, app_overrides
    from ops.cli.serve_cmd import run_app, stop_app
    from ops.cli.startup import StartupTimeline

    config = app_config(args.profile, app_overrides(args.overrides), ingress=args.ingress)
    bodies = payload_bodies()
    timeline = StartupTimeline()
    import tempfile

    temp_dir = tempfile.mkdtemp(prefix="ifzrt-", dir="/tmp")
    result: dict[str, Any] = {"ingress": args.ingress, "overrides": args.overrides}
    try:
        base_url = run_app(config, temp_dir=temp_dir, log=print, timeline=timeline)
        result["startup"] = timeline.as_dict()
        result["first_vs_tenth"] = first_vs_tenth(base_url, bodies)
        ids = [
            row[key]["request_id"]
            for row in result["first_vs_tenth"].values()
            for key in ("first_stages_ms", "tenth_stages_ms")
            if row[key].get("request_id")
        ]
        result["audit_timings_ms"] = audit_timings(config.data_path("audit"), ids)
        result["healthz"] = healthz_timings(base_url)
        result["listening"] = listening()
        result["serve_routes"] = serve_health_routes(base_url)
        result["large_bodies"] = large_body_check(base_url)
        if config.llm.enabled:
            result["streaming"] = streaming_check(base_url, config.llm.model_id)
            result["cancellation"] = cancellation_check(base_url, config.llm.model_id)
    finally:
        stopping = time.monotonic()
        stop_app()
        result["shutdown_s"] = round(time.monotonic() - stopping, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingress", choices=("default", "haproxy"), default=None,
                        help="local_cluster.ingress_proxy (default: the profile's)")  # fmt: skip
    parser.add_argument("--profile", default="local")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--json", default=None, help="also write the result here")
    args = parser.parse_args(argv)
    result = run(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
