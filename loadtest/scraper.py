"""Polls the app's ``GET /metrics`` during a load run and logs Ray Serve figures to a CSV.

Rows: ``t`` (unix seconds), ``series`` (a :data:`loadtest.prom.DEPLOYMENT_GAUGES` field,
``http_requests`` or ``running_replicas``), ``key`` (deployment or status code), ``value``.
``running_replicas`` comes from an optional probe (``serve.status()`` when the runner started
the app itself): the controller's own count, without the metrics export delay.
"""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from loadtest.prom import deployment_snapshot, http_status_counts, parse_samples

FIELDS = ("t", "series", "key", "value")
StatusProbe = Callable[[], dict[str, int]]


@dataclass(frozen=True)
class MetricRow:
    t: float
    series: str
    key: str
    value: float


def snapshot_rows(t: float, text: str, app: str | None) -> list[MetricRow]:
    """The CSV rows of one scrape of ``/metrics``."""
    samples = parse_samples(text)
    rows = [
        MetricRow(t, fld, deployment, value)
        for deployment, fields in sorted(deployment_snapshot(samples, app).items())
        for fld, value in sorted(fields.items())
    ]
    rows += [
        MetricRow(t, "http_requests", code, value)
        for code, value in sorted(http_status_counts(samples, app).items())
    ]
    return rows


class MetricsScraper:
    """A background thread: scrape every ``interval_s`` until :meth:`stop`."""

    def __init__(
        self,
        base_url: str,
        out_csv: str | Path,
        *,
        app: str | None = None,
        interval_s: float = 2.0,
        status_probe: StatusProbe | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self.url = base_url.rstrip("/") + "/metrics"
        self.path = Path(out_csv)
        self.app = app
        self.interval_s = interval_s
        self.status_probe = status_probe
        self.timeout_s = timeout_s
        self.errors: list[str] = []
        self.scrapes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-scraper", daemon=True)

    def __enter__(self) -> MetricsScraper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout_s + 5)

    def _rows(self, client: httpx.Client) -> list[MetricRow]:
        rows: list[MetricRow] = []
        now = time.time()
        if self.status_probe is not None:
            try:
                running = self.status_probe()
                rows += [MetricRow(now, "running_replicas", d, n) for d, n in running.items()]
            except Exception as exc:  # the probe is best-effort; the scrape still counts
                self.errors.append(f"status: {type(exc).__name__}: {exc}"[:200])
        try:
            response = client.get(self.url)
            response.raise_for_status()
            rows += snapshot_rows(time.time(), response.text, self.app)
            self.scrapes += 1
        except httpx.HTTPError as exc:
            self.errors.append(f"metrics: {type(exc).__name__}: {exc}"[:200])
        return rows

    def _run(self) -> None:
        with (
            self.path.open("w", newline="") as handle,
            httpx.Client(timeout=self.timeout_s) as client,
        ):
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            while not self._stop.is_set():
                started = time.monotonic()
                for row in self._rows(client):
                    writer.writerow((f"{row.t:.3f}", row.series, row.key, row.value))
                handle.flush()
                self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))


def read_metric_rows(path: str | Path) -> list[MetricRow]:
    with Path(path).open(newline="") as handle:
        return [
            MetricRow(float(r["t"]), r["series"], r["key"], float(r["value"]))
            for r in csv.DictReader(handle)
        ]


def serve_status_probe(app_name: str) -> StatusProbe:
    """Running replicas per deployment from ``serve.status()`` (needs a Ray connection)."""

    def probe() -> dict[str, int]:
        from ray import serve

        status = serve.status().applications.get(app_name)
        if status is None:
            return {}
        return {
            name: int(d.replica_states.get("RUNNING", 0)) for name, d in status.deployments.items()
        }

    return probe


def main(argv: list[str] | None = None) -> int:
    """``python -m loadtest.scraper --host URL --out FILE --duration S`` (beside a locust run)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--host", required=True, help="base URL whose /metrics is polled")
    parser.add_argument("--out", required=True, help="CSV to write (serve_metrics.csv)")
    parser.add_argument("--duration", type=float, required=True, help="seconds to poll")
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--app", default=None, help="only this Serve application's series")
    args = parser.parse_args(argv)
    with MetricsScraper(args.host, args.out, app=args.app, interval_s=args.interval) as scraper:
        time.sleep(args.duration)
    print(f"{scraper.scrapes} scrapes, {len(scraper.errors)} errors -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
