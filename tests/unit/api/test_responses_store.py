"""The store behind previous_response_id: owners, bounds and expiry."""

from __future__ import annotations

import time

from serve.api.responses.store import ResponseStore


def entry(rid: str, key: str | None = "k1", size: int = 10) -> dict:
    return {"id": rid, "key_id": key, "response": {"id": rid}, "messages": ["x" * size]}


def test_owner_only():
    store = ResponseStore()
    store.put(entry("r1", "alice"))
    assert store.get("r1", "alice")["id"] == "r1"
    assert store.get("r1", "bob") is None
    assert store.get("r1", None) is not None  # no gateway (tests): any owner
    assert not store.delete("r1", "bob") and store.delete("r1", "alice")
    assert store.get("r1", "alice") is None


def test_bounds_evict_the_oldest_first():
    store = ResponseStore(capacity=3, max_per_key=2, max_bytes=10_000)
    for i in range(3):
        store.put(entry(f"a{i}", "alice"))
    assert store.get("a0") is None and store.get("a1") and store.get("a2")  # two per key
    store.put(entry("b0", "bob"))
    store.put(entry("c0", "carol"))
    assert len(store) == 3 and store.get("a1") is None  # capacity: least recently used out
    assert not store.put(entry("huge", "bob", size=20_000))  # alone over the byte budget
    store.put(entry("big", "dave", size=9_900))  # the oldest make room, newest kept
    assert store.get("big") and store.get("a2") is None and len(store) < 3
    assert store._bytes <= store.max_bytes


def test_entries_expire():
    store = ResponseStore(ttl_s=0.05)
    store.put(entry("r1"))
    time.sleep(0.1)
    assert store.get("r1") is None and len(store) == 0
