"""Grafana dashboards, built in Python and written as JSON by ``python -m ops.k8s.sync``.

Every query names only metrics the application exports (checked against a real ``/metrics``
scrape by ``tests/integration/test_dashboards_metrics.py``): the router's ``ray_ifz_*`` series
and Ray Serve's own ``ray_serve_*`` series. There is no cost panel: no cost metric exists yet.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

DATASOURCE_VAR = "datasource"
DEFAULT_PROMETHEUS_URL = "http://prometheus-operated.monitoring.svc:9090"
_DS = {"type": "prometheus", "uid": f"${{{DATASOURCE_VAR}}}"}
RATE = "$__rate_interval"
_METRIC = re.compile(r"\b(ray_[a-zA-Z0-9_]+)")


@dataclass
class Target:
    expr: str
    legend: str = ""


@dataclass
class Panel:
    """One panel: a time series (default) or a single stat."""

    title: str
    targets: list[Target]
    unit: str = "short"
    description: str = ""
    kind: str = "timeseries"
    width: int = 12
    height: int = 8
    decimals: int | None = None
    thresholds: list[tuple[float, str]] = field(default_factory=list)

    def to_json(self, panel_id: int, x: int, y: int) -> dict[str, Any]:
        defaults: dict[str, Any] = {"unit": self.unit}
        if self.decimals is not None:
            defaults["decimals"] = self.decimals
        if self.thresholds:
            defaults["thresholds"] = {
                "mode": "absolute",
                "steps": [{"color": "green", "value": None}]
                + [{"color": color, "value": value} for value, color in self.thresholds],
            }
        options: dict[str, Any] = (
            {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}
            if self.kind == "timeseries"
            else {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
        )
        return {
            "id": panel_id,
            "type": self.kind,
            "title": self.title,
            "description": self.description,
            "datasource": _DS,
            "gridPos": {"h": self.height, "w": self.width, "x": x, "y": y},
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options,
            "targets": [
                {
                    "refId": chr(ord("A") + i),
                    "datasource": _DS,
                    "expr": t.expr,
                    "legendFormat": t.legend,
                }
                for i, t in enumerate(self.targets)
            ],
        }


@dataclass
class Row:
    title: str
    panels: list[Panel]


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    rows: list[Row]
    tags: list[str] = field(default_factory=lambda: ["interfaze", "ray-serve"])

    def to_json(self) -> dict[str, Any]:
        """The Grafana dashboard model (schemaVersion 39), rows laid out on a 24-column grid."""
        panels: list[dict[str, Any]] = []
        next_id, y = 1, 0
        for row in self.rows:
            panels.append(
                {
                    "id": next_id,
                    "type": "row",
                    "title": row.title,
                    "collapsed": False,
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                    "panels": [],
                }
            )
            next_id, y, x, row_height = next_id + 1, y + 1, 0, 0
            for panel in row.panels:
                if x + panel.width > 24:
                    x, y, row_height = 0, y + row_height, 0
                panels.append(panel.to_json(next_id, x, y))
                next_id, x, row_height = next_id + 1, x + panel.width, max(row_height, panel.height)
            y += row_height
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": self.tags,
            "editable": True,
            "schemaVersion": 39,
            "version": 1,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "timezone": "",
            "graphTooltip": 1,
            "templating": {
                "list": [
                    {
                        "name": DATASOURCE_VAR,
                        "label": "Prometheus",
                        "type": "datasource",
                        "query": "prometheus",
                        "current": {},
                        "hide": 0,
                        "refresh": 1,
                    }
                ]
            },
            "annotations": {"list": []},
            "panels": panels,
        }


def _quantile(q: float, metric: str, by: str) -> str:
    return f"histogram_quantile({q}, sum by (le, {by}) (rate({metric}_bucket[{RATE}])))"


def overview() -> Dashboard:
    """Requests, latency per stage, escalation share, LLM tokens, replicas, queue depth."""
    requests = f"sum(rate(ray_ifz_requests_total[{RATE}]))"
    escalations = f"sum(rate(ray_ifz_escalations_total[{RATE}]))"
    return Dashboard(
        uid="interfaze-overview",
        title="Interfaze / overview",
        description=(
            "interfaze-serve: traffic, latency per pipeline stage, LLM escalation share and "
            "tokens, Ray Serve replicas and queues. No cost panel yet: the app exports no "
            "cost metric."
        ),
        rows=[
            Row(
                "Traffic",
                [
                    Panel(
                        "Requests by route and status",
                        [
                            Target(
                                f"sum by (route, status) (rate(ray_ifz_requests_total[{RATE}]))",
                                "{{route}} {{status}}",
                            )
                        ],
                        unit="reqps",
                        description="Chat requests the router finished, per second.",
                    ),
                    Panel(
                        "Server errors per minute",
                        [
                            Target(
                                f'sum(rate(ray_ifz_requests_total{{status=~"5.."}}[{RATE}])) * 60',
                                "5xx / min",
                            )
                        ],
                        description="HTTP 5xx per minute; the InterfazeErrorsHigh alert is > 3.",
                        thresholds=[(3, "red")],
                        width=6,
                    ),
                    Panel(
                        "HTTP requests at the Serve proxy",
                        [
                            Target(
                                "sum by (application, status_code) "
                                f"(rate(ray_serve_num_http_requests_total[{RATE}]))",
                                "{{application}} {{status_code}}",
                            )
                        ],
                        unit="reqps",
                        description="Every HTTP request Ray Serve's proxies received.",
                        width=6,
                    ),
                ],
            ),
            Row(
                "Latency",
                [
                    Panel(
                        "Request latency by route (p50, p95)",
                        [
                            Target(
                                _quantile(0.5, "ray_ifz_request_latency_ms", "route"),
                                "p50 {{route}}",
                            ),
                            Target(
                                _quantile(0.95, "ray_ifz_request_latency_ms", "route"),
                                "p95 {{route}}",
                            ),
                        ],
                        unit="ms",
                        description="End-to-end latency in the router.",
                    ),
                    Panel(
                        "Stage latency p95",
                        [Target(_quantile(0.95, "ray_ifz_stage_latency_ms", "stage"), "{{stage}}")],
                        unit="ms",
                        description="Latency of each pipeline stage (perception, actions, LLM).",
                    ),
                    Panel(
                        "Stage latency p50",
                        [Target(_quantile(0.5, "ray_ifz_stage_latency_ms", "stage"), "{{stage}}")],
                        unit="ms",
                    ),
                    Panel(
                        "Deployment processing latency p95",
                        [
                            Target(
                                _quantile(
                                    0.95,
                                    "ray_serve_deployment_processing_latency_ms",
                                    "application, deployment",
                                ),
                                "{{deployment}}",
                            )
                        ],
                        unit="ms",
                        description="Time a replica spends on a request, per Serve deployment.",
                    ),
                ],
            ),
            Row(
                "Escalation and LLM",
                [
                    Panel(
                        "Escalation share",
                        [Target(f"{escalations} / {requests}", "escalated")],
                        unit="percentunit",
                        kind="stat",
                        description="Share of requests answered by the final LLM (alert > 30%).",
                        thresholds=[(0.3, "red")],
                        width=6,
                        decimals=1,
                    ),
                    Panel(
                        "Escalation share by route",
                        [
                            Target(
                                f"sum by (route) (rate(ray_ifz_escalations_total[{RATE}])) / "
                                f"sum by (route) (rate(ray_ifz_requests_total[{RATE}]))",
                                "{{route}}",
                            )
                        ],
                        unit="percentunit",
                        width=6,
                    ),
                    Panel(
                        "LLM tokens per second",
                        [
                            Target(
                                f"sum by (kind) (rate(ray_ifz_llm_tokens_total[{RATE}]))",
                                "{{kind}}",
                            )
                        ],
                        unit="short",
                        description="Prompt and completion tokens of escalated requests.",
                        width=6,
                    ),
                    Panel(
                        "LLM tokens per request",
                        [
                            Target(
                                f"sum by (kind) (rate(ray_ifz_llm_tokens_total[{RATE}])) "
                                f"/ ignoring(kind) group_left {requests}",
                                "{{kind}}",
                            )
                        ],
                        description="Tokens per request over all requests, escalated or not.",
                        width=6,
                    ),
                ],
            ),
            Row(
                "Capacity",
                [
                    Panel(
                        "Healthy replicas per deployment",
                        [
                            Target(
                                "sum by (application, deployment) "
                                "(ray_serve_deployment_replica_healthy)",
                                "{{deployment}}",
                            ),
                        ],
                        description="Running, healthy Serve replicas.",
                    ),
                    Panel(
                        "Autoscaler target replicas",
                        [
                            Target(
                                "max by (application, deployment) "
                                "(ray_serve_autoscaling_target_replicas)",
                                "{{deployment}}",
                            )
                        ],
                        description="Replicas the Serve autoscaler is moving each deployment to.",
                    ),
                    Panel(
                        "Queue depth per deployment",
                        [
                            Target(
                                "sum by (application, deployment) "
                                "(ray_serve_deployment_queued_queries)",
                                "{{deployment}}",
                            )
                        ],
                        description="Requests waiting in callers for a replica of the deployment.",
                    ),
                    Panel(
                        "Requests in flight per deployment",
                        [
                            Target(
                                "sum by (application, deployment) "
                                "(ray_serve_replica_processing_queries)",
                                "{{deployment}}",
                            )
                        ],
                        description="Requests replicas are processing now.",
                    ),
                ],
            ),
        ],
    )


def all_dashboards() -> list[Dashboard]:
    return [overview()]


def dashboard_json_text(dashboard: Dashboard) -> str:
    return json.dumps(dashboard.to_json(), indent=2) + "\n"


def expressions(model: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard model."""
    return [t["expr"] for p in model.get("panels", []) for t in p.get("targets", [])]


def rule_expressions(rules_text: str) -> list[str]:
    """Every PromQL expression (recording and alerting) of a Prometheus rule file."""
    import yaml

    groups = yaml.safe_load(rules_text)["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def metric_names(expression: str) -> set[str]:
    """Names of the exported series (``ray_*``) an expression reads."""
    return set(_METRIC.findall(expression))
