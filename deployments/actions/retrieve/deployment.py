"""The retrieve deployment class: the one owner of the vector store (plain Python, no Ray)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from deployments.actions.retrieve import filters as flt
from deployments.actions.retrieve.config import RetrieveSettings
from deployments.actions.retrieve.protocol import (
    DeletePayload,
    DocumentPayload,
    SearchPayload,
    parse,
)
from deployments.actions.retrieve.schema import LEGACY_OWNER
from deployments.actions.retrieve.store import ChunkInput, ChunkStore, DocumentInput, IndexSpec
from deployments.common.errors import InputTooLarge, MalformedInput
from deployments.embed.handles import call

log = logging.getLogger(__name__)

EMBED_BATCH = 256


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


class RetrieveDeployment:
    """Stores chunks with provenance and answers top-k searches with metadata filters."""

    def __init__(
        self,
        settings: dict[str, Any] | RetrieveSettings | None = None,
        embed_handle: Any = None,
        *,
        data_dir: str | None = None,
    ) -> None:
        self.settings = (
            settings
            if isinstance(settings, RetrieveSettings)
            else RetrieveSettings.model_validate(settings or {})
        )
        s = self.settings
        self.embed_handle = embed_handle
        self.store = ChunkStore(
            s.resolved_uri(data_dir),
            collection=s.collection,
            dimension=s.dimension,
            index=IndexSpec(s.index_type, s.metric, s.index_params(), s.search_params()),
            token=os.environ.get(s.token_env) or None,
            insert_batch_rows=s.insert_batch_rows,
            stale_pending_s=s.stale_pending_s,
            timeout_s=s.timeout_s,
        ).open()
        self._last_purge = time.monotonic()
        self._purge_task: asyncio.Task | None = None

    # ---- helpers ---------------------------------------------------------------------------

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        if self.embed_handle is None:
            raise MalformedInput(
                "no embed deployment is wired to retrieve: send vectors", code="vectors_required"
            )
        vectors: list[list[float]] = []
        for i in range(0, len(texts), EMBED_BATCH):
            vectors.extend(await call(self.embed_handle, "embed", texts[i : i + EMBED_BATCH]))
        return vectors

    def _maybe_purge(self) -> None:
        interval = self.settings.purge_interval_s
        if not interval or time.monotonic() - self._last_purge < interval:
            return
        if self._purge_task and not self._purge_task.done():
            return
        self._last_purge = time.monotonic()
        self._purge_task = asyncio.get_running_loop().create_task(self.purge_expired())

    # ---- API -------------------------------------------------------------------------------

    async def upsert(self, document: dict[str, Any]) -> dict[str, Any]:
        """Store one document's chunks (embedding them if no vectors came); dedup by hash.

        Returns ``{"status": "stored"|"duplicate", "doc_id", "source", "chunks", "replaced",
        "timings_ms"}``. A failure stores nothing and leaves earlier documents untouched.
        """
        started = time.perf_counter()
        doc = parse(DocumentPayload, document, "document")
        limit = self.settings.max_chunks_per_document
        if len(doc.chunks) > limit:
            raise InputTooLarge(
                f"document has {len(doc.chunks)} chunks, over max_chunks_per_document={limit}",
                code="too_many_chunks",
            )
        content_hash = doc.hash()
        timings: dict[str, float] = {}
        duplicate = await asyncio.to_thread(
            self.store.find_duplicate, content_hash, owner=doc.owner
        )
        if duplicate:
            return {
                "status": "duplicate",
                "doc_id": duplicate["doc_id"],
                "source": duplicate["source"],
                "chunks": int(duplicate["n_chunks"]),
                "content_hash": content_hash,
                "timings_ms": {"total": _ms(started)},
            }
        missing = [i for i, c in enumerate(doc.chunks) if c.vector is None]
        if missing:
            t = time.perf_counter()
            vectors = await self._embed([doc.chunks[i].text for i in missing])
            for i, vector in zip(missing, vectors, strict=True):
                doc.chunks[i].vector = vector
            timings["embed"] = _ms(t)
        fetched_at = (
            flt.to_epoch(doc.fetched_at, what="fetched_at")
            if doc.fetched_at is not None
            else int(time.time())
        )
        record = DocumentInput(
            source=doc.source,
            content_hash=content_hash,
            chunks=[ChunkInput(c.text, c.vector or [], c.page, c.start, c.end) for c in doc.chunks],
            title=doc.title,
            mime=doc.mime,
            fetched_at=fetched_at,
            ttl_s=self.settings.ttl_s if doc.ttl_s is None else doc.ttl_s,
            n_pages=doc.n_pages,
            owner=doc.owner,
        )
        t = time.perf_counter()
        result = await asyncio.to_thread(
            self.store.add_document, record, replace_source=doc.replace_source
        )
        timings["store"] = _ms(t)
        timings["total"] = _ms(started)
        self._maybe_purge()
        return result | {"content_hash": content_hash, "timings_ms": timings}

    async def lookup(self, request: dict[str, Any]) -> dict[str, Any]:
        """``{"content_hash"}`` → ``{"duplicate": bool, "doc_id"?, "source"?, "chunks"?}``."""
        content_hash = request.get("content_hash") if isinstance(request, dict) else None
        if not isinstance(content_hash, str) or not content_hash:
            raise MalformedInput("lookup needs a content_hash string", code="invalid_lookup")
        owner = request.get("owner") or LEGACY_OWNER
        found = await asyncio.to_thread(self.store.find_duplicate, content_hash, owner=owner)
        if not found:
            return {"duplicate": False}
        return {
            "duplicate": True,
            "doc_id": found["doc_id"],
            "source": found["source"],
            "chunks": int(found["n_chunks"]),
        }

    async def refresh(self, request: dict[str, Any]) -> dict[str, Any]:
        """``{"doc_id", "ttl_s"?}``: the document was fetched again unchanged; restart its TTL."""
        doc_id = request.get("doc_id") if isinstance(request, dict) else None
        ttl_s = request.get("ttl_s") if isinstance(request, dict) else None
        if not isinstance(doc_id, str) or not doc_id:
            raise MalformedInput("refresh needs a doc_id string", code="invalid_refresh")
        if ttl_s is None:
            ttl_s = self.settings.ttl_s
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, int) or ttl_s < 0:
            raise MalformedInput("ttl_s must be a non-negative integer", code="invalid_refresh")
        record = await asyncio.to_thread(self.store.refresh, doc_id, ttl_s=ttl_s)
        if record is None:
            return {"refreshed": False, "doc_id": doc_id}
        return {
            "refreshed": True,
            "doc_id": doc_id,
            "fetched_at": flt.iso(record["fetched_at"]),
            "expires_at": flt.iso(record["expires_at"]) if record["expires_at"] else None,
        }

    async def search(self, request: dict[str, Any]) -> dict[str, Any]:
        """``{"query", "top_k", "filters"}`` → ``{"hits": [...], "timings_ms"}``, best first."""
        started = time.perf_counter()
        req = parse(SearchPayload, request, "search")
        s = self.settings
        top_k = req.top_k or s.default_top_k
        if top_k > s.max_top_k:
            raise MalformedInput(f"top_k {top_k} exceeds max_top_k={s.max_top_k}", code="top_k")
        filters = {"owner": LEGACY_OWNER, **(req.filters or {})}
        expr = flt.build_filter(filters)
        timings: dict[str, float] = {}
        if req.vector is not None:
            vector = req.vector
        elif req.query and req.query.strip():
            if len(req.query) > s.max_query_chars:
                raise InputTooLarge(
                    f"query has {len(req.query)} characters, over max_query_chars="
                    f"{s.max_query_chars}",
                    code="query_too_long",
                )
            t = time.perf_counter()
            vector = (await self._embed([req.query]))[0]
            timings["embed"] = _ms(t)
        else:
            raise MalformedInput("search needs a non-empty query (or a vector)", code="no_query")
        if len(vector) != s.dimension:
            raise MalformedInput(
                f"vector has {len(vector)} dimensions; the index holds {s.dimension}",
                code="invalid_vector",
            )
        prefix = (req.filters or {}).get("source_prefix")
        fetch_k = min(top_k * 4, s.max_top_k * 4) if prefix and "_" in prefix else top_k
        t = time.perf_counter()
        hits = (await asyncio.to_thread(self.store.search, [vector], top_k=fetch_k, expr=expr))[0]
        timings["search"] = _ms(t)
        hits = [h for h in hits if flt.matches_prefix(req.filters, h["source"])][:top_k]
        timings["total"] = _ms(started)
        self._maybe_purge()
        return {"hits": hits, "top_k": top_k, "timings_ms": timings}

    async def delete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Delete documents by ``doc_id`` (or a list), ``source``, ``source_prefix`` or hash."""
        req = parse(DeletePayload, request, "delete")
        selectors = req.model_dump(exclude_none=True)
        if len(selectors) != 1:
            raise MalformedInput(
                "delete takes exactly one of doc_id, source, source_prefix, content_hash",
                code="invalid_delete",
            )
        key, value = next(iter(selectors.items()))
        if key == "source_prefix":
            expr = flt.build_filter({"source_prefix": value})
            rows = await asyncio.to_thread(self.store.documents, expr, 16_384)
            ids = [r["doc_id"] for r in rows if r["source"].startswith(value)]
            deleted = await asyncio.to_thread(self.store.delete_documents, ids)
        else:
            expr = flt.build_filter({key: value})
            deleted = await asyncio.to_thread(self.store.delete_where, expr)
        return {"deleted": deleted}

    async def documents(self, request: dict[str, Any] | None = None) -> dict[str, Any]:
        """Registry rows (committed documents) matching optional filters, newest first."""
        request = request or {}
        limit = request.get("limit", 100)
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise MalformedInput("limit must be an integer", code="invalid_limit")
        filters = {k: v for k, v in request.items() if k != "limit"}
        expr = flt.combine(flt.build_filter(filters), 'status == "committed"')
        rows = await asyncio.to_thread(self.store.documents, expr, max(1, min(limit, 16_384)))
        rows.sort(key=lambda r: r["fetched_at"], reverse=True)
        for row in rows:
            row["fetched_at"] = flt.iso(int(row["fetched_at"]))
        return {"documents": rows}

    async def purge_expired(self) -> dict[str, Any]:
        """Delete every document past its TTL."""
        return {"purged": await asyncio.to_thread(self.store.purge_expired)}

    async def stats(self) -> dict[str, Any]:
        """Counts, backend, index parameters."""
        return await asyncio.to_thread(self.store.stats)

    async def check_health(self) -> None:
        await asyncio.to_thread(self.store.count)

    def __del__(self) -> None:
        try:
            self.store.close()
        except Exception:
            log.debug("store close failed", exc_info=True)
