"""Ingress throughput: Ray Serve's Python proxy vs its HAProxy ingress, in one run.

    .venv/bin/python -m loadtest.ingress_bench                 # both ingresses, ~5 min
    .venv/bin/python -m loadtest.ingress_bench --only haproxy --duration 10
    .venv/bin/python -m loadtest.ingress_bench --only haproxy --paths mix --variant K=V

For each ingress a child process starts the app (the LLM and every stage off; one router
replica with unbounded queues) with ``local_cluster.ingress_proxy`` set, then drives two
paths with closed-loop locust users: ``GET /v1/models`` (no-op: ingress + the router's HTTP
layer) and an arithmetic question (the router's small stack answers it, nothing downstream).
Per path: rps, p50/p95/p99, failures, and CPU ms per request of the router replica, the
proxy/HAProxy and all of Ray (from ``/proc``). Then ``py-spy`` samples the router replica
under the arithmetic load for its hot spots. Results: ``loadtest/reports/ingress-<time>/``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from loadtest.report_data import read_stats
from loadtest.runner import LoadPlan, locust_command, run_locust
from loadtest.settings import REPORTS_DIR

INGRESSES = ("default", "haproxy")
# path -> (locust user class, mix); "mix" runs the production mix through every stage
PATHS = {
    "noop": ("NoopUser", "local"),
    "arithmetic": ("MixUser", "router"),
    "mix": ("MixUser", "production"),
}
FULL_APP_OVERRIDES: dict[str, Any] = {
    "llm": {"enabled": False},
    "actions": {"browse": {"allow_hosts": ["127.0.0.1"]}},  # the page server is loopback
}
ROUTER_OVERRIDES: dict[str, Any] = {
    # one client = one API key: keep the per-key limiter on (it is router cost) but unreachable
    "gateway": {"limits": {"requests_per_minute": 100_000_000}},
    "router": {
        "max_ongoing_requests": 256,
        "max_queued_requests": -1,
        "autoscaling_config": {"min_replicas": 1, "max_replicas": 1, "target_ongoing_requests": 64},
    },
}


def measure_path(
    base_url: str,
    path: str,
    users: int,
    duration_s: float,
    out: Path,
    url_base: str | None = None,
    idle_s: float = 10.0,
) -> dict[str, Any]:
    """Closed-loop locust on one path, with the CPU of every Ray process around it.

    An idle window of ``idle_s`` before the load gives each role's background CPU rate
    (metrics pushes, health checks, flush loops); ``*_marginal_ms_per_req`` subtract it, so
    the figure is the work a request adds, not the replica's cost per second of existing
    divided by a low request rate.
    """
    from loadtest.proc_cpu import cpu_delta, descendants

    user_class, mix = PATHS[path]
    common = {"mix": mix, "user_class": user_class, "url_base": url_base}
    warm = LoadPlan(base_url, users=4, duration_s=3, **common)
    warm_dir = out / f"{path}-warmup"
    warm_dir.mkdir(parents=True, exist_ok=True)
    run_locust(locust_command(warm, warm_dir), 60, warm_dir / "locust.log")
    idle_before = descendants()
    time.sleep(idle_s)
    idle = cpu_delta(idle_before, descendants())
    plan = LoadPlan(base_url, users=users, duration_s=duration_s, **common)
    run = out / path
    run.mkdir(parents=True, exist_ok=True)
    before, started = descendants(), time.monotonic()
    run_locust(locust_command(plan, run), duration_s + 60, run / "locust.log")
    after, elapsed = descendants(), time.monotonic() - started
    stats = next((r for r in read_stats(run / "locust_stats.csv") if r["name"] == "Aggregated"), {})
    requests = stats.get("requests", 0)
    cpu = cpu_delta(before, after)
    ray_cpu = sum(v for role, v in cpu.items() if role != "locust")

    def per_request(seconds: float) -> float | None:
        return round(1000 * seconds / requests, 3) if requests else None

    def marginal(role: str) -> float | None:
        background = idle.get(role, 0.0) / idle_s * elapsed if idle_s > 0 else 0.0
        return per_request(max(cpu.get(role, 0.0) - background, 0.0))

    return {
        "path": path,
        "users": users,
        "requests": requests,
        "failures": stats.get("failures", 0),
        "rps": round(requests / duration_s, 1),
        "p50_ms": stats.get("p50"),
        "p95_ms": stats.get("p95"),
        "p99_ms": stats.get("p99"),
        "router_cpu_ms_per_req": per_request(cpu.get("router", 0.0)),
        "router_marginal_ms_per_req": marginal("router") if idle_s > 0 else None,
        "router_idle_cpu_ms_per_s": round(1000 * idle.get("router", 0.0) / idle_s, 2)
        if idle_s > 0
        else None,
        "ingress_cpu_ms_per_req": per_request(cpu.get("proxy", 0.0) + cpu.get("haproxy", 0.0)),
        "ray_cpu_ms_per_req": per_request(ray_cpu),
        "cpu_s_by_role": {k: round(v, 2) for k, v in sorted(cpu.items())},
        "cpu_ms_per_req_by_role": {k: per_request(v) for k, v in sorted(cpu.items())},
        "idle_cpu_ms_per_s_by_role": {
            k: round(1000 * v / idle_s, 2) for k, v in sorted(idle.items()) if idle_s > 0
        },
        "wall_s": round(elapsed, 1),
    }


def profile_router(
    base_url: str, seconds: float, out: Path, mix: str = "router", url_base: str | None = None
) -> dict[str, Any]:
    """py-spy on the router replica while requests of ``mix`` run (16 closed-loop users)."""
    from loadtest.proc_cpu import descendants, pids_of
    from loadtest.pyspy import record

    pids = pids_of("router", descendants())
    if not pids:
        return {"error": "router replica process not found"}
    plan = LoadPlan(
        base_url, mix=mix, user_class="MixUser", users=16, duration_s=seconds + 4, url_base=url_base
    )
    load_dir = out / "profile-load"
    load_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        locust_command(plan, load_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(2)
        profile = record(pids[0], seconds, out / "router-pyspy.txt")
    finally:
        process.wait(timeout=seconds + 60)
    if profile is None:
        return {"error": "py-spy failed"}
    return {
        "samples": profile.samples,
        "top_self": profile.top_self(25),
        "top_inclusive_repo": profile.top_inclusive(25, contains="/work/main/serve"),
        "top_inclusive_all": profile.top_inclusive(40),
    }


def run_child(
    ingress: str,
    users: int,
    duration_s: float,
    out: Path,
    profile_s: float,
    overrides: list[str] | None = None,
    paths: list[str] | None = None,
    tag: str | None = None,
) -> dict:
    """Start the app with ``ingress``, measure the paths, profile, stop.

    Every stage is off unless the ``mix`` path is asked for (then all are on, LLM off).
    """
    from loadtest.eval.webpages import PageServer, make_pages
    from loadtest.local_app import app_config, local_app, stage_overrides
    from loadtest.payloads import load_or_build
    from loadtest.settings import load_loadtest_config
    from serve.config.loader import deep_merge, parse_overrides

    paths = paths or ["noop", "arithmetic"]
    stages = FULL_APP_OVERRIDES if "mix" in paths else stage_overrides()
    settings = deep_merge(stages, ROUTER_OVERRIDES)
    settings = deep_merge(settings, parse_overrides(overrides or []))
    config = app_config("local", settings, ingress=ingress)
    result: dict[str, Any] = {"ingress": tag or ingress, "overrides": overrides or []}
    payload_settings = load_loadtest_config().payloads
    # built here, before the app starts: left to the locust users, every user builds them at
    # once (the mix has images, PDFs and speech) and the measured window serves no request
    load_or_build(payload_settings)
    pages = make_pages(payload_settings.variants, payload_settings.seed)
    folder = out / (tag or ingress)
    with PageServer(pages) as web, local_app(config) as app:
        result["startup_s"] = round(app.startup_s, 1)
        result["paths"] = [
            measure_path(app.base_url, path, users, duration_s, folder, web.base_url)
            for path in paths
        ]
        if profile_s > 0:
            mix = "production" if "mix" in paths else "router"
            result["router_profile"] = profile_router(
                app.base_url, profile_s, folder, mix, web.base_url
            )
        stopping = time.monotonic()
    result["shutdown_s"] = round(time.monotonic() - stopping, 1)
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    head = "ingress  path        users    rps  p50 ms  p95 ms  p99 ms  fail  router ms/req  "
    print(head + "(marginal)  router idle ms/s  ingress ms/req  ray ms/req")
    for result in results:
        for row in result.get("paths", []):
            print(
                f"{result['ingress']:<8} {row['path']:<11} {row['users']:>5} {row['rps']:>6} "
                f"{row['p50_ms'] or 0:>7.0f} {row['p95_ms'] or 0:>7.0f} {row['p99_ms'] or 0:>7.0f} "
                f"{row['failures']:>5} {row['router_cpu_ms_per_req'] or 0:>14.2f} "
                f"{row.get('router_marginal_ms_per_req') or 0:>11.2f} "
                f"{row.get('router_idle_cpu_ms_per_s') or 0:>17.2f} "
                f"{row['ingress_cpu_ms_per_req'] or 0:>15.2f} "
                f"{row['ray_cpu_ms_per_req'] or 0:>11.2f}"
            )


def variant_ratios(results: list[dict[str, Any]]) -> list[str]:
    """``<ingress>+variant / <ingress>`` router CPU per request (all and marginal), per path."""
    by_name = {r.get("ingress"): r for r in results}
    lines = []
    for name, result in by_name.items():
        base = by_name.get(str(name).removesuffix("+variant")) if "+variant" in str(name) else None
        if base is None:
            continue
        base_rows = {row["path"]: row for row in base.get("paths", [])}
        for row in result.get("paths", []):
            before = base_rows.get(row["path"])
            if before is None:
                continue
            for key in ("router_cpu_ms_per_req", "router_marginal_ms_per_req"):
                if row.get(key) and before.get(key):
                    lines.append(
                        f"{name} / {base['ingress']} {row['path']} {key}: "
                        f"{row[key]} / {before[key]} = {row[key] / before[key]:.2f}x"
                    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=INGRESSES, default=None)
    parser.add_argument("--users", type=int, default=32, help="closed-loop locust users")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per path")
    parser.add_argument("--profile", type=float, default=10.0, help="py-spy seconds (0: off)")
    parser.add_argument("--out", default=None, help="results folder")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="K=V",
        help="app config override, e.g. router.shared_traces=false",
    )
    parser.add_argument(
        "--paths",
        default="noop,arithmetic",
        help="comma list of noop, arithmetic, mix (mix: production mix, every stage on)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="K=V",
        help="also measure each ingress with this override, in the same run, and print the "
        "variant's router CPU per request against the base's",
    )
    parser.add_argument("--child", choices=INGRESSES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tag", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = Path(args.out or REPORTS_DIR / f"ingress-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    if args.child:
        result = run_child(
            args.child,
            args.users,
            args.duration,
            out,
            args.profile,
            args.overrides,
            [p for p in args.paths.split(",") if p],
            args.tag,
        )
        (out / f"{args.tag or args.child}.json").write_text(json.dumps(result, indent=2))
        return 0
    results = []
    targets = [(ingress, None, []) for ingress in ([args.only] if args.only else INGRESSES)]
    if args.variant:
        targets += [(ingress, f"{ingress}+variant", args.variant) for ingress, _, _ in targets]
    for ingress, tag, extra in targets:
        cmd = [
            sys.executable, "-m", "loadtest.ingress_bench", "--child", ingress, "--out", str(out),
            "--users", str(args.users), "--duration", str(args.duration),
            "--profile", str(args.profile), "--paths", args.paths,
            *(f"--set={o}" for o in [*args.overrides, *extra]),
            *(["--tag", tag] if tag else []),
        ]  # fmt: skip
        print(f"{tag or ingress}: starting the app and measuring ...", flush=True)
        budget = 240 + 3 * (args.duration + 70) + args.profile
        subprocess.run(cmd, timeout=budget, cwd=Path(__file__).resolve().parents[1], check=False)
        name = tag or ingress
        path = out / f"{name}.json"
        results.append(json.loads(path.read_text()) if path.exists() else {"ingress": name})
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print_table(results)
    for line in variant_ratios(results):
        print(line)
    print(f"results: {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
