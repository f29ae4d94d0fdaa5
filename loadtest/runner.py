"""A bounded load run: locust (headless, one subprocess) + a ``/metrics`` scraper + the report.

    # against a running app (only the given host is contacted):
    .venv/bin/python -m loadtest.runner --host http://127.0.0.1:8000 --shape spike-local
    # start the app here first (spike profile: llm off, short autoscaling delays):
    .venv/bin/python -m loadtest.runner --start-app --profile loadtest/profiles/spike-local.yaml \\
        --shape spike-local --mix router --retry-after 1
    # closed loop instead of a shape:
    .venv/bin/python -m loadtest.runner --host URL --users 16 --duration 20 --user NoopUser

Writes ``loadtest/reports/<time>-<shape>-<mix>/``: locust CSVs, ``requests.csv``,
``serve_metrics.csv``, ``meta.json``, ``report.html``, ``report.png``, ``summary.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loadtest.mix import normalise
from loadtest.payloads import load_or_build, resolve_urls
from loadtest.settings import DEFAULT_CONFIG, LOADTEST_DIR, REPORTS_DIR, load_loadtest_config
from loadtest.shapes import RateSchedule, schedule_from_settings

LOCUSTFILE = LOADTEST_DIR / "locustfile.py"
SHAPEFILE = LOADTEST_DIR / "locust_shape.py"
MAX_RUN_S = 600  # no run here may exceed this, whatever the shape says


@dataclass
class LoadPlan:
    """What to send: a shape from mix.yaml, or a closed loop of ``users`` for ``duration_s``."""

    host: str
    mix: str = "local"
    user_class: str = "MixUser"
    shape: str | None = None
    rate: float | None = None
    users: int = 0
    duration_s: float = 0.0
    pace_rps: float = 0.0
    url_base: str | None = None
    config_path: str = str(DEFAULT_CONFIG)
    extra_meta: dict[str, Any] = field(default_factory=dict)

    def schedule(self) -> RateSchedule | None:
        if not self.shape:
            return None
        config = load_loadtest_config(self.config_path)
        return schedule_from_settings(config.shape(self.shape), self.rate)

    def planned_s(self) -> float:
        schedule = self.schedule()
        return schedule.duration_s if schedule else self.duration_s


def locust_command(plan: LoadPlan, out_dir: Path) -> list[str]:
    """The headless locust command line for ``plan`` (CSV history + per-request log)."""
    files = f"{LOCUSTFILE},{SHAPEFILE}" if plan.shape else str(LOCUSTFILE)
    cmd = [
        sys.executable, "-m", "locust", "-f", files, plan.user_class,
        "--headless", "--host", plan.host,
        "--csv", str(out_dir / "locust"), "--csv-full-history", "--only-summary",
        "--loglevel", "WARNING", "--stop-timeout", "5",
        "--ifz-config", plan.config_path, "--ifz-mix", plan.mix,
        "--ifz-request-log", str(out_dir / "requests.csv"),
    ]  # fmt: skip
    if plan.url_base:
        cmd += ["--ifz-url-base", plan.url_base]
    if plan.pace_rps:
        cmd += ["--ifz-pace", str(plan.pace_rps)]
    if plan.shape:
        cmd += ["--ifz-shape", plan.shape, "-t", f"{int(plan.planned_s() + 10)}s"]
        if plan.rate:
            cmd += ["--ifz-rate", str(plan.rate)]
    else:
        if plan.users <= 0 or plan.duration_s <= 0:
            raise ValueError("a closed-loop run needs users > 0 and duration_s > 0")
        cmd += ["-u", str(plan.users), "-r", str(plan.users), "-t", f"{int(plan.duration_s)}s"]
    return cmd


def run_locust(cmd: list[str], timeout_s: float, log_path: Path) -> int:
    """Run locust in its own process group; killed (group-wide) past ``timeout_s``."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=LOADTEST_DIR.parent,
        )
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                return process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                return process.wait()


def run_dir(plan: LoadPlan, name: str | None = None, root: Path = REPORTS_DIR) -> Path:
    label = name or f"{plan.shape or f'closed{plan.users}'}-{plan.mix}-{plan.user_class}"
    path = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{label}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def execute(
    plan: LoadPlan,
    out_dir: Path,
    *,
    app_name: str | None = None,
    status_probe: Any = None,
    scrape_interval_s: float = 2.0,
    log: Any = print,
) -> dict[str, Any]:
    """Run locust with the scraper beside it, write ``meta.json`` and the report."""
    from loadtest.report import build_report
    from loadtest.scraper import MetricsScraper

    config = load_loadtest_config(plan.config_path)
    payloads = resolve_urls(load_or_build(config.payloads, log=log), plan.url_base)
    weights = (
        normalise(config.mix(plan.mix), {k for k, v in payloads.items() if v})
        if plan.user_class == "MixUser"
        else {}
    )
    schedule = plan.schedule()
    planned = min(plan.planned_s(), MAX_RUN_S)
    cmd = locust_command(plan, out_dir)
    log(f"locust: {plan.shape or 'closed loop'} for {planned:.0f} s against {plan.host}")
    scraper = MetricsScraper(
        plan.host,
        out_dir / "serve_metrics.csv",
        app=app_name,
        interval_s=scrape_interval_s,
        status_probe=status_probe,
    )
    with scraper:
        time.sleep(min(2 * scrape_interval_s, 4))  # a baseline before the load
        started = time.time()
        rc = run_locust(cmd, planned + 60, out_dir / "locust.log")
        time.sleep(min(2 * scrape_interval_s, 4))
    meta = {
        "host": plan.host,
        "shape": plan.shape,
        "rate": plan.rate or (schedule.peak_rps if schedule else None),
        "mix": plan.mix if plan.user_class == "MixUser" else plan.user_class,
        "weights": {k: round(v, 3) for k, v in weights.items()},
        "user_class": plan.user_class,
        "users": plan.users or None,
        "started_at": started,
        "locust_rc": rc,
        "scrapes": scraper.scrapes,
        "scrape_errors": scraper.errors[:5],
        "schedule": {"points": list(schedule.points)} if schedule else {},
        "phases": [asdict(p) for p in schedule.phases] if schedule else [],
        **plan.extra_meta,
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
    summary = build_report(out_dir)
    log(f"report: {summary['html']}")
    return summary


@contextlib.contextmanager
def maybe_page_server(plan: LoadPlan, wanted: bool) -> Iterator[None]:
    """Serve the url category's product pages on loopback when asked and not given."""
    if not wanted or plan.url_base:
        yield
        return
    from loadtest.eval.webpages import PageServer, make_pages

    config = load_loadtest_config(plan.config_path)
    with PageServer(make_pages(config.payloads.variants, config.payloads.seed)) as server:
        plan.url_base = server.base_url
        yield


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--host", help="base URL of a running app (only it is contacted)")
    target.add_argument("--start-app", action="store_true", help="start the app here first")
    add_run_arguments(parser)
    return parser.parse_args(argv)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``python -m loadtest.runner`` and ``ifz loadtest run``."""
    parser.add_argument("--profile", default=None, help="app profile for --start-app")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--ingress", choices=["default", "haproxy"], default=None)
    parser.add_argument(
        "--only-stages",
        default=None,
        metavar="A,B",
        help="--start-app: keep only these perception/action stages ('' for the router alone)",
    )
    parser.add_argument(
        "--retry-after",
        type=float,
        default=None,
        help="--start-app: give Serve's backpressure 503s this Retry-After (shim, see "
        "loadtest/backpressure.py)",
    )
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="mix.yaml")
    parser.add_argument("--mix", default="local")
    parser.add_argument("--user", default="MixUser", choices=["MixUser", "NoopUser"])
    parser.add_argument("--shape", default=None, help="shape in mix.yaml (e.g. spike-local)")
    parser.add_argument("--rate", type=float, default=None, help="override peak/steady rps")
    parser.add_argument("--users", type=int, default=0, help="closed loop: users")
    parser.add_argument("--duration", type=float, default=0.0, help="closed loop: seconds")
    parser.add_argument("--pace", type=float, default=0.0, help="requests/s per user")
    parser.add_argument("--url-base", default=None, help="page server for url requests")
    parser.add_argument(
        "--page-server", action="store_true", help="serve url pages on 127.0.0.1 here"
    )
    parser.add_argument("--name", default=None, help="run directory label")
    parser.add_argument("--scrape-interval", type=float, default=2.0)


def run_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Resolve the target (a host, or an app started here) and execute the run."""
    if not args.shape and not (args.users and args.duration):
        raise SystemExit("give --shape NAME, or --users N and --duration S for a closed loop")
    plan = LoadPlan(
        host=args.host or "",
        mix=args.mix,
        user_class=args.user,
        shape=args.shape,
        rate=args.rate,
        users=args.users,
        duration_s=args.duration,
        pace_rps=args.pace,
        url_base=args.url_base,
        config_path=args.config,
    )
    with maybe_page_server(plan, args.page_server):
        if not args.start_app:
            return execute(plan, run_dir(plan, args.name), scrape_interval_s=args.scrape_interval)
        return _run_with_local_app(plan, args)


def _run_with_local_app(plan: LoadPlan, args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.backpressure import install_backpressure_shim
    from loadtest.local_app import app_config, app_overrides, local_app
    from loadtest.scraper import serve_status_probe

    if args.retry_after is not None:
        install_backpressure_shim(args.retry_after)
    overrides = app_overrides(args.overrides, args.only_stages)
    config = app_config(args.profile, overrides, ingress=args.ingress)
    with local_app(config) as app:
        plan.host = app.base_url
        plan.extra_meta = {
            "ingress": config.local_cluster.ingress_proxy,
            "profile": args.profile or "local",
            "overrides": args.overrides,
            "only_stages": args.only_stages,
            "retry_after_shim": args.retry_after,
            "app_startup_s": round(app.startup_s, 1),
            "router": config.router.model_dump(
                include={"max_ongoing_requests", "max_queued_requests", "autoscaling_config"}
            ),
        }
        return execute(
            plan,
            run_dir(plan, args.name),
            app_name=config.app_name,
            status_probe=serve_status_probe(config.app_name),
            scrape_interval_s=args.scrape_interval,
        )


def main(argv: list[str] | None = None) -> int:
    summary = run_from_args(_parse_args(argv))
    print(json.dumps({k: v for k, v in summary.items() if k != "scaling"}, indent=2))
    for row in summary.get("scaling", []):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
