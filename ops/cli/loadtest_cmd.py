"""`ifz loadtest run|report|ingress`: bounded load runs, their HTML/PNG reports, ingress bench.

The ``loadtest`` package lives in the source checkout beside ``serve/`` (it is not installed
with the wheel); these commands find it there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _import_loadtest() -> None:
    """Make the checkout's ``loadtest`` package importable (``ifz`` runs from any cwd)."""
    try:
        import loadtest  # noqa: F401
    except ImportError:
        root = Path(__file__).resolve().parents[2]
        if not (root / "loadtest" / "__init__.py").exists():
            raise SystemExit(
                "ifz loadtest: needs the source checkout (loadtest/ beside serve/)"
            ) from None
        sys.path.insert(0, str(root))


def cmd_run(args: argparse.Namespace) -> int:
    from loadtest.runner import run_from_args

    if not args.host and not args.start_app:
        print("ifz loadtest run: give --host URL or --start-app", file=sys.stderr)
        return 2
    summary = run_from_args(args)
    print(json.dumps({k: v for k, v in summary.items() if k != "scaling"}, indent=2))
    for row in summary.get("scaling", []):
        print(json.dumps(row))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from loadtest.report import build_report

    summary = build_report(args.directory, args.bin)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_ingress(args: argparse.Namespace) -> int:
    from loadtest.ingress_bench import main as bench_main

    argv = ["--users", str(args.users), "--duration", str(args.duration)]
    argv += ["--profile", str(args.profile_s)]
    if args.only:
        argv += ["--only", args.only]
    return bench_main(argv)


def register(subparsers: argparse._SubParsersAction) -> None:
    _import_loadtest()
    from loadtest.runner import add_run_arguments

    parser = subparsers.add_parser("loadtest", help="load runs, reports and ingress benchmarks")
    sub = parser.add_subparsers(dest="loadtest_command", required=True)

    run_p = sub.add_parser(
        "run",
        help="locust (spike/steady shape or closed loop) + /metrics scraper + report",
        description="Sends only to --host (or to the app started here with --start-app).",
    )
    target = run_p.add_mutually_exclusive_group()
    target.add_argument("--host", default=None, help="base URL of a running app")
    target.add_argument("--start-app", action="store_true", help="start the app here first")
    add_run_arguments(run_p)
    run_p.set_defaults(func=cmd_run)

    report_p = sub.add_parser("report", help="HTML + PNG report of a run directory")
    report_p.add_argument("directory", help="loadtest/reports/<run>")
    report_p.add_argument("--bin", type=float, default=1.0, help="seconds per time bin")
    report_p.set_defaults(func=cmd_report)

    ingress_p = sub.add_parser("ingress", help="default proxy vs HAProxy: rps, latency, CPU")
    ingress_p.add_argument("--only", choices=["default", "haproxy"], default=None)
    ingress_p.add_argument("--users", type=int, default=32)
    ingress_p.add_argument("--duration", type=float, default=15.0)
    ingress_p.add_argument("--profile-s", type=float, default=10.0, help="py-spy seconds")
    ingress_p.set_defaults(func=cmd_ingress)
