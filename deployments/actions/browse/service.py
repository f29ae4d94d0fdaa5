"""The browse logic without Ray: validate, guard, fetch or render, extract, answer."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from deployments.actions.browse.browser_pool import BrowserManager, PageOptions, PagePool
from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.encoding import decode_html
from deployments.actions.browse.errors import UnsupportedContent
from deployments.actions.browse.extractor import (
    Extracted,
    ExtractLimits,
    extract_page,
    extract_plain_text,
)
from deployments.actions.browse.http_fetcher import FetchedResponse, HttpFetcher
from deployments.actions.browse.isolation import BrowserIsolation
from deployments.actions.browse.protocol import BrowseRequest, IsolationReport, PageResult
from deployments.actions.browse.renderer import ChromiumRenderer, RenderedPage, RenderLimits
from deployments.common.errors import MalformedInput
from deployments.common.netguard import NetGuard

logger = logging.getLogger(__name__)

HTML_TYPES = {"", "text/html", "application/xhtml+xml"}
TEXT_TYPES = {"text/plain", "text/xml", "application/xml", "application/json", "text/csv"}


class BrowseService:
    """Fetches pages for the browse deployment; every network access passes ``guard``."""

    def __init__(self, settings: BrowseSettings, guard: NetGuard | None = None) -> None:
        self.settings = settings
        self.guard = guard or NetGuard(settings.guard_policy())
        self.limits = ExtractLimits(
            max_text_chars=settings.max_text_chars,
            max_links=settings.max_links,
            max_tables=settings.max_tables,
            max_table_rows=settings.max_table_rows,
        )
        self.fetcher = HttpFetcher(
            self.guard,
            max_bytes=settings.max_page_bytes,
            max_redirects=settings.max_redirects,
            timeout_s=settings.navigation_timeout_s,
            user_agent=settings.user_agent,
        )
        self.isolation = BrowserIsolation(settings)
        self.browsers = BrowserManager(self.isolation)
        self.pool = PagePool(
            self.browsers,
            self.guard,
            PageOptions(
                pool_size=settings.page_pool_size,
                max_uses=settings.page_max_uses,
                block_resource_types=frozenset(settings.block_resource_types),
                user_agent=settings.user_agent,
                viewport={"width": settings.viewport_width, "height": settings.viewport_height},
                settle_timer_ms=settings.settle_timer_ms,
            ),
        )
        self.renderer = ChromiumRenderer(
            self.pool,
            RenderLimits(
                max_page_bytes=settings.max_page_bytes,
                max_redirects=settings.max_redirects,
                max_html_chars=self.limits.max_html_chars,
                wait_until=settings.wait_until,
                settle_quiet_ms=settings.settle_quiet_ms,
                settle_max_ms=settings.settle_max_ms,
            ),
        )

    # -- requests ----------------------------------------------------------------------------

    def parse_request(self, request: dict[str, Any] | BrowseRequest) -> BrowseRequest:
        """Validate the request dict; MalformedInput names the bad field."""
        if isinstance(request, BrowseRequest):
            return request
        try:
            return BrowseRequest.model_validate(request)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'request'}: {err['msg']}"
                for err in exc.errors()
            )
            raise MalformedInput(f"invalid browse request: {problems}") from None

    def timeout_for(self, request: BrowseRequest) -> float:
        return min(
            request.timeout_s or self.settings.navigation_timeout_s, self.settings.max_timeout_s
        )

    async def browse(self, request: dict[str, Any] | BrowseRequest) -> PageResult:
        """Fetch (or render) one page and extract its text, links and tables."""
        started = time.perf_counter()
        req = self.parse_request(request)
        timeout_s = self.timeout_for(req)
        target = await self.guard.check_url(req.url)  # clear errors before any browser work
        checked = time.perf_counter()
        if req.render_js and self.settings.backend == "playwright":
            result = await self._render(target.url, req, timeout_s)
        else:
            result = await self._fetch(target.url, timeout_s)
        result.timings_ms["guard"] = (checked - started) * 1000
        result.timings_ms["total"] = (time.perf_counter() - started) * 1000
        result.timings_ms = {k: round(v, 1) for k, v in result.timings_ms.items()}
        return result

    async def _render(self, url: str, req: BrowseRequest, timeout_s: float) -> PageResult:
        page: RenderedPage = await self.renderer.render(
            url, timeout_s=timeout_s, wait_for=req.wait_for
        )
        t0 = time.perf_counter()
        extracted = await asyncio.to_thread(
            extract_page,
            page.html,
            page.final_url,
            title=page.title,
            fallback_text=page.inner_text,
            limits=self.limits,
        )
        page.timings_ms["extract"] = (time.perf_counter() - t0) * 1000
        return self._result(
            extracted,
            url=url,
            final_url=page.final_url,
            status=page.status,
            content_type=page.content_type,
            redirects=page.redirects,
            blocked=page.blocked,
            timings=page.timings_ms,
            truncated=page.html_truncated,
            renderer="chromium",
        )

    async def _fetch(self, url: str, timeout_s: float) -> PageResult:
        response: FetchedResponse = await self.fetcher.fetch(url, timeout_s=timeout_s)
        t0 = time.perf_counter()
        extracted = await asyncio.to_thread(self._extract_response, response)
        return self._result(
            extracted,
            url=url,
            final_url=response.final_url,
            status=response.status,
            content_type=response.content_type,
            redirects=response.redirects,
            blocked=[],
            timings={"fetch": response.elapsed_ms, "extract": (time.perf_counter() - t0) * 1000},
            truncated=False,
            renderer="http",
        )

    def _extract_response(self, response: FetchedResponse) -> Extracted:
        media_type = response.media_type
        if media_type not in HTML_TYPES | TEXT_TYPES:
            raise UnsupportedContent(
                f"{response.final_url} is {media_type}, not a web page (browse reads HTML and text)"
            )
        text, _encoding = decode_html(response.body, response.content_type)
        if media_type in TEXT_TYPES:
            return extract_plain_text(text, self.limits)
        return extract_page(text, response.final_url, limits=self.limits)

    @staticmethod
    def _result(extracted: Extracted, *, timings: dict[str, float], **fields: Any) -> PageResult:
        truncated = fields.pop("truncated") or extracted.truncated
        return PageResult(
            title=extracted.title,
            text=extracted.text,
            links=extracted.links,
            tables=extracted.tables,
            truncated=truncated,
            fetched_at=datetime.now(UTC),
            timings_ms=dict(timings),
            **fields,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Set up Chromium's isolation (network namespace, wrapper) now: a host that cannot
        give the settings' required layers fails here, at replica start, with the reason."""
        if self.settings.backend == "playwright":
            self.isolation.prepare()

    async def start(self) -> None:
        """Launch the browser now instead of on the first request."""
        if self.settings.backend == "playwright":
            await self.browsers.browser()

    async def chromium_processes(self) -> list[dict[str, Any]]:
        """Chromium's processes with their uids (``{"type", "id", "uid"}``)."""
        processes = []
        for process in await self.browsers.processes():
            uid = _process_uid(process["id"])
            if uid is not None:
                processes.append({**process, "uid": uid})
        return processes

    async def describe(self) -> IsolationReport:
        """What isolates Chromium here (and what does not, with the reason)."""
        uids = [p["uid"] for p in await self.chromium_processes()]
        return self.isolation.report(process_uids=uids)

    async def check_health(self) -> None:
        """Relaunch a crashed browser; raises only if it cannot be launched."""
        if self.settings.backend == "playwright" and self.browsers.started:
            await self.browsers.browser()

    async def close(self) -> None:
        """Close pages, the browser and pooled HTTP connections."""
        await self.pool.close()
        await self.browsers.close()
        await self.fetcher.aclose()
        self.isolation.close()


def _process_uid(pid: int) -> int | None:
    """Effective uid of a process from /proc (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Uid:"):
                    return int(line.split()[2])
    except OSError:
        return None
    return None
