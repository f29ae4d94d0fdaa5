"""Report data (bins, percentiles, scaling times) and the HTML/PNG report of a run folder."""

from __future__ import annotations

import csv
import json

import pytest

from loadtest.report import build_report
from loadtest.report_data import (
    bin_requests,
    load_run,
    max_sustained_rps,
    percentile,
    scaling_of,
)
from loadtest.request_log import RequestLog, RequestRecord

T0 = 1_700_000_000.0


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5.0], 99) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95
    assert percentile(values, 100) == 100


def _records() -> list[RequestRecord]:
    records = []
    for second in range(10):
        for i in range(10):
            outcome = "503+retry-after" if second >= 8 and i < 5 else "2xx"
            status = 503 if outcome != "2xx" else 200
            records.append(RequestRecord(T0 + second + i / 10, "x", status, outcome, 10 + i))
    return records


def test_bins_count_outcomes_and_latency_per_second():
    bins = bin_requests(_records(), T0, 1.0)
    assert bins.starts == [float(i) for i in range(10)]
    assert bins.rps() == [10.0] * 10
    assert bins.rps("2xx")[:8] == [10.0] * 8 and bins.rps("2xx")[8] == 5.0
    assert bins.rps("503+retry-after")[9] == 5.0
    assert bins.p50[0] == 14 and bins.p99[0] == 19
    assert max_sustained_rps(bins, window_bins=5) == 10.0
    assert max_sustained_rps(bin_requests(_records()[80:], T0 + 8), window_bins=2) == 0.0


def test_scaling_times_from_a_replica_series():
    points = [(0, 1), (10, 1), (14, 2), (16, 3), (30, 3), (40, 2), (44, 1), (50, 1)]
    initial, peak, final, up, down = scaling_of(points, ramp_start=10, drop_start=32)
    assert (initial, peak, final) == (1, 3, 1)
    assert up == 4 and down == 12
    assert scaling_of([(0, 1), (50, 1)], 10, 30)[3:] == (None, None)


def _write_run(folder, with_metrics: bool = True):
    log = RequestLog(folder / "requests.csv")
    for record in _records():
        log.add(record)
    log.close()
    with (folder / "locust_stats_history.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s",
                         "50%", "95%", "99%"])  # fmt: skip
        for s in range(1, 10):
            writer.writerow([int(T0 + s), 10, "", "Aggregated", 10, 0, 14, 19, "N/A"])
            writer.writerow([int(T0 + s), 10, "POST", "x", 10, 0, 14, 19, 19])
    with (folder / "locust_stats.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Type", "Name", "Request Count", "Failure Count", "Requests/s",
                         "50%", "95%", "99%"])  # fmt: skip
        writer.writerow(["POST", "x", 100, 10, 10.0, 14, 19, 19])
        writer.writerow(["", "Aggregated", 100, 10, 10.0, 14, 19, 19])
    if with_metrics:
        with (folder / "serve_metrics.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["t", "series", "key", "value"])
            for s, n in [(-2, 1), (0, 1), (3, 2), (5, 3), (8, 3), (9, 1)]:
                writer.writerow([T0 + s, "running_replicas", "router", n])
                writer.writerow([T0 + s, "replicas", "router", n])
                writer.writerow([T0 + s, "queued", "router", n - 1])
    meta = {
        "t0": T0,
        "shape": "spike-test",
        "mix": "router",
        "host": "http://127.0.0.1:1",
        "schedule": {"points": [[0, 5], [2, 5], [4, 10], [7, 10], [8, 5], [10, 5]]},
        "phases": [
            {"name": "ramp", "start_s": 2, "end_s": 4},
            {"name": "hold", "start_s": 4, "end_s": 7},
            {"name": "drop", "start_s": 7, "end_s": 8},
        ],
    }
    (folder / "meta.json").write_text(json.dumps(meta))


def test_load_run_and_summary(tmp_path):
    _write_run(tmp_path)
    run = load_run(tmp_path)
    assert run.t0 == T0
    assert len(run.history) == 9 and run.history[0].p99 is None
    assert run.stats[-1]["name"] == "Aggregated" and run.stats[-1]["failures"] == 10
    summary = run.summary()
    assert summary["requests"] == 100
    assert summary["outcomes"] == {"2xx": 90, "503+retry-after": 10}
    assert summary["failures_all_shed_with_retry_after"] is True
    assert summary["p50_ms"] == 15  # the shed requests were the fast ones (10-14 ms)


def test_build_report_writes_html_png_and_summary(tmp_path):
    _write_run(tmp_path)
    summary = build_report(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "Replica scaling" in html and "data:image/png;base64," in html
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["requests"] == summary["requests"] == 100
    (router,) = saved["scaling"]
    assert router["source"] == "running_replicas"
    assert router["peak"] == 3 and router["scale_up_s"] == 1 and router["scale_down_s"] == 2


def test_report_without_metrics_or_log(tmp_path):
    _write_run(tmp_path, with_metrics=False)
    (tmp_path / "requests.csv").unlink()
    summary = build_report(tmp_path)
    assert summary["requests"] == 0 and summary["scaling"] == []


@pytest.mark.parametrize("bin_s", [0.5, 2.0])
def test_bin_widths(bin_s):
    bins = bin_requests(_records(), T0, bin_s)
    assert sum(bins.totals()) == 100
