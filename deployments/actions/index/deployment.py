"""The index deployment class (plain Python; the builder turns it into a Ray Serve deployment)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from deployments.actions.index.chunker import TokenChunker
from deployments.actions.index.config import IndexSettings
from deployments.actions.index.fetch import Fetcher, GuardedFetcher
from deployments.actions.index.parsers import OcrTextLayerParser, PdfiumParser, PdfParser
from deployments.actions.index.pipeline import Indexer, RunState
from deployments.common.errors import MalformedInput
from deployments.common.netguard import NetGuard
from deployments.embed.handles import call
from deployments.embed.model import tokenizer_file


class IndexDeployment:
    """Crawls URLs or parses files, and indexes them through the embed and retrieve handles.

    Handles may be Ray DeploymentHandles, :class:`~deployments.embed.handles.LocalHandle`
    wrappers or plain objects with the same async methods (unit tests).
    """

    def __init__(
        self,
        settings: dict[str, Any] | IndexSettings | None = None,
        embed_handle: Any = None,
        retrieve_handle: Any = None,
        ocr_handle: Any = None,
        *,
        fetcher_factory: Callable[[], Fetcher] | None = None,
        pdf_parser: PdfParser | None = None,
    ) -> None:
        self.settings = (
            settings
            if isinstance(settings, IndexSettings)
            else IndexSettings.model_validate(settings or {})
        )
        s = self.settings
        self.embed_handle = embed_handle
        self.retrieve_handle = retrieve_handle
        self.guard = NetGuard(s.guard_policy())
        if pdf_parser is None:
            pdf_parser = (
                OcrTextLayerParser(ocr_handle, s.pdf_ocr_mode)
                if ocr_handle is not None and s.use_ocr_for_pdf
                else PdfiumParser(max_pages=s.max_pdf_pages)
            )
        self.indexer = Indexer(
            s,
            chunker=TokenChunker(
                tokenizer_file(s.tokenizer), chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap
            ),
            embed=self._embed,
            lookup=self._lookup,
            upsert=self._upsert,
            refresh=self._refresh,
            pdf_parser=pdf_parser,
            fetcher_factory=fetcher_factory or self._new_fetcher,
        )

    def _new_fetcher(self) -> Fetcher:
        s = self.settings
        return GuardedFetcher(
            self.guard,
            max_bytes=s.max_page_bytes,
            max_redirects=s.max_redirects,
            timeout_s=s.timeout_s,
            user_agent=s.crawl.user_agent,
        )

    def _need(self, handle: Any, name: str) -> Any:
        if handle is None:
            raise MalformedInput(f"the index deployment has no {name} handle", code="not_wired")
        return handle

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        return await call(self._need(self.embed_handle, "embed"), "embed", texts)

    async def _lookup(self, content_hash: str, owner: str) -> dict[str, Any]:
        handle = self._need(self.retrieve_handle, "retrieve")
        return await call(handle, "lookup", {"content_hash": content_hash, "owner": owner})

    async def _upsert(self, document: dict[str, Any]) -> dict[str, Any]:
        return await call(self._need(self.retrieve_handle, "retrieve"), "upsert", document)

    async def _refresh(self, doc_id: str, ttl_s: int | None) -> dict[str, Any]:
        request: dict[str, Any] = {"doc_id": doc_id}
        if ttl_s is not None:
            request["ttl_s"] = ttl_s
        return await call(self._need(self.retrieve_handle, "retrieve"), "refresh", request)

    async def index_stream(self, request: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Progress events (see :mod:`deployments.actions.index.pipeline`); ends with ``done``.

        Bad input never raises here: it arrives as an ``error`` event (with ``status`` and
        ``code``), since a streamed response has already sent its HTTP status.
        """
        async for event in self.indexer.run(request):
            yield event

    async def index(self, request: dict[str, Any]) -> dict[str, Any]:
        """Index and return a summary; a failure of the request itself raises its error
        (InputRejected subclasses carry the HTTP status), page errors of a crawl are listed."""
        state = RunState()
        done: dict[str, Any] = {}
        async for event in self.indexer.run(request, state):
            if event["event"] == "done":
                done = event
        if state.fatal is not None and not state.documents:
            raise state.fatal
        return {
            "documents": state.documents,
            "duplicates": state.duplicates,
            "chunks": state.chunks,
            "pages": state.pages,
            "skipped": state.skipped,
            "errors": state.errors,
            "elapsed_ms": done.get("elapsed_ms"),
        }

    async def check_health(self) -> None:
        return None
