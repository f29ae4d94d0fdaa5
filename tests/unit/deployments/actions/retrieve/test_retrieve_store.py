"""ChunkStore on a real Milvus Lite file: dedup, replace, filters, expiry, atomic visibility."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from deployments.actions.retrieve.store import (
    ChunkInput,
    ChunkStore,
    DocumentInput,
    IndexSpec,
    StoreError,
)

DIM = 4


def doc(source: str, content_hash: str, vectors: list[list[float]], **kw) -> DocumentInput:
    chunks = [
        ChunkInput(f"{source} chunk {i}", v, page=i + 1, start=i * 10, end=i * 10 + 9)
        for i, v in enumerate(vectors)
    ]
    return DocumentInput(source=source, content_hash=content_hash, chunks=chunks, **kw)


def open_store(path: str, **kw) -> ChunkStore:
    spec = IndexSpec("IVF_FLAT", "COSINE", {"nlist": 4}, {"nprobe": 4})
    return ChunkStore(path, dimension=DIM, index=spec, insert_batch_rows=2, **kw).open()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[ChunkStore]:
    s = open_store(str(tmp_path_factory.mktemp("store") / "store.db"))
    yield s
    s.close()


def sources(hits: list[dict]) -> set[str]:
    return {h["source"] for h in hits}


def test_insert_search_and_dedup(store: ChunkStore) -> None:
    first = store.add_document(doc("a.txt", "hash-a", [[1, 0, 0, 0], [0.9, 0.1, 0, 0]]))
    assert first["status"] == "stored" and first["chunks"] == 2
    again = store.add_document(doc("copy-of-a.txt", "hash-a", [[1, 0, 0, 0]]))
    assert again == {
        "status": "duplicate",
        "doc_id": first["doc_id"],
        "source": "a.txt",
        "chunks": 2,
    }
    hits = store.search([[1, 0, 0, 0]], top_k=5)[0]
    assert [h["chunk_index"] for h in hits if h["source"] == "a.txt"] == [0, 1]
    top = hits[0]
    assert top["score"] == pytest.approx(1.0, abs=1e-4)
    assert (top["page"], top["start"], top["end"]) == (1, 0, 9)
    assert top["fetched_at"].endswith("Z") and top["doc_id"] == first["doc_id"]
    assert "copy-of-a.txt" not in sources(hits)


def test_filters_and_same_source_replacement(store: ChunkStore) -> None:
    old = store.add_document(doc("b.html", "hash-b1", [[0, 1, 0, 0]]))
    new = store.add_document(doc("b.html", "hash-b2", [[0, 1, 0, 0], [0, 0.8, 0.2, 0]]))
    assert new["replaced"] == [old["doc_id"]]
    hits = store.search([[0, 1, 0, 0]], top_k=10, expr='source == "b.html"')[0]
    assert {h["doc_id"] for h in hits} == {new["doc_id"]}
    page2 = store.search([[0, 1, 0, 0]], top_k=10, expr='source == "b.html" and page == 2')[0]
    assert [h["page"] for h in page2] == [2]


def test_expired_documents_stop_matching_and_are_purged(store: ChunkStore) -> None:
    now = int(time.time())
    store.add_document(doc("old.txt", "hash-old", [[0, 0, 1, 0]], fetched_at=now - 100, ttl_s=10))
    assert "old.txt" not in sources(store.search([[0, 0, 1, 0]], top_k=10)[0])
    assert store.purge_expired() >= 1
    assert not store.documents('source == "old.txt"')
    # the same content may be indexed again once its copy has expired
    fresh = store.add_document(doc("old.txt", "hash-old", [[0, 0, 1, 0]]))
    assert fresh["status"] == "stored"


def test_refresh_restarts_the_ttl_of_an_unchanged_document(store: ChunkStore) -> None:
    now = int(time.time())
    stored = store.add_document(
        doc("daily.html", "hash-daily", [[0, 0, 0.5, 0.5]] * 2, fetched_at=now - 50, ttl_s=60)
    )
    later = now + 30  # past the first expiry (now + 10), within the refreshed one
    assert "daily.html" not in sources(store.search([[0, 0, 0.5, 0.5]], top_k=9, now=later)[0])
    record = store.refresh(stored["doc_id"], ttl_s=60, now=now)
    assert record is not None and record["expires_at"] == now + 60
    hits = store.search([[0, 0, 0.5, 0.5]], top_k=9, now=later)[0]
    assert sorted(h["chunk_index"] for h in hits if h["source"] == "daily.html") == [0, 1]
    assert store.refresh("no-such-doc", ttl_s=60) is None


def test_failed_insert_leaves_nothing_and_keeps_earlier_documents(
    store: ChunkStore, monkeypatch
) -> None:
    calls = {"n": 0}
    real = store._insert_rows

    def flaky(rows):
        calls["n"] += 1
        if calls["n"] == 2:  # the first batch is in, the second fails
            raise StoreError("disk full (simulated)")
        real(rows)

    monkeypatch.setattr(store, "_insert_rows", flaky)
    with pytest.raises(StoreError, match="disk full"):
        store.add_document(doc("c.txt", "hash-c", [[0, 0, 0, 1]] * 5))
    monkeypatch.undo()
    assert not store.documents('source == "c.txt"')
    assert store.count(expr='source == "c.txt"') == 0
    hits = store.search([[0, 0, 0, 1]], top_k=20)[0]
    assert "c.txt" not in sources(hits) and "a.txt" in sources(hits)
    assert store.find_duplicate("hash-a") is not None


def test_partial_insert_is_invisible_while_running(store: ChunkStore, monkeypatch) -> None:
    seen: list[set[str]] = []
    real = store._insert_rows

    def spy(rows):
        real(rows)
        seen.append(sources(store.search([[1, 1, 1, 1]], top_k=50)[0]))

    monkeypatch.setattr(store, "_insert_rows", spy)
    store.add_document(doc("d.txt", "hash-d", [[1, 1, 1, 1]] * 3))
    assert seen and all("d.txt" not in s for s in seen)
    assert "d.txt" in sources(store.search([[1, 1, 1, 1]], top_k=50)[0])


def test_delete_and_stats(store: ChunkStore) -> None:
    before = store.stats()
    assert before["backend"] == "milvus-lite" and before["index"]["type"] == "IVF_FLAT"
    assert store.delete_where('source == "d.txt"') == 1
    after = store.stats()
    assert after["documents"] == before["documents"] - 1
    assert after["chunks"] == before["chunks"] - 3


def test_crash_mid_insert_is_cleaned_on_reopen(tmp_path) -> None:
    path = str(tmp_path / "crash.db")
    store = open_store(path)
    kept = store.add_document(doc("kept.txt", "hash-k", [[1, 0, 0, 0]]))
    # what a process killed between the chunk inserts and the commit leaves behind:
    record = store._registry_record(doc("torn.txt", "hash-t", [[1, 0, 0, 0]] * 3), "torn", 0)
    store._set_status(record, "pending")
    store._insert_chunks(doc("torn.txt", "hash-t", [[1, 0, 0, 0]] * 3), record)
    store.close()

    reopened = open_store(path)
    try:
        assert reopened.count(expr='doc_id == "torn"') == 0
        assert not reopened.documents('doc_id == "torn"')
        hits = reopened.search([[1, 0, 0, 0]], top_k=10)[0]
        assert sources(hits) == {"kept.txt"} and hits[0]["doc_id"] == kept["doc_id"]
    finally:
        reopened.close()


def test_dimension_mismatch_is_refused(tmp_path) -> None:
    path = str(tmp_path / "dim.db")
    open_store(path).close()
    with pytest.raises(StoreError, match="4-dim"):
        ChunkStore(path, dimension=8).open()


def test_a_crashed_lite_server_is_restarted_without_losing_data(tmp_path) -> None:
    store = open_store(str(tmp_path / "crashy.db"))
    try:
        store.add_document(doc("safe.txt", "hash-s", [[1, 0, 0, 0]]))
        # an escape Milvus Lite's expression parser does not know kills its server process
        # (filters.quote never emits one; this reaches the raw client on purpose)
        with pytest.raises(StoreError):
            store._call(
                lambda c: c.query(store.collection, filter=r'source like "a\_b%"', timeout=2)
            )
        hits = store.search([[1, 0, 0, 0]], top_k=3)[0]
        assert sources(hits) == {"safe.txt"}
        assert store.stats()["documents"] == 1
    finally:
        store.close()
