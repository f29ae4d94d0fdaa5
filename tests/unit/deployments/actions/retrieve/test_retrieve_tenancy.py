"""Documents belong to the key that indexed them (issue #14): searches, duplicates and
replacements stay within one owner; documents stored before owners existed are copied over."""

from __future__ import annotations

from deployments.actions.retrieve import filters as flt
from deployments.actions.retrieve.schema import LEGACY_OWNER, chunk_schema, registry_schema
from tests.unit.deployments.actions.retrieve.test_retrieve_store import doc, open_store


def without_owner(schema):
    """The schema as it was before documents had owners."""
    from pymilvus import MilvusClient

    old = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    for f in schema.fields:
        if f.name != "owner":
            old.add_field(f.name, f.dtype, is_primary=f.is_primary, **f.params)
    return old


def search(store, owner):
    expr = flt.build_filter({"owner": owner})
    return store.search([[1, 0, 0, 0]], top_k=10, expr=expr)[0]


def test_owners_never_see_each_others_documents(tmp_path):
    store = open_store(str(tmp_path / "t.db"))
    try:
        a = store.add_document(doc("notes.txt", "h1", [[1, 0, 0, 0]], owner="key-a"))
        # Same source and the same content from another key: stored, not a duplicate, and
        # it does not replace key A's document.
        b = store.add_document(doc("notes.txt", "h1", [[1, 0, 0, 0]], owner="key-b"))
        assert a["status"] == b["status"] == "stored" and a["doc_id"] != b["doc_id"]
        assert b["replaced"] == []
        assert {h["doc_id"] for h in search(store, "key-a")} == {a["doc_id"]}
        assert {h["doc_id"] for h in search(store, "key-b")} == {b["doc_id"]}
        assert search(store, "key-c") == []
        assert store.find_duplicate("h1", owner="key-a")["doc_id"] == a["doc_id"]
        assert store.find_duplicate("h1", owner="key-c") is None
        # A new version from key A replaces only key A's document.
        a2 = store.add_document(doc("notes.txt", "h2", [[1, 0, 0, 0]], owner="key-a"))
        assert a2["replaced"] == [a["doc_id"]]
        assert {h["doc_id"] for h in search(store, "key-b")} == {b["doc_id"]}
    finally:
        store.close()


def test_documents_stored_before_owners_are_copied_not_lost(tmp_path):
    path = str(tmp_path / "legacy.db")
    store = open_store(path)
    try:  # write collections the way the previous version did: no owner field
        client = store._client
        legacy, registry = store.legacy_collection, f"{store.legacy_collection}_docs"
        old_chunks = without_owner(chunk_schema(client, 4))
        old_registry = without_owner(registry_schema(client))
        params = client.prepare_index_params()
        params.add_index("vector", index_type="FLAT", metric_type="COSINE")
        client.create_collection(legacy, schema=old_chunks, index_params=params)
        params = client.prepare_index_params()
        params.add_index("stub", index_type="FLAT", metric_type="L2")
        client.create_collection(registry, schema=old_registry, index_params=params)
        client.insert(registry, [{
            "doc_id": "d1", "status": "committed", "content_hash": "old", "source": "old.txt",
            "title": "", "mime": "text/plain", "n_chunks": 1, "n_pages": 1, "fetched_at": 1,
            "expires_at": 0, "updated_at": 1, "stub": [0.0, 0.0]}])  # fmt: skip
        client.insert(legacy, [{
            "chunk_id": "d1-000000", "doc_id": "d1", "vector": [1, 0, 0, 0], "text": "old text",
            "source": "old.txt", "title": "", "mime": "text/plain", "page": 1, "start": 0,
            "end": 8, "chunk_index": 0, "fetched_at": 1, "expires_at": 0,
            "content_hash": "old"}])  # fmt: skip
        client.drop_collection(store.collection)
        client.drop_collection(store.registry)
    finally:
        store.close()
    reopened = open_store(path)
    try:
        hits = search(reopened, LEGACY_OWNER)
        assert [h["text"] for h in hits] == ["old text"]
        assert reopened._client.has_collection(reopened.legacy_collection)  # left in place
        assert search(reopened, "someone-else") == []
    finally:
        reopened.close()
