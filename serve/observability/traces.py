"""Stores of finished decision traces, each owned by the API key that made the request."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict
from typing import Any

from serve.observability.record import RequestRecord

MAX_LIST = 200


def trace_summary(trace: dict[str, Any]) -> dict[str, Any]:
    """The short form ``GET /v1/traces`` lists."""
    answer = trace.get("answer") or {}
    return {
        "trace_id": trace.get("trace_id"),
        "model": trace.get("model"),
        "endpoint": trace.get("endpoint"),
        "started_at": trace.get("started_at"),
        "route": trace.get("route"),
        "plan": trace.get("plan"),
        "status": trace.get("status"),
        "escalated": trace.get("escalated"),
        "escalation_reason": trace.get("escalation_reason"),
        "confidence": trace.get("confidence"),
        "answerer": answer.get("answerer"),
        "answer": (answer.get("text") or "")[:200],
        "duration_ms": trace.get("duration_ms"),
        "cost_usd": trace.get("cost_usd"),
    }


def _matches(trace: dict[str, Any], filters: dict[str, Any]) -> bool:
    for name, wanted in filters.items():
        if wanted is None:
            continue
        if name == "status_class":
            if int(trace.get("status") or 0) // 100 != int(wanted):
                return False
        elif trace.get(name) != wanted:
            return False
    return True


class TraceStore:
    """A bounded in-memory store (LRU) of finished traces, with a time-to-live."""

    def __init__(self, capacity: int, ttl_s: float | None = None) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._traces: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def put(self, trace: RequestRecord | dict[str, Any]) -> None:
        if self.capacity <= 0:
            return
        data = trace.to_trace() if isinstance(trace, RequestRecord) else trace
        self._traces[data["trace_id"]] = (time.monotonic(), data)
        self._traces.move_to_end(data["trace_id"])
        while len(self._traces) > self.capacity:
            self._traces.popitem(last=False)

    def put_many(self, traces: list[dict[str, Any]]) -> None:
        for trace in traces:
            self.put(trace)

    def _fresh(self, trace_id: str) -> dict[str, Any] | None:
        entry = self._traces.get(trace_id)
        if entry is None:
            return None
        stored_at, data = entry
        if self.ttl_s is not None and time.monotonic() - stored_at > self.ttl_s:
            del self._traces[trace_id]
            return None
        return data

    def get(self, trace_id: str, key_id: str | None = None) -> dict[str, Any] | None:
        """The trace, if it exists and belongs to ``key_id`` (None: any owner, for tests)."""
        data = self._fresh(trace_id)
        if data is None or (key_id is not None and data.get("key_id") != key_id):
            return None
        return data

    def list(self, key_id: str | None, *, limit: int = 50, **filters: Any) -> list[dict[str, Any]]:
        """Summaries of ``key_id``'s traces, newest first."""
        found: list[dict[str, Any]] = []
        for trace_id in reversed(list(self._traces)):
            data = self._fresh(trace_id)
            if data is None or (key_id is not None and data.get("key_id") != key_id):
                continue
            if _matches(data, filters):
                found.append(trace_summary(data))
                if len(found) >= min(limit, MAX_LIST):
                    break
        return found

    async def aget(self, trace_id: str, key_id: str | None = None) -> dict[str, Any] | None:
        return self.get(trace_id, key_id)

    async def alist(self, key_id: str | None, **kwargs: Any) -> list[dict[str, Any]]:
        return self.list(key_id, **kwargs)

    def __len__(self) -> int:
        return len(self._traces)


class SharedTraceStore:
    """Traces shared by every router replica through one named Ray actor.

    ``put`` is buffered (one actor call per batch every 200 ms, no latency on the request
    path); reads ask the actor. The actor is created on first use, detached from any replica.
    """

    ACTOR_NAME = "interfaze-trace-store"
    FLUSH_INTERVAL_S = 0.2

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

    def put(self, trace: RequestRecord) -> None:
        with self._lock:
            self._pending.append(trace.to_trace())

    def _flush_loop(self) -> None:
        while True:
            time.sleep(self.FLUSH_INTERVAL_S)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:  # if the actor is restarting, losing one batch of traces is acceptable
            with contextlib.suppress(Exception):
                self._actor.put_many.remote(batch)

    # A trace asked for right after its response may still sit in another replica's batch (or
    # be recorded just after the last byte): a miss is asked again for about two flushes.
    MISS_RETRIES = 3

    async def aget(self, trace_id: str, key_id: str | None = None) -> dict[str, Any] | None:
        for attempt in range(self.MISS_RETRIES + 1):
            with self._lock:
                for data in reversed(self._pending):
                    if data["trace_id"] == trace_id:
                        return data if key_id is None or data.get("key_id") == key_id else None
            found = await self._actor.get.remote(trace_id, key_id)
            if found is not None or attempt == self.MISS_RETRIES:
                return found
            await asyncio.sleep(self.FLUSH_INTERVAL_S)
        return None

    async def alist(self, key_id: str | None, **kwargs: Any) -> list[dict[str, Any]]:
        self.flush()
        return await self._actor.list.remote(key_id, **kwargs)
