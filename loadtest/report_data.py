"""A load run's files → time series and figures (pure: no plotting).

A run directory holds locust's CSVs (``locust_stats.csv``, ``locust_stats_history.csv``),
the per-request log (``requests*.csv``), the scraped Ray Serve metrics
(``serve_metrics.csv``) and ``meta.json`` (host, shape, mix, phase times).
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.request_log import OK, RequestRecord, is_acceptable_failure, read_request_log
from loadtest.scraper import MetricRow, read_metric_rows

STATS_HISTORY = "locust_stats_history.csv"
STATS = "locust_stats.csv"
SERVE_METRICS = "serve_metrics.csv"
META = "meta.json"


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, nearest rank) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "", "N/A") else None
    except ValueError:
        return None
    return value


@dataclass
class HistoryPoint:
    """One row of locust's ``*_stats_history.csv`` (the Aggregated line)."""

    t: float
    users: float
    rps: float
    failures_per_s: float
    p50: float | None
    p95: float | None
    p99: float | None


def read_stats_history(path: Path) -> list[HistoryPoint]:
    if not path.exists():
        return []
    points = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("Name") != "Aggregated":
                continue
            points.append(
                HistoryPoint(
                    t=float(row["Timestamp"]),
                    users=_number(row.get("User Count")) or 0.0,
                    rps=_number(row.get("Requests/s")) or 0.0,
                    failures_per_s=_number(row.get("Failures/s")) or 0.0,
                    p50=_number(row.get("50%")),
                    p95=_number(row.get("95%")),
                    p99=_number(row.get("99%")),
                )
            )
    return points


def read_stats(path: Path) -> list[dict[str, Any]]:
    """Locust's per-name totals (``*_stats.csv``), numbers parsed."""
    if not path.exists():
        return []
    rows = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "name": row["Name"],
                    "requests": int(_number(row.get("Request Count")) or 0),
                    "failures": int(_number(row.get("Failure Count")) or 0),
                    "rps": _number(row.get("Requests/s")) or 0.0,
                    "p50": _number(row.get("50%")),
                    "p95": _number(row.get("95%")),
                    "p99": _number(row.get("99%")),
                }
            )
    return rows


@dataclass
class Bins:
    """Per-bin series from the request log (bin start times relative to t0)."""

    width_s: float
    starts: list[float]
    outcomes: dict[str, list[int]]  # outcome -> count per bin
    p50: list[float | None]
    p95: list[float | None]
    p99: list[float | None]

    def totals(self) -> list[int]:
        """Requests per bin, all outcomes."""
        totals = [0] * len(self.starts)
        for counts in self.outcomes.values():
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
        return totals

    def rps(self, outcome: str | None = None) -> list[float]:
        """Requests/s per bin: all of them, or one outcome's."""
        if outcome is None:
            counts = self.totals()
        else:
            counts = self.outcomes.get(outcome, [0] * len(self.starts))
        return [c / self.width_s for c in counts]


def bin_requests(records: list[RequestRecord], t0: float, width_s: float = 1.0) -> Bins:
    """Counts per outcome and latency percentiles of 2xx responses, per ``width_s`` bin."""
    if not records:
        return Bins(width_s, [], {}, [], [], [])
    last = max(r.t for r in records) - t0
    n = max(1, int(last // width_s) + 1)
    outcomes: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    latencies: list[list[float]] = [[] for _ in range(n)]
    for record in records:
        index = min(n - 1, max(0, int((record.t - t0) // width_s)))
        outcomes[record.outcome][index] += 1
        if record.outcome == OK:
            latencies[index].append(record.response_ms)
    return Bins(
        width_s=width_s,
        starts=[i * width_s for i in range(n)],
        outcomes=dict(outcomes),
        p50=[percentile(v, 50) for v in latencies],
        p95=[percentile(v, 95) for v in latencies],
        p99=[percentile(v, 99) for v in latencies],
    )


def max_sustained_rps(bins: Bins, window_bins: int = 5, max_error_ratio: float = 0.01) -> float:
    """Best mean 2xx rate over ``window_bins`` consecutive bins with < 1% non-2xx."""
    ok = bins.outcomes.get(OK, [])
    total = bins.totals()
    best = 0.0
    for i in range(0, max(0, len(ok) - window_bins + 1)):
        good, all_ = sum(ok[i : i + window_bins]), sum(total[i : i + window_bins])
        if all_ and (all_ - good) / all_ < max_error_ratio:
            best = max(best, good / (window_bins * bins.width_s))
    return best


@dataclass
class Scaling:
    """How one deployment's replica count followed the spike."""

    deployment: str
    source: str  # running_replicas (serve.status) or replicas (metrics)
    initial: float
    peak: float
    final: float
    scale_up_s: float | None  # from the ramp start to the first count above initial
    scale_down_s: float | None  # from the drop start to the count back at initial


def replica_series(rows: list[MetricRow], t0: float) -> dict[tuple[str, str], list[tuple]]:
    """``{(series, deployment): [(t - t0, value)]}`` for replica-count series."""
    series: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for row in rows:
        if row.series in ("running_replicas", "replicas", "target_replicas", "desired_replicas"):
            series[(row.series, row.key)].append((row.t - t0, row.value))
    return dict(series)


def scaling_of(
    points: list[tuple[float, float]], ramp_start: float, drop_start: float
) -> tuple[float, float, float, float | None, float | None]:
    """``(initial, peak, final, scale_up_s, scale_down_s)`` of one replica-count series."""
    points = sorted(points)
    before = [v for t, v in points if t <= ramp_start]
    initial = before[-1] if before else points[0][1]
    peak = max(v for _, v in points)
    up = next((t for t, v in points if t >= ramp_start and v > initial), None)
    down = None
    if up is not None:
        last_high = max(t for t, v in points if v > initial)
        down = next(
            (t for t, v in points if t > last_high and t >= drop_start and v <= initial), None
        )
    return (
        initial,
        peak,
        points[-1][1],
        None if up is None else round(up - ramp_start, 1),
        None if down is None else round(down - drop_start, 1),
    )


def scaling_summary(rows: list[MetricRow], t0: float, meta: dict[str, Any]) -> list[Scaling]:
    phases = {p["name"]: p for p in meta.get("phases", [])}
    ramp = phases.get("ramp", {}).get("start_s", 0.0)
    drop = phases.get("drop", {}).get("start_s", ramp)
    series = replica_series(rows, t0)
    out = []
    deployments = sorted({d for (_, d) in series})
    for deployment in deployments:
        for source in ("running_replicas", "replicas"):
            points = series.get((source, deployment))
            if points:
                initial, peak, final, up, down = scaling_of(points, ramp, drop)
                out.append(Scaling(deployment, source, initial, peak, final, up, down))
                break
    return out


@dataclass
class RunData:
    """Everything the report shows about one run."""

    directory: Path
    meta: dict[str, Any]
    t0: float
    history: list[HistoryPoint]
    stats: list[dict[str, Any]]
    records: list[RequestRecord]
    metrics: list[MetricRow]
    bins: Bins
    outcome_totals: Counter = field(default_factory=Counter)

    @property
    def duration_s(self) -> float:
        if self.records:
            return max(r.t for r in self.records) - self.t0
        return self.history[-1].t - self.t0 if self.history else 0.0

    def failures_ok(self) -> bool:
        """True when every failure was shed with a status the client can back off on."""
        return all(is_acceptable_failure(o) for o in self.outcome_totals if o != OK)

    def summary(self) -> dict[str, Any]:
        ok = [r.response_ms for r in self.records if r.outcome == OK]
        total = len(self.records)
        return {
            "requests": total,
            "duration_s": round(self.duration_s, 1),
            "mean_rps": round(total / self.duration_s, 1) if self.duration_s else 0.0,
            "peak_rps_1s": round(max(self.bins.rps(), default=0.0), 1),
            "max_sustained_ok_rps_5s": round(max_sustained_rps(self.bins), 1),
            "ok": self.outcome_totals.get(OK, 0),
            "outcomes": dict(sorted(self.outcome_totals.items())),
            "p50_ms": percentile(ok, 50),
            "p95_ms": percentile(ok, 95),
            "p99_ms": percentile(ok, 99),
            "failures_all_shed_with_retry_after": self.failures_ok(),
        }


def load_run(directory: str | Path, bin_s: float = 1.0) -> RunData:
    directory = Path(directory)
    meta_path = directory / META
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    history = read_stats_history(directory / STATS_HISTORY)
    records: list[RequestRecord] = []
    for path in sorted(directory.glob("requests*.csv")):
        records += read_request_log(path)
    records.sort(key=lambda r: r.t)
    metrics_path = directory / SERVE_METRICS
    metrics = read_metric_rows(metrics_path) if metrics_path.exists() else []
    starts = [r.t for r in records[:1]] + [h.t - 1 for h in history[:1]]
    t0 = float(meta.get("t0") or (min(starts) if starts else 0.0))
    return RunData(
        directory=directory,
        meta=meta,
        t0=t0,
        history=history,
        stats=read_stats(directory / STATS),
        records=records,
        metrics=metrics,
        bins=bin_requests(records, t0, bin_s),
        outcome_totals=Counter(r.outcome for r in records),
    )
