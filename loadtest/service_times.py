"""Per-category service times: one request at a time, with each stage's own time.

    .venv/bin/python -m loadtest.service_times --start-app       # LLM off, every stage on
    .venv/bin/python -m loadtest.service_times --host http://127.0.0.1:8000 --rounds 2

Sends every pre-generated payload of each category sequentially (no queueing, so latency is
service time) and reads ``interfaze.timings_ms`` from each response: the per-stage
milliseconds that the capacity plan (``loadtest/CAPACITY.md``) scales up. With
``--start-app`` it also reads the CPU each Ray process spent per request (router, each stage's
replicas, the trace store...) from ``/proc``, less the idle background. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from typing import Any

import httpx

from loadtest.payloads import load_or_build, resolve_urls
from loadtest.settings import REPORTS_DIR, load_loadtest_config

APP_OVERRIDES: dict[str, Any] = {
    "llm": {"enabled": False},
    "gateway": {"limits": {"requests_per_minute": 100_000_000}},
    "actions": {"browse": {"allow_hosts": ["127.0.0.1"]}},  # the page server is on 127.0.0.1
}


def _cpu_snapshot(enabled: bool) -> list[Any]:
    from loadtest.proc_cpu import descendants

    return descendants() if enabled else []


def _cpu_ms_per_request(
    before: list[Any], after: list[Any], elapsed_s: float, idle: dict[str, float], n: int
) -> dict[str, float]:
    """CPU ms per request by role, less the idle background rate over the same time."""
    from loadtest.proc_cpu import cpu_delta

    spent = cpu_delta(before, after)
    return {
        role: round(1000 * (cpu - idle.get(role, 0.0) * elapsed_s) / n, 2)
        for role, cpu in sorted(spent.items())
        if role not in ("locust",) and cpu - idle.get(role, 0.0) * elapsed_s > 0.0005 * n
    }


def idle_rates(seconds: float = 4.0) -> dict[str, float]:
    """Background CPU seconds per second by role (health checks, metrics) with no traffic."""
    from loadtest.proc_cpu import cpu_delta, descendants

    before = descendants()
    time.sleep(seconds)
    return {k: v / seconds for k, v in cpu_delta(before, descendants()).items()}


def measure(
    base_url: str,
    payloads: dict[str, list[str]],
    rounds: int,
    idle: dict[str, float] | None = None,
) -> dict[str, Any]:
    """``{category: {requests, statuses, latency_ms_p50, stages_ms_p50, cpu_ms_per_request}}``.

    CPU per role is read only when ``idle`` (the background rates) is given, i.e. when the
    app runs under this process.
    """
    out: dict[str, Any] = {}
    with httpx.Client(timeout=120) as client:
        for category, bodies in payloads.items():
            before, started_at = _cpu_snapshot(idle is not None), time.monotonic()
            latencies: list[float] = []
            statuses: dict[str, int] = defaultdict(int)
            stages: dict[str, list[float]] = defaultdict(list)
            escalated = 0
            for _ in range(rounds):
                for body in bodies:
                    started = time.perf_counter()
                    response = client.post(
                        f"{base_url}/v1/chat/completions",
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                    latencies.append(1000 * (time.perf_counter() - started))
                    statuses[str(response.status_code)] += 1
                    if response.status_code != 200:
                        continue
                    meta = response.json().get("interfaze") or {}
                    escalated += bool(meta.get("escalated"))
                    for stage, ms in (meta.get("timings_ms") or {}).items():
                        stages[stage].append(float(ms))
            after, elapsed = _cpu_snapshot(idle is not None), time.monotonic() - started_at
            out[category] = {
                "requests": len(latencies),
                "statuses": dict(statuses),
                "escalated": escalated,
                "latency_ms_p50": round(statistics.median(latencies), 1),
                "stages_ms_p50": {s: round(statistics.median(v), 1) for s, v in stages.items()},
                "body_kib": round(statistics.mean(len(b) for b in bodies) / 1024, 1),
            }
            if idle is not None:
                out[category]["cpu_ms_per_request"] = _cpu_ms_per_request(
                    before, after, elapsed, idle, len(latencies)
                )
    return out


def print_table(results: dict[str, Any]) -> None:
    for category, row in results.items():
        stages = ", ".join(f"{k} {v:g}" for k, v in row["stages_ms_p50"].items())
        print(
            f"{category:<11} n={row['requests']:<3} {row['statuses']}  "
            f"p50 {row['latency_ms_p50']:>7.1f} ms  stages: {stages}"
        )
        if "cpu_ms_per_request" in row:
            cpu = ", ".join(f"{k} {v:g}" for k, v in row["cpu_ms_per_request"].items())
            print(f"{'':<11} CPU ms/request: {cpu}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--host", help="base URL of a running app")
    target.add_argument("--start-app", action="store_true", help="start the app here first")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the payloads")
    parser.add_argument("--url-base", default=None, help="page server (default: one here)")
    args = parser.parse_args(argv)

    from loadtest.eval.webpages import PageServer, make_pages

    config = load_loadtest_config()
    pages = make_pages(config.payloads.variants, config.payloads.seed)
    with PageServer(pages) as server:
        payloads = resolve_urls(load_or_build(config.payloads), args.url_base or server.base_url)
        if args.host:
            results = measure(args.host, payloads, args.rounds)
        else:
            from loadtest.local_app import app_config, local_app

            with local_app(app_config("local", APP_OVERRIDES)) as app:
                measure(app.base_url, payloads, 1)  # warm-up: first calls load models
                results = measure(app.base_url, payloads, args.rounds, idle_rates())
    path = REPORTS_DIR / f"service-times-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
