"""Ray calls per request, by request category: what the router asks of Ray for each path.

    .venv/bin/python -m loadtest.ray_calls                    # production mix, 6 per category
    .venv/bin/python -m loadtest.ray_calls --requests 10 --categories arithmetic,pdf

Starts the app as ``loadtest.ingress_bench --paths mix`` does (every stage on, the LLM off,
one router replica) with the workers' call counter on (:data:`COUNT_CALLS_ENV`): every Ray
worker counts its deployment-handle calls (``handle <deployment>.<method>``) and actor calls
(``actor <method>``). An idle window first gives each process role's background calls per
second; then each category's requests are sent one at a time and the router's calls (and the
whole cluster's) are divided by the number of requests. The router's CPU per request is also
split by thread (Python's threads vs Ray's C++ ones: ``main`` is the core worker's loop);
``--profile-dir`` py-spies the router per category, ``--profile-gil`` only while it holds the
GIL (Python's own CPU, so threads blocked in C do not look busy). Needs the heavy lock.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from loadtest.proc_cpu import role_of
from loadtest.settings import REPORTS_DIR
from ops.cli.ray_worker_hook import COUNT_CALLS_ENV, COUNT_WRITE_S

CHAT_PATH = "/v1/chat/completions"


def read_counts(folder: Path) -> dict[str, Counter[str]]:
    """``{role: Counter(call -> n)}`` over every worker that wrote its counts to ``folder``."""
    totals: dict[str, Counter[str]] = {}
    for path in folder.glob("*.json"):
        try:
            counts = json.loads(path.read_text())
            cmdline = Path(f"/proc/{path.stem}/cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError):
            continue  # a worker that exited (its calls are gone with it)
        totals.setdefault(role_of(cmdline.decode(errors="replace")), Counter()).update(counts)
    return totals


def diff(after: dict[str, Counter[str]], before: dict[str, Counter[str]]) -> dict[str, Counter]:
    out: dict[str, Counter[str]] = {}
    for role, counts in after.items():
        delta = counts - before.get(role, Counter())
        if delta:
            out[role] = delta
    return out


def per_unit(counts: dict[str, Counter[str]], n: float) -> dict[str, dict[str, float]]:
    return {
        role: {call: round(v / n, 2) for call, v in sorted(c.items())}
        for role, c in sorted(counts.items())
    }


def send(base_url: str, body: str, timeout_s: float = 60.0) -> int:
    request = urllib.request.Request(
        base_url + CHAT_PATH, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def measure(
    base_url: str,
    folder: Path,
    payloads: dict[str, list[str]],
    requests: int,
    idle_s: float,
    profile_dir: Path | None = None,
    gil_only: bool = False,
) -> dict[str, Any]:
    """Idle background, then each category's calls and router CPU per request (and, with
    ``profile_dir``, py-spy on the router while that category's requests run)."""
    from loadtest.proc_cpu import cpu_delta, descendants, pids_of, thread_cpu, thread_cpu_delta
    from loadtest.pyspy import recording

    for bodies in payloads.values():  # first calls (connections, caches) are not the figure
        for body in bodies:
            send(base_url, body)
    time.sleep(3 * COUNT_WRITE_S)
    router_pids = pids_of("router", descendants()) if profile_dir else []
    with ExitStack() as stack:
        if profile_dir and router_pids:  # what the router does with no request
            stack.enter_context(
                recording(router_pids[0], profile_dir / "idle.txt", gil_only=gil_only)
            )
        before, cpu_before = read_counts(folder), descendants()
        time.sleep(idle_s)
        idle = diff(read_counts(folder), before)
        idle_router_cpu_s = cpu_delta(cpu_before, descendants()).get("router", 0.0) / idle_s
    result: dict[str, Any] = {
        "idle_calls_per_s": per_unit(idle, idle_s),
        "router_idle_cpu_ms_per_s": round(1000 * idle_router_cpu_s, 2),
        "categories": {},
    }
    for category, bodies in payloads.items():
        time.sleep(3 * COUNT_WRITE_S)
        router_pids = pids_of("router", descendants())
        with ExitStack() as stack:
            profiles = (
                stack.enter_context(
                    recording(router_pids[0], profile_dir / f"{category}.txt", gil_only=gil_only)
                )
                if profile_dir and router_pids
                else []
            )
            threads_before = thread_cpu(router_pids[0]) if router_pids else {}
            before, cpu_before, started = read_counts(folder), descendants(), time.monotonic()
            statuses = Counter(send(base_url, bodies[i % len(bodies)]) for i in range(requests))
            elapsed = time.monotonic() - started
            router_cpu_s = cpu_delta(cpu_before, descendants()).get("router", 0.0)
            threads = (
                thread_cpu_delta(threads_before, thread_cpu(router_pids[0])) if router_pids else {}
            )
        time.sleep(3 * COUNT_WRITE_S)
        calls = diff(read_counts(folder), before)
        background = {r: Counter({k: v * (elapsed + 3 * COUNT_WRITE_S) for k, v in c.items()})
                      for r, c in idle.items()}  # fmt: skip
        router = calls.get("router", Counter())
        result["categories"][category] = {
            "statuses": dict(statuses),
            "router_cpu_ms_per_request": round(1000 * router_cpu_s / requests, 2),
            "router_marginal_cpu_ms_per_request": round(
                1000 * max(router_cpu_s - idle_router_cpu_s * elapsed, 0.0) / requests, 2
            ),
            "router_per_request": per_unit({"router": router}, requests).get("router", {}),
            "router_background_per_request": per_unit(
                {"router": background.get("router", Counter())}, requests
            ).get("router", {}),
            "all_per_request": per_unit(calls, requests),
            "router_threads_ms_per_request": {
                name: round(1000 * cpu_s / requests, 2) for name, cpu_s in threads.items()
            },
        }
        if profiles:
            result["categories"][category]["router_profile_top_inclusive"] = profiles[
                0
            ].top_inclusive(40)
    return result


def print_table(result: dict[str, Any]) -> None:
    print("router calls per request (idle background of the same window not subtracted),")
    print(
        f"router CPU ms per request (marginal: less the idle "
        f"{result['router_idle_cpu_ms_per_s']:g} ms/s):"
    )
    for category, row in result["categories"].items():
        calls = ", ".join(f"{k} {v:g}" for k, v in row["router_per_request"].items())
        total = row["router_cpu_ms_per_request"]
        marginal = row["router_marginal_cpu_ms_per_request"]
        cpu = f"{total:g} ({marginal:g})"
        print(f"  {category:<11} {row['statuses']}  cpu {cpu}  {calls}")
        threads = list(row.get("router_threads_ms_per_request", {}).items())[:6]
        if threads:
            print("    by thread: " + ", ".join(f"{name} {ms:g}" for name, ms in threads))
    print("idle calls per second by role:")
    for role, calls in result["idle_calls_per_s"].items():
        print(f"  {role:<20} " + ", ".join(f"{k} {v:g}" for k, v in calls.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6, help="requests per category")
    parser.add_argument("--categories", default="", help="comma list (default: the mix's)")
    parser.add_argument("--idle", type=float, default=10.0, help="idle window seconds")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--json", default=None, help="write the result here")
    parser.add_argument(
        "--profile-dir", default=None, help="py-spy the router per category into this folder"
    )
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="profile only the thread holding the GIL (Python's own CPU)",
    )
    args = parser.parse_args(argv)

    from loadtest.eval.webpages import PageServer, make_pages
    from loadtest.ingress_bench import FULL_APP_OVERRIDES, ROUTER_OVERRIDES
    from loadtest.local_app import app_config, local_app
    from loadtest.payloads import load_or_build, resolve_urls
    from loadtest.settings import load_loadtest_config
    from serve.config.loader import deep_merge, parse_overrides

    settings = deep_merge(FULL_APP_OVERRIDES, ROUTER_OVERRIDES)
    settings = deep_merge(settings, parse_overrides(args.overrides))
    config = app_config("local", settings, ingress="haproxy")
    loadtest = load_loadtest_config()
    wanted = [c for c in args.categories.split(",") if c] or list(
        loadtest.mixes["production"].keys()
    )
    folder = Path(tempfile.mkdtemp(prefix="ifz-calls-", dir="/tmp"))
    os.environ[COUNT_CALLS_ENV] = str(folder)
    payloads = load_or_build(loadtest.payloads)
    pages = make_pages(loadtest.payloads.variants, loadtest.payloads.seed)
    with PageServer(pages) as web:
        payloads = resolve_urls(payloads, web.base_url)
        chosen = {c: payloads[c] for c in wanted if payloads.get(c)}
        with local_app(config) as app:
            profile_dir = Path(args.profile_dir) if args.profile_dir else None
            if profile_dir:
                profile_dir.mkdir(parents=True, exist_ok=True)
            result = measure(
                app.base_url,
                folder,
                chosen,
                args.requests,
                args.idle,
                profile_dir,
                gil_only=args.profile_gil,
            )
    result["overrides"] = args.overrides
    print_table(result)
    out = Path(args.json) if args.json else REPORTS_DIR / "ray_calls.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
