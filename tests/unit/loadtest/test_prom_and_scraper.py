"""Prometheus text parsing, per-deployment snapshots and the /metrics scraper."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from loadtest.prom import deployment_snapshot, http_status_counts, parse_samples
from loadtest.scraper import MetricsScraper, read_metric_rows, snapshot_rows

# Shapes copied from a running Ray Serve 2.60 app (labels trimmed).
METRICS = """\
# HELP ray_serve_deployment_replica_healthy Tracks healthy replicas.
# TYPE ray_serve_deployment_replica_healthy gauge
ray_serve_deployment_replica_healthy{application="interfaze",deployment="router",replica="a"} 1.0
ray_serve_deployment_replica_healthy{application="interfaze",deployment="router",replica="b"} 1.0
ray_serve_deployment_replica_healthy{application="interfaze",deployment="asr",replica="c"} 1.0
ray_serve_deployment_replica_healthy{application="other",deployment="router",replica="z"} 1.0
ray_serve_autoscaling_target_replicas{application="interfaze",deployment="router"} 3.0
ray_serve_autoscaling_desired_replicas{application="interfaze",deployment="router"} 4.0
ray_serve_deployment_queued_queries{application="interfaze",deployment="router",handle="h1"} 2.0
ray_serve_deployment_queued_queries{application="interfaze",deployment="router",handle="h2"} 3.0
ray_serve_num_ongoing_requests_at_replicas{application="interfaze",deployment="router"} 7.0
ray_serve_num_http_requests_total{application="interfaze",route="/v1/chat",status_code="200"} 107.0
ray_serve_num_http_requests_total{application="interfaze",route="/healthz",status_code="200"} 1.0
ray_serve_num_http_requests_total{application="interfaze",route="/v1/chat",status_code="503"} 494.0
ray_serve_replica_processing_queries{application="interfaze",deployment="router",replica="a"} NaN
ray_serve_broken{deployment= 1
ray_ifz_requests_total{route="text"} 3.0
"""


def test_parse_samples_keeps_prefixed_well_formed_lines():
    samples = parse_samples(METRICS)
    names = {s.name for s in samples}
    assert "ray_ifz_requests_total" not in names
    assert "ray_serve_broken" not in names
    assert "ray_serve_replica_processing_queries" not in names  # NaN dropped
    first = samples[0]
    assert first.labels == {"application": "interfaze", "deployment": "router", "replica": "a"}
    assert first.value == 1.0


def test_escaped_label_values():
    (sample,) = parse_samples('ray_serve_x{route="/a\\"b",deployment="r"} 2')
    assert sample.labels["route"] == '/a"b'


def test_deployment_snapshot_combines_series_per_deployment():
    snap = deployment_snapshot(parse_samples(METRICS), app="interfaze")
    assert snap["router"]["replicas"] == 2  # the other app's replica is not counted
    assert snap["asr"] == {"replicas": 1}
    assert snap["router"]["target_replicas"] == 3
    assert snap["router"]["desired_replicas"] == 4
    assert snap["router"]["queued"] == 5
    assert snap["router"]["ongoing"] == 7
    assert deployment_snapshot(parse_samples(METRICS))["router"]["replicas"] == 3


def test_http_status_counts_sum_routes():
    assert http_status_counts(parse_samples(METRICS), "interfaze") == {"200": 108, "503": 494}


def test_snapshot_rows():
    rows = snapshot_rows(10.0, METRICS, "interfaze")
    keys = {(r.series, r.key): r.value for r in rows}
    assert keys[("replicas", "router")] == 2
    assert keys[("http_requests", "503")] == 494
    assert all(r.t == 10.0 for r in rows)


@pytest.fixture
def metrics_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = METRICS.encode() if self.path == "/metrics" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_scraper_polls_metrics_and_the_status_probe(metrics_server, tmp_path):
    out = tmp_path / "serve_metrics.csv"
    with MetricsScraper(
        metrics_server, out, app="interfaze", interval_s=0.1, status_probe=lambda: {"router": 2}
    ) as scraper:
        deadline = time.monotonic() + 10  # a busy machine may be slow to serve the first ones
        while scraper.scrapes < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert scraper.scrapes >= 2
    rows = read_metric_rows(out)
    series = {(r.series, r.key) for r in rows}
    assert ("running_replicas", "router") in series
    assert ("replicas", "router") in series


def test_scraper_records_errors_instead_of_failing(tmp_path):
    out = tmp_path / "m.csv"
    with MetricsScraper("http://127.0.0.1:9", out, interval_s=0.1, timeout_s=0.5) as scraper:
        time.sleep(0.3)
    assert scraper.scrapes == 0 and scraper.errors
    assert read_metric_rows(out) == []
