"""Every metric that a Grafana panel or a Prometheus alert reads is exported by the real app.

Sends chat requests to the running application, then scrapes its GET /metrics (Ray's
Prometheus text: ray_serve_* and the router's ray_ifz_*) until every name appears.
"""

from __future__ import annotations

import time

import httpx
import pytest

from ops.k8s.dashboards import all_dashboards, expressions, metric_names, rule_expressions
from ops.k8s.helm import CHART_DIR

pytestmark = pytest.mark.integration


def _used_metrics() -> dict[str, set[str]]:
    """metric name -> where it is used (panel titles, alert rules)."""
    used: dict[str, set[str]] = {}
    for dashboard in all_dashboards():
        for panel in dashboard.to_json()["panels"]:
            for expr in expressions({"panels": [panel]}):
                for name in metric_names(expr):
                    used.setdefault(name, set()).add(f"panel {panel['title']!r}")
    rules = (CHART_DIR / "files" / "prometheus-rules.yaml").read_text()
    for expr in rule_expressions(rules):
        for name in metric_names(expr):
            used.setdefault(name, set()).add("alert rules")
    return used


def _exported(text: str) -> set[str]:
    return {
        line.split("{", 1)[0].split(" ", 1)[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_dashboard_and_alert_metrics_are_exported(running_app):
    base = running_app.base_url
    for question in ("What is the capital of France?", "Name a primary colour."):
        response = httpx.post(
            f"{base}/v1/chat/completions",
            json={
                "model": "interfaze",
                "messages": [{"role": "user", "content": question}],
                "max_tokens": 4,
            },
            timeout=120,
        )
        assert response.status_code == 200, response.text
    used = _used_metrics()
    assert len(used) >= 10
    missing: set[str] = set(used)
    deadline = time.monotonic() + 90  # Ray's metrics agent exports every few seconds
    while time.monotonic() < deadline:
        missing = set(used) - _exported(httpx.get(f"{base}/metrics", timeout=30).text)
        if not missing:
            break
        time.sleep(3)
    assert not missing, {name: sorted(used[name]) for name in sorted(missing)}
