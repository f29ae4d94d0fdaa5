"""The indexing pipeline (no Ray): source → parse → chunk → dedup → embed → store, as events.

Events are dicts with an ``event`` key:

- ``start``     ``{kind: "url"|"file", source, max_pages?, max_depth?}``
- ``page``      a crawled page fetched: ``{url, final_url, depth, status, bytes, mime,
                pages_fetched, max_pages}``
- ``skipped``   a URL not fetched or not indexable: ``{url, code, reason}``
- ``chunked``   ``{source, pages, chunks, tokens}``
- ``embedded``  progress of one document: ``{source, done, total}``
- ``stored``    ``{source, doc_id, chunks, replaced}``
- ``duplicate`` same content already indexed: ``{source, doc_id, existing_source, refreshed}``
                (the same source fetched again unchanged has its TTL restarted: refreshed)
- ``error``     ``{source|url, code, status, message, fatal}`` (fatal: nothing else follows
                but ``done``)
- ``done``      ``{documents, duplicates, chunks, pages, errors, skipped, elapsed_ms}``
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from deployments.actions.index.chunker import Chunk, TokenChunker
from deployments.actions.index.config import IndexSettings
from deployments.actions.index.crawler import Crawler, CrawlError, CrawlPage, CrawlSkip
from deployments.actions.index.errors import (
    DependencyUnavailable,
    EmbedUnavailable,
    EmptyDocument,
    NotIndexed,
    StoreUnavailable,
)
from deployments.actions.index.fetch import Fetcher
from deployments.actions.index.parsers import (
    HTML_TYPES,
    PDF_TYPE,
    TEXT_TYPES,
    ParsedDocument,
    PdfParser,
    media_type,
    parse_document,
)
from deployments.actions.index.protocol import IndexRequest, parse_request
from deployments.common.errors import InputTooLarge, ServeError, UnsupportedInput
from deployments.common.media import decode_base64

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], Awaitable[list[list[float]]]]
Lookup = Callable[[str, str], Awaitable[dict[str, Any]]]  # (content hash, owner)
Upsert = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
Refresh = Callable[[str, int | None], Awaitable[dict[str, Any]]]


@dataclass
class RunState:
    """What one run did; ``fatal`` holds the error that stopped it (for non-streaming calls)."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    chunks: int = 0
    pages: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    fatal: Exception | None = None


def error_event(exc: ServeError, *, fatal: bool, **where: Any) -> dict[str, Any]:
    return {
        "event": "error",
        **where,
        "code": exc.code,
        "status": exc.status,
        "message": exc.message,
        "fatal": fatal,
    }


class Indexer:
    """Runs index requests against injected embed / lookup / upsert callables."""

    def __init__(
        self,
        settings: IndexSettings,
        *,
        chunker: TokenChunker,
        embed: Embed,
        lookup: Lookup,
        upsert: Upsert,
        refresh: Refresh,
        pdf_parser: PdfParser,
        fetcher_factory: Callable[[], Fetcher],
        crawler_factory: Callable[..., Crawler] = Crawler,
    ) -> None:
        self.settings = settings
        self.chunker = chunker
        self.embed = embed
        self.lookup = lookup
        self.upsert = upsert
        self.refresh = refresh
        self.pdf_parser = pdf_parser
        self.fetcher_factory = fetcher_factory
        self.crawler_factory = crawler_factory

    # ---- entry point -----------------------------------------------------------------------

    async def run(self, request: Any, state: RunState | None = None) -> AsyncIterator[dict]:
        """Events of one request; input errors become ``error`` events, never exceptions."""
        state = state or RunState()
        started = time.perf_counter()
        try:
            req = parse_request(request)
            if req.url is not None:
                async for event in self._crawl(req, state):
                    yield event
            else:
                async for event in self._file(req, state):
                    yield event
        except ServeError as exc:
            state.fatal = exc
            event = error_event(exc, fatal=True, source=_request_source(request))
            state.errors.append(event)
            yield event
        except Exception as exc:  # a bug must not leave a stream hanging half-written
            log.exception("index run failed")
            state.fatal = exc
            event = {
                "event": "error",
                "source": _request_source(request),
                "code": "internal_error",
                "status": 500,
                "message": f"{type(exc).__name__}: {exc}",
                "fatal": True,
            }
            state.errors.append(event)
            yield event
        yield {
            "event": "done",
            "ok": state.fatal is None,
            "documents": len(state.documents),
            "duplicates": state.duplicates,
            "chunks": state.chunks,
            "pages": state.pages,
            "skipped": state.skipped,
            "errors": len(state.errors),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    # ---- files -----------------------------------------------------------------------------

    def _file_bytes(self, req: IndexRequest) -> bytes:
        limit = self.settings.max_file_bytes
        if isinstance(req.data, str):
            return decode_base64(req.data, max_bytes=limit, what="data")
        data = req.data or b""
        if len(data) > limit:
            raise InputTooLarge(
                f"file has {len(data)} bytes, over max_file_bytes={limit}", code="file_too_large"
            )
        if not data:
            raise EmptyDocument("the file is empty (zero bytes)")
        return data

    async def _file(self, req: IndexRequest, state: RunState) -> AsyncIterator[dict]:
        data = self._file_bytes(req)
        filename = req.filename or "upload"
        source = req.source or filename
        yield {"event": "start", "kind": "file", "source": source, "bytes": len(data)}
        mime = media_type(req.mime, data, filename)
        parsed = await parse_document(
            data, mime=mime, source=source, pdf_parser=self.pdf_parser, filename=filename
        )
        state.pages += len(parsed.pages)
        async for event in self._document(parsed, req, state, fatal=True):
            yield event

    # ---- crawls ----------------------------------------------------------------------------

    def _crawler(self, req: IndexRequest, fetcher: Fetcher) -> Crawler:
        crawl = self.settings.crawl
        return self.crawler_factory(
            fetcher,
            max_depth=min(req.max_depth if req.max_depth is not None else 99, crawl.max_depth),
            max_pages=min(req.max_pages or crawl.max_pages, crawl.max_pages),
            politeness_delay_s=crawl.politeness_delay_s,
            max_crawl_delay_s=crawl.max_crawl_delay_s,
            respect_robots=crawl.respect_robots,
            same_site=crawl.same_site or bool(req.same_site),  # a request may only narrow
            max_crawl_s=crawl.max_crawl_s,
            user_agent=crawl.user_agent,
        )

    async def _crawl(self, req: IndexRequest, state: RunState) -> AsyncIterator[dict]:
        fetcher = self.fetcher_factory()
        try:
            crawler = self._crawler(req, fetcher)
            yield {
                "event": "start",
                "kind": "url",
                "source": req.url,
                "max_pages": crawler.max_pages,
                "max_depth": crawler.max_depth,
            }
            async for item in crawler.crawl(req.url or ""):
                async for event in self._crawl_item(item, crawler, req, state):
                    yield event
        finally:
            await fetcher.aclose()

    async def _crawl_item(
        self, item: Any, crawler: Crawler, req: IndexRequest, state: RunState
    ) -> AsyncIterator[dict]:
        if isinstance(item, CrawlSkip):
            if item.depth == 0:
                raise NotIndexed(f"{item.url} was not indexed: {item.reason}", code=item.code)
            state.skipped += 1
            yield {"event": "skipped", "url": item.url, "code": item.code, "reason": item.reason}
            return
        if isinstance(item, CrawlError):
            if item.depth == 0:
                raise item.error  # the start URL itself failed: the request fails
            event = error_event(item.error, fatal=False, url=item.url)
            event["pages_fetched"] = item.pages_fetched
            state.errors.append(event)
            yield event
            return
        assert isinstance(item, CrawlPage)
        fetched = item.fetched
        state.pages += 1
        yield {
            "event": "page",
            "url": item.url,
            "final_url": fetched.final_url,
            "depth": item.depth,
            "status": fetched.status,
            "bytes": len(fetched.body),
            "mime": fetched.media_type,
            "pages_fetched": item.pages_fetched,
            "max_pages": crawler.max_pages,
        }
        try:
            parsed = await self._parse_fetched(item)
        except ServeError as exc:
            if item.depth == 0:
                raise
            event = error_event(exc, fatal=False, url=item.url)
            state.errors.append(event)
            yield event
            return
        if parsed is None:
            if item.depth == 0:
                raise UnsupportedInput(
                    f"{item.url} serves {fetched.media_type}; index takes PDF, HTML and text",
                    code="unsupported_document_type",
                )
            state.skipped += 1
            yield {
                "event": "skipped",
                "url": item.url,
                "code": "not_indexable",
                "reason": f"content type {fetched.media_type or 'unknown'} is not indexed",
            }
            return
        crawler.enqueue(parsed.links, item.depth + 1)
        async for event in self._document(parsed, req, state, fatal=item.depth == 0):
            yield event

    async def _parse_fetched(self, item: CrawlPage) -> ParsedDocument | None:
        fetched = item.fetched
        declared = fetched.media_type
        known = declared in HTML_TYPES or declared in TEXT_TYPES or declared == PDF_TYPE
        generic = declared.startswith("text/") or declared == "application/octet-stream"
        if declared and not known and not generic:
            return None
        try:
            mime = media_type(declared or None, fetched.body, fetched.final_url)
        except UnsupportedInput:
            if item.depth == 0:
                raise
            return None
        source = fetched.final_url
        return await parse_document(
            fetched.body,
            mime=mime,
            source=source,
            pdf_parser=self.pdf_parser,
            filename=source.rsplit("/", 1)[-1] or source,
            content_type=fetched.content_type,
            base_url=fetched.final_url,
        )

    # ---- one document ----------------------------------------------------------------------

    def _chunks(self, parsed: ParsedDocument) -> list[Chunk]:
        if parsed.text_chars > self.settings.max_text_chars:
            raise InputTooLarge(
                f"{parsed.source} has {parsed.text_chars} characters of text, over "
                f"max_text_chars={self.settings.max_text_chars}",
                code="text_too_large",
            )
        chunks = [
            c for page in parsed.pages for c in self.chunker.chunk(page.text, page=page.number)
        ]
        if not chunks:
            hint = " (a scan without a text layer? OCR it first)" if parsed.mime == PDF_TYPE else ""
            raise EmptyDocument(f"{parsed.source} has no extractable text{hint}")
        return chunks

    async def _document(
        self, parsed: ParsedDocument, req: IndexRequest, state: RunState, *, fatal: bool
    ) -> AsyncIterator[dict]:
        """Chunk, dedup, embed and store one parsed document."""
        try:
            async for event in self._store_document(parsed, req, state):
                yield event
        except ServeError as exc:
            if fatal or isinstance(exc, DependencyUnavailable):
                raise  # the start document failed, or the store/embedder is down: stop here
            event = error_event(exc, fatal=False, source=parsed.source)
            state.errors.append(event)
            yield event

    async def _store_document(
        self, parsed: ParsedDocument, req: IndexRequest, state: RunState
    ) -> AsyncIterator[dict]:
        chunks = self._chunks(parsed)
        content_hash = parsed.content_hash()
        yield {
            "event": "chunked",
            "source": parsed.source,
            "pages": len(parsed.pages),
            "chunks": len(chunks),
            "tokens": sum(c.tokens for c in chunks),
        }
        ttl = req.ttl_s if req.ttl_s is not None else self.settings.ttl_s
        found = await _guarded(
            self.lookup(content_hash, req.owner), StoreUnavailable, "vector store"
        )
        if found.get("duplicate"):
            state.duplicates += 1
            refreshed = False
            if found.get("source") == parsed.source:  # fetched again, unchanged: still fresh
                result = await _guarded(
                    self.refresh(found["doc_id"], ttl), StoreUnavailable, "vector store"
                )
                refreshed = bool(result.get("refreshed"))
            yield {
                "event": "duplicate",
                "source": parsed.source,
                "doc_id": found.get("doc_id"),
                "existing_source": found.get("source"),
                "refreshed": refreshed,
            }
            return
        vectors: list[list[float]] = []
        batch = self.settings.embed_batch
        for i in range(0, len(chunks), batch):
            texts = [c.text for c in chunks[i : i + batch]]
            vectors.extend(await _guarded(self.embed(texts), EmbedUnavailable, "embedder"))
            yield {
                "event": "embedded",
                "source": parsed.source,
                "done": len(vectors),
                "total": len(chunks),
            }
        document = {
            "owner": req.owner,
            "source": parsed.source,
            "title": req.title or parsed.title,
            "mime": parsed.mime,
            "content_hash": content_hash,
            "n_pages": len(parsed.pages),
            "replace_source": req.replace,
            "chunks": [
                {"text": c.text, "vector": v, "page": c.page, "start": c.start, "end": c.end}
                for c, v in zip(chunks, vectors, strict=True)
            ],
        }
        if ttl is not None:
            document["ttl_s"] = ttl
        result = await _guarded(self.upsert(document), StoreUnavailable, "vector store")
        if result.get("status") == "duplicate":
            state.duplicates += 1
            yield {
                "event": "duplicate",
                "source": parsed.source,
                "doc_id": result.get("doc_id"),
                "existing_source": result.get("source"),
            }
            return
        state.chunks += len(chunks)
        stored = {
            "source": parsed.source,
            "doc_id": result.get("doc_id"),
            "chunks": len(chunks),
            "replaced": result.get("replaced", []),
        }
        state.documents.append(stored)
        yield {"event": "stored", **stored}


async def _guarded(awaitable: Awaitable[Any], error: type[ServeError], what: str) -> Any:
    """Calls to the embedder/store: input errors pass through; anything else becomes 503."""
    try:
        return await awaitable
    except ServeError:
        raise
    except Exception as exc:
        log.exception("%s call failed", what)
        raise error(
            f"the {what} failed ({type(exc).__name__}: {exc}); nothing was stored for this "
            "document and earlier documents are intact"
        ) from exc


def _request_source(request: Any) -> str:
    if isinstance(request, IndexRequest):
        return request.url or request.source or request.filename or ""
    if isinstance(request, dict):
        return str(request.get("url") or request.get("source") or request.get("filename") or "")
    return ""
