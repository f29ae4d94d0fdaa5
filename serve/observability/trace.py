"""Per-request decision traces: what each stage got, returned, and how long it took."""

from __future__ import annotations

import contextlib
import threading
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
    """A bounded in-memory store (LRU) of finished traces, with a time-to-live."""

    def __init__(self, capacity: int, ttl_s: float | None = None) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._traces: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def put(self, trace: Trace | dict[str, Any]) -> None:
        if self.capacity <= 0:
            return
        data = trace.to_dict() if isinstance(trace, Trace) else trace
        self._traces[data["trace_id"]] = (time.monotonic(), data)
        self._traces.move_to_end(data["trace_id"])
        while len(self._traces) > self.capacity:
            self._traces.popitem(last=False)

    def get(self, trace_id: str) -> dict[str, Any] | None:
        entry = self._traces.get(trace_id)
        if entry is None:
            return None
        stored_at, data = entry
        if self.ttl_s is not None and time.monotonic() - stored_at > self.ttl_s:
            del self._traces[trace_id]
            return None
        return data

    async def aget(self, trace_id: str) -> dict[str, Any] | None:
        return self.get(trace_id)

    def put_many(self, traces: list[dict[str, Any]]) -> None:
        for trace in traces:
            self.put(trace)

    def __len__(self) -> int:
        return len(self._traces)


class SharedTraceStore:
    """Traces shared by every router replica through one named Ray actor.

    ``put`` is fire-and-forget (no latency on the request path); ``get`` asks the actor.
    The actor is created on first use (``get_if_exists``), detached from any one replica.
    """

    ACTOR_NAME = "interfaze-trace-store"

    def __init__(self, capacity: int, ttl_s: float | None, namespace: str) -> None:
        import ray

        actor_cls = ray.remote(num_cpus=0)(TraceStore)
        self._actor = actor_cls.options(
            name=self.ACTOR_NAME,
            namespace=namespace,
            lifetime="detached",
            get_if_exists=True,
        ).remote(capacity, ttl_s)

        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flusher = threading.Thread(target=self._flush_loop, daemon=True, name="traces")
        self._flusher.start()

    FLUSH_INTERVAL_S = 0.2

    def put(self, trace: Trace) -> None:
        """Buffered: one actor call per batch (every 200 ms), not one per request."""
        with self._lock:
            self._pending.append(trace.to_dict())

    def _flush_loop(self) -> None:
        while True:
            time.sleep(self.FLUSH_INTERVAL_S)
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:  # if the actor is restarting, losing one batch of traces is acceptable
                with contextlib.suppress(Exception):
                    self._actor.put_many.remote(batch)

    async def aget(self, trace_id: str) -> dict[str, Any] | None:
        with self._lock:
            for data in reversed(self._pending):
                if data["trace_id"] == trace_id:
                    return data
        return await self._actor.get.remote(trace_id)
