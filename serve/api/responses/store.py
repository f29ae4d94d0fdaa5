"""Finished responses kept for ``previous_response_id`` and ``GET /v1/responses/{id}``.

Each entry belongs to the API key that created it (the trace store's owner rule): another
key's id reads as not found. Bounded by count, by bytes (conversations carry media) and by
age; ``store: false`` responses are never put here.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

# Bounds of one store (candidates for router settings).
MAX_RESPONSES = 1000
MAX_BYTES = 256 * 1024 * 1024
MAX_PER_KEY = 200


class ResponseStore:
    """An in-process LRU of stored responses: ``{"id", "key_id", "response", "messages"}``."""

    def __init__(
        self,
        capacity: int = MAX_RESPONSES,
        ttl_s: float | None = None,
        *,
        max_bytes: int = MAX_BYTES,
        max_per_key: int = MAX_PER_KEY,
    ) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self.max_per_key = max_per_key
        self._entries: OrderedDict[str, tuple[float, int, dict[str, Any]]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, entry: dict[str, Any]) -> bool:
        """Keep ``entry`` (evicting the oldest past a bound); False when it alone is too big."""
        size = len(json.dumps(entry, default=str))
        if self.capacity <= 0 or size > self.max_bytes:
            return False
        with self._lock:
            self._drop(entry["id"])
            self._entries[entry["id"]] = (time.monotonic(), size, entry)
            self._bytes += size
            owner = entry.get("key_id")
            owned = [k for k, (_, _, e) in self._entries.items() if e.get("key_id") == owner]
            for stale in owned[: max(0, len(owned) - self.max_per_key)]:
                self._drop(stale)
            while len(self._entries) > self.capacity or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return True

    def get(self, response_id: str, key_id: str | None = None) -> dict[str, Any] | None:
        """The entry, if it exists, is fresh and belongs to ``key_id`` (None: any owner)."""
        with self._lock:
            found = self._entries.get(response_id)
            if found is None:
                return None
            stored_at, _, entry = found
            if self.ttl_s is not None and time.monotonic() - stored_at > self.ttl_s:
                self._drop(response_id)
                return None
            if key_id is not None and entry.get("key_id") != key_id:
                return None
            self._entries.move_to_end(response_id)
            return entry

    def delete(self, response_id: str, key_id: str | None = None) -> bool:
        with self._lock:
            found = self._entries.get(response_id)
            if found is None or (key_id is not None and found[2].get("key_id") != key_id):
                return False
            self._drop(response_id)
            return True

    def _drop(self, response_id: str) -> None:
        found = self._entries.pop(response_id, None)
        if found is not None:
            self._bytes -= found[1]

    def __len__(self) -> int:
        return len(self._entries)

    # the async face both stores share
    async def aput(self, entry: dict[str, Any]) -> bool:
        return self.put(entry)

    async def aget(self, response_id: str, key_id: str | None = None) -> dict[str, Any] | None:
        return self.get(response_id, key_id)

    async def adelete(self, response_id: str, key_id: str | None = None) -> bool:
        return self.delete(response_id, key_id)


class SharedResponseStore:
    """The same store in one named Ray actor, so a follow-up may reach any router replica.

    Writes are awaited (a client may chain on the id as soon as it has it).
    """

    ACTOR_NAME = "interfaze-response-store"

    def __init__(self, namespace: str, ttl_s: float | None = None) -> None:
        import ray

        actor_cls = ray.remote(num_cpus=0)(ResponseStore)
        self._actor = actor_cls.options(
            name=self.ACTOR_NAME, namespace=namespace, lifetime="detached", get_if_exists=True
        ).remote(MAX_RESPONSES, ttl_s)

    async def aput(self, entry: dict[str, Any]) -> bool:
        return await self._actor.put.remote(entry)

    async def aget(self, response_id: str, key_id: str | None = None) -> dict[str, Any] | None:
        return await self._actor.get.remote(response_id, key_id)

    async def adelete(self, response_id: str, key_id: str | None = None) -> bool:
        return await self._actor.delete.remote(response_id, key_id)


def response_store(shared: bool, namespace: str, ttl_s: float | None) -> Any:
    """The shared store when asked for and Ray is there, else an in-process one."""
    if shared:
        try:
            return SharedResponseStore(namespace, ttl_s)
        except Exception:  # no Ray worker (local testing mode): keep them in-process
            pass
    return ResponseStore(ttl_s=ttl_s)
