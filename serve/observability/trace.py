"""Per-request decision traces: what each stage got, returned, and how long it took."""

from __future__ import annotations

import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StageRecord:
    name: str
    started_ms: float
    duration_ms: float = 0.0
    status: str = "ok"
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    """The decision trace of one request (kept under its trace id)."""

    trace_id: str
    model: str
    started_at: float = field(default_factory=time.time)
    route: str = ""
    plan: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, int] = field(default_factory=dict)
    stages: list[StageRecord] = field(default_factory=list)
    confidence: float = 0.0
    escalated: bool = False
    escalation_reason: str = ""
    status: int = 200
    error: str | None = None
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000

    @contextmanager
    def stage(self, name: str, **summary: Any):
        """Time a stage; the body may add to ``record.summary``."""
        record = StageRecord(name=name, started_ms=round(self.elapsed_ms(), 3), summary=summary)
        self.stages.append(record)
        start = time.perf_counter()
        try:
            yield record
        except BaseException as exc:
            record.status = type(exc).__name__
            raise
        finally:
            record.duration_ms = round((time.perf_counter() - start) * 1000, 3)

    def timings_ms(self) -> dict[str, float]:
        timings: dict[str, float] = {}
        for record in self.stages:
            timings[record.name] = round(timings.get(record.name, 0.0) + record.duration_ms, 3)
        timings["total"] = round(self.elapsed_ms(), 3)
        return timings

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_t0", None)
        return data


class TraceStore:
    """A bounded in-memory store (LRU) of finished traces."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._traces: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def put(self, trace: Trace) -> None:
        if self.capacity <= 0:
            return
        self._traces[trace.trace_id] = trace.to_dict()
        self._traces.move_to_end(trace.trace_id)
        while len(self._traces) > self.capacity:
            self._traces.popitem(last=False)

    def get(self, trace_id: str) -> dict[str, Any] | None:
        return self._traces.get(trace_id)

    def __len__(self) -> int:
        return len(self._traces)
