"""`ifz trace ID`: pretty-print a request's decision trace."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx


def format_trace(trace: dict[str, Any]) -> str:
    """A readable summary: plan, each stage with timing and summary, then the verdict."""
    lines = [
        f"trace {trace['trace_id']}  model {trace.get('model')}  status {trace.get('status')}",
        f"route {trace.get('route')}  plan {' → '.join(trace.get('plan') or [])}",
    ]
    if trace.get("inputs"):
        lines.append(f"inputs {json.dumps(trace['inputs'])}")
    for stage in trace.get("stages") or []:
        summary = json.dumps(stage.get("summary") or {}, default=str)
        lines.append(
            f"  {stage['started_ms']:>9.1f} ms  {stage['name']:<10} {stage['duration_ms']:>9.1f} ms"
            f"  {stage.get('status', 'ok'):<8} {summary[:160]}"
        )
    if trace.get("skipped"):
        lines.append(f"skipped {json.dumps(trace['skipped'])}")
    lines.append(
        f"confidence {trace.get('confidence', 0):.2f}  escalated {trace.get('escalated')}"
        + (f" ({trace['escalation_reason']})" if trace.get("escalation_reason") else "")
    )
    if trace.get("error"):
        lines.append(f"error {trace['error']}")
    return "\n".join(lines)


def cmd_trace(args: argparse.Namespace) -> int:
    url = f"{args.base_url.rstrip('/')}/traces/{args.trace_id}"
    try:
        response = httpx.get(url, timeout=30)
    except httpx.HTTPError as exc:
        print(f"ifz trace: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    if response.status_code != 200:
        message = response.json().get("error", {}).get("message", response.text)
        print(f"ifz trace: HTTP {response.status_code}: {message}", file=sys.stderr)
        return 1
    trace = response.json()
    print(json.dumps(trace, indent=2) if args.json else format_trace(trace))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("trace", help="show a request's decision trace")
    parser.add_argument("trace_id")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--json", action="store_true", help="print the raw JSON")
    parser.set_defaults(func=cmd_trace)
