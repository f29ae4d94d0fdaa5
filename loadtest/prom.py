"""Prometheus text from the app's ``GET /metrics`` → Ray Serve figures per deployment.

The series are the ones Ray Serve 2.60 exports (names checked against a running app):

- ``ray_serve_deployment_replica_healthy`` — 1 per healthy replica (labels deployment, replica)
- ``ray_serve_autoscaling_target_replicas`` — replicas the autoscaler is moving to
- ``ray_serve_autoscaling_desired_replicas`` — the policy's raw decision, before min/max bounds
- ``ray_serve_autoscaling_total_requests`` — the load the autoscaler sees (ongoing + queued)
- ``ray_serve_deployment_queued_queries`` — requests waiting in callers' handles (queue depth)
- ``ray_serve_num_ongoing_requests_at_replicas`` — requests sent to replicas, not yet done
- ``ray_serve_replica_processing_queries`` — requests each replica is executing
- ``ray_serve_num_http_requests_total`` — proxy responses by ``status_code`` (a counter)
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

_LINE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\S+)?\s*$")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')

# snapshot field -> (metric, how series of one deployment combine)
DEPLOYMENT_GAUGES: dict[str, tuple[str, str]] = {
    "replicas": ("ray_serve_deployment_replica_healthy", "sum"),
    "target_replicas": ("ray_serve_autoscaling_target_replicas", "max"),
    "desired_replicas": ("ray_serve_autoscaling_desired_replicas", "max"),
    "autoscaler_requests": ("ray_serve_autoscaling_total_requests", "max"),
    "queued": ("ray_serve_deployment_queued_queries", "sum"),
    "ongoing": ("ray_serve_num_ongoing_requests_at_replicas", "sum"),
    "processing": ("ray_serve_replica_processing_queries", "sum"),
}
HTTP_REQUESTS = "ray_serve_num_http_requests_total"


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str] = field(hash=False)
    value: float


def _unescape(value: str) -> str:
    return value.replace(r"\"", '"').replace(r"\n", "\n").replace("\\\\", "\\")


def parse_samples(text: str, prefix: str = "ray_serve_") -> list[Sample]:
    """Samples whose name starts with ``prefix``; malformed lines are skipped, not fatal."""
    samples = []
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        name, raw_labels, raw_value = match.groups()
        try:
            value = float(raw_value)
        except ValueError:
            continue
        if math.isnan(value):
            continue
        labels = {k: _unescape(v) for k, v in _LABEL.findall(raw_labels or "")}
        samples.append(Sample(name, labels, value))
    return samples


def deployment_snapshot(
    samples: list[Sample], app: str | None = None
) -> dict[str, dict[str, float]]:
    """``{deployment: {field: value}}`` for the fields of :data:`DEPLOYMENT_GAUGES`.

    Series of another application are ignored when ``app`` is given. A field is absent when
    its metric has not been exported yet (Ray exports every few seconds).
    """
    by_metric = {metric: (fld, how) for fld, (metric, how) in DEPLOYMENT_GAUGES.items()}
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for sample in samples:
        spec = by_metric.get(sample.name)
        deployment = sample.labels.get("deployment")
        if spec is None or not deployment:
            continue
        if app is not None and sample.labels.get("application", app) != app:
            continue
        values[(deployment, spec[0])].append(sample.value)
    snapshot: dict[str, dict[str, float]] = defaultdict(dict)
    for (deployment, fld), series in values.items():
        how = DEPLOYMENT_GAUGES[fld][1]
        snapshot[deployment][fld] = sum(series) if how == "sum" else max(series)
    return dict(snapshot)


def http_status_counts(samples: list[Sample], app: str | None = None) -> dict[str, float]:
    """Proxy responses so far by status code (summed over routes and methods)."""
    counts: dict[str, float] = defaultdict(float)
    for sample in samples:
        if sample.name != HTTP_REQUESTS:
            continue
        if app is not None and sample.labels.get("application", app) != app:
            continue
        counts[sample.labels.get("status_code", "?")] += sample.value
    return dict(counts)
