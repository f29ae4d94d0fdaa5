"""Alert rules: promtool check + unit tests; dashboard queries are valid PromQL."""

from __future__ import annotations

import subprocess

from ops.k8s.dashboards import (
    RATE,
    all_dashboards,
    expressions,
    metric_names,
    rule_expressions,
)
from ops.k8s.helm import CHART_DIR, REPO_ROOT

RULES = REPO_ROOT / "k8s" / "prometheus" / "rules.yaml"
RULES_TEST = REPO_ROOT / "k8s" / "prometheus" / "rules_test.yaml"


def _promtool(promtool: str, *args: str) -> str:
    proc = subprocess.run([promtool, *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_rules_check(promtool):
    out = _promtool(promtool, "check", "rules", str(RULES))
    assert "SUCCESS: 5 rules found" in out
    _promtool(promtool, "check", "rules", str(CHART_DIR / "files" / "prometheus-rules.yaml"))


def test_rules_unit_tests(promtool):
    out = _promtool(promtool, "test", "rules", str(RULES_TEST))
    assert "SUCCESS" in out


def test_dashboard_queries_are_valid_promql(promtool, tmp_path):
    """Each panel query as a recording rule, so that promtool parses it."""
    lines = ["groups:", "  - name: dashboards", "    rules:"]
    for dashboard in all_dashboards():
        for i, expr in enumerate(expressions(dashboard.to_json())):
            promql = expr.replace(RATE, "5m").replace("'", "''")
            lines += [f"      - record: dashboard:q{i}", f"        expr: '{promql}'"]
    path = tmp_path / "dashboards.rules.yaml"
    path.write_text("\n".join(lines) + "\n")
    _promtool(promtool, "check", "rules", str(path))


def test_alerts_read_the_apps_metrics():
    names = set().union(*(metric_names(e) for e in rule_expressions(RULES.read_text())))
    assert names == {
        "ray_ifz_requests_total",
        "ray_ifz_escalations_total",
        "ray_ifz_request_latency_ms_bucket",
    }
