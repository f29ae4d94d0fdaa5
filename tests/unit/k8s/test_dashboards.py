"""Dashboard models: layout, datasource variable, and metrics the app exports."""

from __future__ import annotations

from ops.k8s.dashboards import DATASOURCE_VAR, all_dashboards, expressions, metric_names

# What the app exports (serve/observability/metrics.py and Ray Serve); the integration test
# checks each against a real /metrics scrape.
EXPORTED_PREFIXES = ("ray_ifz_", "ray_serve_")


def test_layout_and_datasource():
    for dashboard in all_dashboards():
        model = dashboard.to_json()
        ids = [p["id"] for p in model["panels"]]
        assert len(ids) == len(set(ids))
        for panel in model["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == f"${{{DATASOURCE_VAR}}}"
            assert panel["targets"], panel["title"]
        [var] = model["templating"]["list"]
        assert var["type"] == "datasource" and var["query"] == "prometheus"


def test_panels_cover_the_issue():
    titles = " | ".join(p["title"].lower() for d in all_dashboards() for p in d.to_json()["panels"])
    for topic in ("requests", "stage latency", "escalation share", "llm tokens", "replicas"):
        assert topic in titles, topic
    assert "queue depth" in titles
    assert "cost" not in titles  # no cost metric exists yet


def test_queries_name_only_exported_metrics():
    names = set()
    for dashboard in all_dashboards():
        for expr in expressions(dashboard.to_json()):
            found = metric_names(expr)
            assert found, expr
            names |= found
    assert all(n.startswith(EXPORTED_PREFIXES) for n in names), names
    assert {
        "ray_ifz_requests_total",
        "ray_ifz_escalations_total",
        "ray_ifz_llm_tokens_total",
        "ray_ifz_stage_latency_ms_bucket",
        "ray_serve_deployment_queued_queries",
    } <= names
