"""The Milvus store: chunks + document registry, atomic visibility, dedup, expiry (no Ray).

Visibility protocol (Milvus has no transactions):

1. a registry row ``status=pending`` is written before any chunk, and the document id joins the
   hidden set (searches add ``doc_id not in [hidden]``);
2. chunks are inserted in batches, each carrying the document id;
3. the registry row becomes ``committed`` and the id leaves the hidden set.

A failure in 2 deletes the chunks written so far; a crash leaves a pending row that stays hidden
and is cleaned when the store opens again. Deletion runs the other way round (``deleting`` →
chunks removed → registry row removed). Earlier documents are never touched by a failed insert.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployments.actions.retrieve import filters as flt
from deployments.actions.retrieve.config import is_server_uri
from deployments.actions.retrieve.schema import (
    CHUNK_OUTPUT_FIELDS,
    LEGACY_OWNER,
    MAX_OWNER,
    MAX_SOURCE,
    MAX_TEXT_BYTES,
    MAX_TITLE,
    REGISTRY_DIM,
    REGISTRY_FIELDS,
    chunk_schema,
    clip_utf8,
    registry_schema,
)

log = logging.getLogger(__name__)

PENDING, COMMITTED, DELETING = "pending", "committed", "deleting"
OWNED_SUFFIX = "_t"  # collections with an owner per document (see ChunkStore)
QUERY_PAGE = 16_384  # Milvus caps offset+limit of one query at 16384


class StoreError(RuntimeError):
    """The vector store failed (unreachable, crashed, schema mismatch); no data was lost."""


@dataclass
class ChunkInput:
    """One chunk to store: text, vector and its place in the parsed document."""

    text: str
    vector: list[float]
    page: int = 0
    start: int = 0
    end: int = 0


@dataclass
class DocumentInput:
    """A parsed document with its chunks; ``content_hash`` identifies duplicates."""

    source: str
    content_hash: str
    chunks: list[ChunkInput]
    title: str = ""
    mime: str = ""
    fetched_at: int = field(default_factory=lambda: int(time.time()))
    ttl_s: int = 0
    n_pages: int = 1
    owner: str = LEGACY_OWNER


@dataclass
class IndexSpec:
    """Vector index and metric, with explicit build and search parameters."""

    index_type: str = "FLAT"
    metric: str = "COSINE"
    build_params: dict[str, Any] = field(default_factory=dict)
    search_params: dict[str, Any] = field(default_factory=dict)


class ChunkStore:
    """Owns two Milvus collections: ``<name>_t`` (chunks) and ``<name>_t_docs`` (registry).

    Every document belongs to an owner (the API key that indexed it): duplicates and
    replacements are found within one owner, and searches filter by it. Collections written
    before owners existed (``<name>``, ``<name>_docs``) are copied once into the owned ones,
    as the legacy owner's, and left in place (nothing is deleted).
    """

    def __init__(
        self,
        uri: str,
        *,
        collection: str = "ifz_chunks",
        dimension: int = 384,
        index: IndexSpec | None = None,
        token: str | None = None,
        insert_batch_rows: int = 1000,
        stale_pending_s: float = 600.0,
        timeout_s: float = 60.0,
    ) -> None:
        self.uri = uri
        self.legacy_collection = collection
        self.collection = f"{collection}{OWNED_SUFFIX}"
        self.registry = f"{self.collection}_docs"
        self.dimension = dimension
        self.index = index or IndexSpec()
        self.token = token
        self.insert_batch_rows = insert_batch_rows
        self.stale_pending_s = stale_pending_s
        self.timeout_s = timeout_s
        self.shared = is_server_uri(uri)
        self._client: Any = None
        self._write_lock = threading.RLock()
        self._hidden: set[str] = set()
        self._hidden_lock = threading.Lock()
        self._connect_lock = threading.Lock()

    # ---- lifecycle -------------------------------------------------------------------------

    def open(self) -> ChunkStore:
        """Connect (starting Milvus Lite for a file), create collections, clean crashed inserts."""
        self._connect()
        try:
            self._ensure_collections()
            self.recover()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None
                if not self.shared:
                    self._release_lite()

    def _connect(self) -> None:
        from pymilvus import MilvusClient

        if not self.shared:
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._client = MilvusClient(self.uri, token=self.token or "", timeout=self.timeout_s)
        except Exception as exc:
            raise StoreError(
                f"cannot open the vector store at {self.describe_uri()}: {exc}"
            ) from exc

    def _release_lite(self) -> None:
        try:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self.uri)
        except Exception:  # already gone
            log.debug("release of milvus-lite server failed", exc_info=True)

    def _lite_alive(self) -> bool:
        """False when this process's Milvus Lite server has died (it can crash on bad input)."""
        if self.shared:
            return True
        try:
            from milvus_lite.server_manager import server_manager_instance

            server = server_manager_instance._servers.get(str(Path(self.uri).resolve()))
            proc = getattr(server, "_p", None)
            return proc is None or proc.poll() is None
        except Exception:
            return True

    def _ensure_alive(self) -> None:
        with self._connect_lock:
            self._ensure_alive_locked()

    def _ensure_alive_locked(self) -> None:
        if self._client is None:
            self._connect()
        elif not self._lite_alive():
            log.warning("milvus-lite server for %s died; restarting it", self.uri)
            try:
                self._client.close()
            except Exception:
                log.debug("close after crash failed", exc_info=True)
            self._client = None
            self._release_lite()
            self._connect()

    def _call(self, fn: Callable[[Any], Any], *, retry: bool = False) -> Any:
        """Run ``fn(client)``; restart a crashed Lite server (and retry reads once)."""
        self._ensure_alive()
        try:
            return fn(self._client)
        except Exception as exc:
            if not self._lite_alive():
                self._ensure_alive()
                if retry:
                    return fn(self._client)
            raise StoreError(f"vector store error: {exc}") from exc

    def describe_uri(self) -> str:
        """The uri without credentials (for logs and stats)."""
        if self.shared and "@" in self.uri:
            scheme, _, rest = self.uri.partition("://")
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return self.uri

    def _ensure_collections(self) -> None:
        client = self._client
        if client.has_collection(self.collection):
            self._check_dimension()
        else:
            self._create_collections()
            self._copy_legacy()
        client.load_collection(self.collection)
        client.load_collection(self.registry)

    def _create_collections(self) -> None:
        client = self._client
        if not client.has_collection(self.collection):
            params = client.prepare_index_params()
            params.add_index(
                "vector",
                index_type=self.index.index_type,
                metric_type=self.index.metric,
                params=self.index.build_params,
            )
            if self.shared:  # scalar indexes speed up filters on a server (Lite has none)
                for name in ("doc_id", "source", "content_hash"):
                    params.add_index(name, index_type="INVERTED")
            client.create_collection(
                self.collection,
                schema=chunk_schema(client, self.dimension),
                index_params=params,
                consistency_level="Strong",
            )
        if not client.has_collection(self.registry):
            params = client.prepare_index_params()
            params.add_index("stub", index_type="FLAT", metric_type="L2")
            client.create_collection(
                self.registry,
                schema=registry_schema(client),
                index_params=params,
                consistency_level="Strong",
            )

    def _copy_legacy(self) -> int:
        """Copy documents stored before owners existed (owner: the legacy owner)."""
        client, legacy = self._client, self.legacy_collection
        if not (client.has_collection(legacy) and client.has_collection(f"{legacy}_docs")):
            return 0
        client.load_collection(legacy)
        client.load_collection(f"{legacy}_docs")
        registry_fields = [f for f in REGISTRY_FIELDS if f != "owner"]
        docs = self._iterate(client, f"{legacy}_docs", 'doc_id != ""', registry_fields)
        rows = [
            {**d, "owner": LEGACY_OWNER, "stub": [0.0] * REGISTRY_DIM}
            for d in docs
            if d.get("status") == COMMITTED
        ]
        for i in range(0, len(rows), self.insert_batch_rows):
            client.insert(self.registry, rows[i : i + self.insert_batch_rows])
        chunk_fields = [f for f in CHUNK_OUTPUT_FIELDS if f != "owner"] + ["vector"]
        chunk_fields += [f for f in ("expires_at",) if f not in chunk_fields]
        live = {d["doc_id"] for d in rows}
        copied = 0
        chunks = self._iterate(client, legacy, 'doc_id != ""', chunk_fields)
        batch: list[dict[str, Any]] = []
        for chunk in chunks:
            if chunk["doc_id"] in live:
                batch.append({**chunk, "owner": LEGACY_OWNER})
            if len(batch) >= self.insert_batch_rows:
                client.insert(self.collection, batch)
                copied, batch = copied + len(batch), []
        if batch:
            client.insert(self.collection, batch)
            copied += len(batch)
        log.info("copied %d documents (%d chunks) from %s as %r's", len(rows), copied, legacy,
                 LEGACY_OWNER)  # fmt: skip
        return copied

    def _check_dimension(self) -> None:
        info = self._client.describe_collection(self.collection)
        for f in info.get("fields", []):
            if f.get("name") == "vector":
                dim = int(f.get("params", {}).get("dim", self.dimension))
                if dim != self.dimension:
                    raise StoreError(
                        f"collection {self.collection} holds {dim}-dim vectors but the embedder "
                        f"gives {self.dimension}; use another collection name"
                    )

    # ---- registry helpers ------------------------------------------------------------------

    def _query_all(self, collection: str, expr: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every row matching ``expr``: one query, or an iterator past Milvus's 16384 cap."""
        rows = self._call(
            lambda c: c.query(
                collection,
                filter=expr,
                output_fields=fields,
                limit=QUERY_PAGE,
                timeout=self.timeout_s,
            ),
            retry=True,
        )
        if len(rows) < QUERY_PAGE:
            return [dict(r) for r in rows]
        return self._call(lambda c: self._iterate(c, collection, expr, fields), retry=True)

    @staticmethod
    def _iterate(client: Any, collection: str, expr: str, fields: list[str]) -> list[dict]:
        it = client.query_iterator(collection, batch_size=4096, filter=expr, output_fields=fields)
        rows: list[dict[str, Any]] = []
        try:
            while batch := it.next():
                rows.extend(dict(r) for r in batch)
        finally:
            it.close()
        return rows

    def _set_status(self, doc: dict[str, Any], status: str) -> None:
        row = {k: doc[k] for k in REGISTRY_FIELDS if k in doc}
        row.update(status=status, updated_at=int(time.time()), stub=[0.0] * REGISTRY_DIM)
        self._call(lambda c: c.upsert(self.registry, [row], timeout=self.timeout_s))

    def _hide(self, doc_ids: list[str]) -> None:
        with self._hidden_lock:
            self._hidden.update(doc_ids)

    def _unhide(self, doc_ids: list[str]) -> None:
        with self._hidden_lock:
            self._hidden.difference_update(doc_ids)

    def hidden_ids(self) -> set[str]:
        """Documents that must not match: unfinished inserts and deletes."""
        with self._hidden_lock:
            hidden = set(self._hidden)
        if self.shared:  # other replicas' unfinished work lives only in the registry
            rows = self._query_all(self.registry, f'status != "{COMMITTED}"', ["doc_id"])
            hidden.update(r["doc_id"] for r in rows)
        return hidden

    def find_duplicate(
        self, content_hash: str, now: int | None = None, *, owner: str = LEGACY_OWNER
    ) -> dict[str, Any] | None:
        """The owner's live committed document with this content hash, if any."""
        now = int(time.time()) if now is None else now
        expr = flt.combine(
            f"content_hash == {flt.quote(content_hash)}",
            f"owner == {flt.quote(owner)}",
            f'status == "{COMMITTED}"',
            f"expires_at == 0 or expires_at > {now}",
        )
        rows = self._call(
            lambda c: c.query(
                self.registry,
                filter=expr,
                output_fields=REGISTRY_FIELDS,
                limit=1,
                timeout=self.timeout_s,
            ),
            retry=True,
        )
        return dict(rows[0]) if rows else None

    def documents(self, expr: str = "", limit: int = 100) -> list[dict[str, Any]]:
        """Registry rows (committed or not) matching ``expr``."""
        return [
            dict(r)
            for r in self._call(
                lambda c: c.query(
                    self.registry,
                    filter=expr or 'doc_id != ""',
                    output_fields=REGISTRY_FIELDS,
                    limit=limit,
                    timeout=self.timeout_s,
                ),
                retry=True,
            )
        ]

    # ---- writes ----------------------------------------------------------------------------

    def add_document(
        self, doc: DocumentInput, *, replace_source: bool = True, now: int | None = None
    ) -> dict[str, Any]:
        """Store ``doc`` unless a live duplicate exists; all chunks appear at once or never.

        Returns ``{"status": "stored"|"duplicate", "doc_id", "chunks", "replaced": [...]}``.
        """
        now = int(time.time()) if now is None else now
        with self._write_lock:
            duplicate = self.find_duplicate(doc.content_hash, now, owner=doc.owner)
            if duplicate:
                return {
                    "status": "duplicate",
                    "doc_id": duplicate["doc_id"],
                    "source": duplicate["source"],
                    "chunks": int(duplicate["n_chunks"]),
                }
            doc_id = uuid.uuid4().hex
            record = self._registry_record(doc, doc_id, now)
            self._hide([doc_id])
            try:
                self._set_status(record, PENDING)
                self._insert_chunks(doc, record)
                self._set_status(record, COMMITTED)
            except BaseException as exc:
                self._discard(doc_id)
                if isinstance(exc, StoreError):
                    raise
                if isinstance(exc, Exception):
                    raise StoreError(f"insert of {doc.source} failed: {exc}") from exc
                raise
            self._unhide([doc_id])
            replaced = self._replaced_by(record, replace_source, now)
            if replaced:
                self.delete_documents(replaced)
            return {
                "status": "stored",
                "doc_id": doc_id,
                "source": doc.source,
                "chunks": len(doc.chunks),
                "replaced": replaced,
            }

    def _registry_record(self, doc: DocumentInput, doc_id: str, now: int) -> dict[str, Any]:
        return {
            "doc_id": doc_id,
            "owner": clip_utf8(doc.owner, MAX_OWNER),
            "content_hash": doc.content_hash,
            "source": clip_utf8(doc.source, MAX_SOURCE),
            "title": clip_utf8(doc.title or "", MAX_TITLE),
            "mime": clip_utf8(doc.mime or "", 128),
            "n_chunks": len(doc.chunks),
            "n_pages": doc.n_pages,
            "fetched_at": int(doc.fetched_at),
            "expires_at": int(doc.fetched_at) + doc.ttl_s if doc.ttl_s > 0 else 0,
        }

    def _insert_chunks(self, doc: DocumentInput, record: dict[str, Any]) -> None:
        base = {
            k: record[k] for k in ("doc_id", "owner", "source", "title", "mime", "content_hash")
        }
        base |= {"fetched_at": record["fetched_at"], "expires_at": record["expires_at"]}
        rows = []
        for i, chunk in enumerate(doc.chunks):
            if len(chunk.vector) != self.dimension:
                raise StoreError(
                    f"chunk {i} has a {len(chunk.vector)}-dim vector; the store holds "
                    f"{self.dimension}-dim vectors"
                )
            rows.append(
                base
                | {
                    "chunk_id": f"{record['doc_id']}-{i:06d}",
                    "vector": chunk.vector,
                    "text": clip_utf8(chunk.text, MAX_TEXT_BYTES),
                    "page": int(chunk.page),
                    "start": int(chunk.start),
                    "end": int(chunk.end),
                    "chunk_index": i,
                }
            )
        for i in range(0, len(rows), self.insert_batch_rows):
            self._insert_rows(rows[i : i + self.insert_batch_rows])

    def _insert_rows(self, rows: list[dict[str, Any]]) -> None:
        self._call(lambda c: c.insert(self.collection, rows, timeout=self.timeout_s))

    def _discard(self, doc_id: str) -> None:
        """Best-effort removal of a failed insert (a crash leaves it hidden until recovery)."""
        try:
            self._call(
                lambda c: c.delete(
                    self.collection, filter=f'doc_id == "{doc_id}"', timeout=self.timeout_s
                )
            )
            self._call(lambda c: c.delete(self.registry, ids=[doc_id], timeout=self.timeout_s))
            self._unhide([doc_id])
        except Exception:
            log.exception("could not discard the partial document %s; recovery will", doc_id)

    def _replaced_by(self, record: dict[str, Any], replace_source: bool, now: int) -> list[str]:
        """Older documents the new one supersedes: same source, or same content but expired."""
        clauses = [f"content_hash == {flt.quote(record['content_hash'])}"]
        if replace_source:
            clauses.append(f"source == {flt.quote(record['source'])}")
        expr = flt.combine(
            " or ".join(f"({c})" for c in clauses),
            f"owner == {flt.quote(record['owner'])}",
            f'status == "{COMMITTED}"',
            f"doc_id != {flt.quote(record['doc_id'])}",
        )
        rows = self._query_all(self.registry, expr, ["doc_id", "source", "expires_at"])
        return [
            r["doc_id"]
            for r in rows
            if (replace_source and r["source"] == record["source"])
            or (r["expires_at"] and r["expires_at"] <= now)
        ]

    def delete_documents(self, doc_ids: list[str]) -> int:
        """Delete whole documents: hidden first, then chunks, then registry rows."""
        if not doc_ids:
            return 0
        with self._write_lock:
            ids_expr = f"doc_id in [{', '.join(flt.quote(d) for d in doc_ids)}]"
            rows = self._query_all(self.registry, ids_expr, REGISTRY_FIELDS)
            self._hide(doc_ids)
            for row in rows:
                self._set_status(row, DELETING)
            for i in range(0, len(doc_ids), 500):
                part = doc_ids[i : i + 500]
                expr = f"doc_id in [{', '.join(flt.quote(d) for d in part)}]"
                self._call(
                    lambda c, e=expr: c.delete(self.collection, filter=e, timeout=self.timeout_s)
                )
                self._call(lambda c, p=part: c.delete(self.registry, ids=p, timeout=self.timeout_s))
            self._unhide(doc_ids)
            return len(rows)

    def delete_where(self, expr: str) -> int:
        """Delete every document whose registry row matches ``expr``."""
        rows = self._query_all(self.registry, expr, ["doc_id"])
        return self.delete_documents([r["doc_id"] for r in rows])

    def refresh(self, doc_id: str, *, ttl_s: int, now: int | None = None) -> dict[str, Any] | None:
        """Mark a document fetched again unchanged: new ``fetched_at``/``expires_at`` on its
        registry row and chunks (vectors are reused, nothing is re-embedded)."""
        now = int(time.time()) if now is None else now
        expires_at = now + ttl_s if ttl_s > 0 else 0
        with self._write_lock:
            rows = self._query_all(self.registry, f"doc_id == {flt.quote(doc_id)}", REGISTRY_FIELDS)
            if not rows or rows[0]["status"] != COMMITTED:
                return None
            fields = [*CHUNK_OUTPUT_FIELDS, "vector"]
            chunks = self._query_all(self.collection, f"doc_id == {flt.quote(doc_id)}", fields)
            for row in chunks:
                row.update(fetched_at=now, expires_at=expires_at)
            for i in range(0, len(chunks), self.insert_batch_rows):
                part = chunks[i : i + self.insert_batch_rows]
                self._call(lambda c, p=part: c.upsert(self.collection, p, timeout=self.timeout_s))
            record = rows[0] | {"fetched_at": now, "expires_at": expires_at}
            self._set_status(record, COMMITTED)
            return record

    def purge_expired(self, now: int | None = None) -> int:
        """Delete documents past their ``expires_at``; returns how many."""
        now = int(time.time()) if now is None else now
        return self.delete_where(f"expires_at > 0 and expires_at <= {now}")

    def recover(self) -> int:
        """Finish what a crash interrupted: remove unfinished inserts and deletes."""
        expr = f'status != "{COMMITTED}"'
        if self.shared:
            expr += f" and updated_at < {int(time.time() - self.stale_pending_s)}"
        rows = self._query_all(self.registry, expr, ["doc_id", "source", "status"])
        for row in rows:
            log.warning("cleaning %s document %s (%s)", row["status"], row["doc_id"], row["source"])
        return self.delete_documents([r["doc_id"] for r in rows])

    # ---- reads -----------------------------------------------------------------------------

    def search(
        self,
        vectors: list[list[float]],
        *,
        top_k: int,
        expr: str = "",
        now: int | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Top-k chunks per query vector among visible (committed, unexpired) documents."""
        now = int(time.time()) if now is None else now
        full = flt.combine(expr, flt.visibility_clause(now, self.hidden_ids()))
        params = dict(self.index.search_params)
        if "ef" in params:
            params["ef"] = max(params["ef"], top_k)
        results = self._call(
            lambda c: c.search(
                self.collection,
                data=vectors,
                limit=top_k,
                filter=full,
                output_fields=CHUNK_OUTPUT_FIELDS,
                search_params={"metric_type": self.index.metric, "params": params},
                timeout=self.timeout_s,
            ),
            retry=True,
        )
        return [[self._hit(h) for h in hits] for hits in results]

    def _hit(self, hit: dict[str, Any]) -> dict[str, Any]:
        entity = hit.get("entity", {})
        distance = float(hit.get("distance", 0.0))
        score = -distance if self.index.metric == "L2" else distance
        return {
            "text": entity.get("text", ""),
            "score": score,
            "source": entity.get("source", ""),
            "title": entity.get("title", ""),
            "mime": entity.get("mime", ""),
            "page": entity.get("page", 0),
            "start": entity.get("start", 0),
            "end": entity.get("end", 0),
            "chunk_id": entity.get("chunk_id", hit.get("id")),
            "chunk_index": entity.get("chunk_index", 0),
            "doc_id": entity.get("doc_id", ""),
            "content_hash": entity.get("content_hash", ""),
            "fetched_at": flt.iso(int(entity.get("fetched_at", 0))),
        }

    def count(self, collection: str | None = None, expr: str = "") -> int:
        rows = self._call(
            lambda c: c.query(
                collection or self.collection,
                filter=expr,
                output_fields=["count(*)"],
                timeout=self.timeout_s,
            ),
            retry=True,
        )
        return int(rows[0]["count(*)"]) if rows else 0

    def stats(self) -> dict[str, Any]:
        return {
            "uri": self.describe_uri(),
            "backend": "milvus-server" if self.shared else "milvus-lite",
            "collection": self.collection,
            "dimension": self.dimension,
            "documents": self.count(self.registry, f'status == "{COMMITTED}"'),
            "unfinished_documents": self.count(self.registry, f'status != "{COMMITTED}"'),
            "chunks": self.count(self.collection),
            "index": {
                "type": self.index.index_type,
                "metric": self.index.metric,
                "build_params": self.index.build_params,
                "search_params": self.index.search_params,
            },
            "pid": os.getpid(),
        }
