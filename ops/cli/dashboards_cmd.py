"""`ifz dashboards push|export`: Grafana dashboards of interfaze-serve."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def cmd_push(args: argparse.Namespace) -> int:
    from ops.k8s.dashboards import all_dashboards
    from ops.k8s.grafana import GrafanaError, GrafanaPusher, parse_basic_auth

    api_key = args.api_key or os.environ.get("GRAFANA_API_KEY") or None
    try:
        basic = parse_basic_auth(args.basic_auth) if args.basic_auth else None
    except ValueError as exc:
        print(f"ifz: {exc}", file=sys.stderr)
        return 2
    pusher = GrafanaPusher.connect(args.grafana_url, api_key=api_key, basic_auth=basic)
    try:
        pusher.push(
            [d.to_json() for d in all_dashboards()],
            prometheus_url=None if args.no_datasource else args.prometheus_url,
            datasource_name=args.datasource_name,
            folder=args.folder,
        )
    except GrafanaError as exc:
        print(f"ifz: grafana: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ops.k8s.dashboards import all_dashboards, dashboard_json_text

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for dashboard in all_dashboards():
        path = out / f"{dashboard.uid}.json"
        path.write_text(dashboard_json_text(dashboard))
        print(f"wrote {path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `ifz dashboards ...` to the top-level parser."""
    from ops.k8s.dashboards import DEFAULT_PROMETHEUS_URL

    dash_p = subparsers.add_parser("dashboards", help="Grafana dashboards: push or export")
    dash_sub = dash_p.add_subparsers(dest="dashboards_command", required=True)

    push_p = dash_sub.add_parser("push", help="create the datasource and dashboards in Grafana")
    push_p.add_argument("--grafana-url", required=True, help="e.g. http://grafana.example:3000")
    auth = push_p.add_mutually_exclusive_group()
    auth.add_argument("--api-key", default=None, help="service account token ($GRAFANA_API_KEY)")
    auth.add_argument("--basic-auth", default=None, metavar="USER:PASSWORD")
    push_p.add_argument(
        "--prometheus-url",
        default=DEFAULT_PROMETHEUS_URL,
        help="URL Grafana uses to reach Prometheus (the datasource)",
    )
    push_p.add_argument("--datasource-name", default="interfaze-prometheus")
    push_p.add_argument(
        "--no-datasource",
        action="store_true",
        help="use an existing datasource named --datasource-name instead of creating one",
    )
    push_p.add_argument("--folder", default="Interfaze", help="Grafana folder")
    push_p.set_defaults(func=cmd_push)

    export_p = dash_sub.add_parser("export", help="write the dashboards as JSON files")
    export_p.add_argument("-o", "--output", default=".", help="directory")
    export_p.set_defaults(func=cmd_export)
