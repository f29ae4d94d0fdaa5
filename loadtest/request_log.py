"""Per-request log of a load run: time, category, status, outcome class, latency.

Locust's own CSVs aggregate failures by message; this log keeps every request so the report
can plot error classes over time and tell a shed request (503 with Retry-After) from a
timeout or a 500.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

FIELDS = ("t", "name", "status", "outcome", "response_ms")

OK = "2xx"
SHED = "503+retry-after"
TIMEOUT = "timeout"
CONNECTION = "connection-error"


def classify(status: int, retry_after: str | None = None, error: str | None = None) -> str:
    """The outcome class of one response.

    ``2xx``; ``503+retry-after`` (shed, the client knows when to come back); a bare code such
    as ``503``, ``429``, ``422`` or ``500``; ``timeout`` or ``connection-error`` when no
    response came back (status 0).
    """
    if status == 0:
        return TIMEOUT if error and "timeout" in error.lower() else CONNECTION
    if 200 <= status < 400:
        return OK
    if status in (503, 429) and retry_after:
        return f"{status}+retry-after"
    return str(status)


def is_acceptable_failure(outcome: str) -> bool:
    """Overload answered the right way: shed with a status the client can back off on."""
    return outcome in (SHED, "429+retry-after")


@dataclass(frozen=True)
class RequestRecord:
    t: float
    name: str
    status: int
    outcome: str
    response_ms: float


class RequestLog:
    """Appends records to a CSV file; thread/greenlet-safe, flushed on close."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = self.path.open("w", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(FIELDS)
        self._lock = threading.Lock()
        self.count = 0

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._writer.writerow(
                (
                    f"{record.t:.3f}",
                    record.name,
                    record.status,
                    record.outcome,
                    f"{record.response_ms:.1f}",
                )
            )
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()


def read_request_log(path: str | Path) -> list[RequestRecord]:
    with Path(path).open(newline="") as handle:
        return [
            RequestRecord(
                float(row["t"]),
                row["name"],
                int(row["status"]),
                row["outcome"],
                float(row["response_ms"]),
            )
            for row in csv.DictReader(handle)
        ]
