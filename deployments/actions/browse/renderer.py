"""Load one URL in a pooled Chromium page and read back the rendered document."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from deployments.actions.browse.browser_pool import PagePool, PageSlot, RequestState
from deployments.actions.browse.egress_proxy import GUARD_HEADER, url_authority
from deployments.actions.browse.errors import (
    BrowseTimeout,
    DestinationUnreachable,
    RenderFailed,
    TooManyRedirects,
    UnsupportedContent,
)
from deployments.actions.browse.settle import SETTLE_JS
from deployments.common.errors import MalformedInput, ServeError

PAGE_MEDIA_TYPES = {
    "",
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "text/xml",
    "application/xml",
    "application/json",
}
SNAPSHOT_JS = """(maxChars) => {
  const root = document.documentElement;
  const html = root ? root.outerHTML : "";
  const text = document.body ? document.body.innerText : "";
  return {
    title: document.title || "",
    html: html.length > maxChars ? html.slice(0, maxChars) : html,
    html_chars: html.length,
    text: text.length > maxChars ? text.slice(0, maxChars) : text,
    url: location.href,
  };
}"""
_UNREACHABLE_HINTS = ("net::ERR_", "NS_ERROR_")
T = TypeVar("T")


@dataclass
class RenderedPage:
    """The rendered DOM and what happened on the way."""

    url: str
    final_url: str
    status: int
    content_type: str | None
    title: str
    html: str
    inner_text: str
    html_truncated: bool
    redirects: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderLimits:
    max_page_bytes: int
    max_redirects: int
    max_html_chars: int
    wait_until: str = "load"
    settle_quiet_ms: int = 300
    settle_max_ms: int = 4000


class ChromiumRenderer:
    """Navigation, waiting, snapshot, and the mapping of browser failures to clear errors."""

    def __init__(self, pool: PagePool, limits: RenderLimits) -> None:
        self.pool = pool
        self.limits = limits

    async def render(self, url: str, *, timeout_s: float, wait_for: str | None) -> RenderedPage:
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            # Playwright's own timeouts fire first; this one is the backstop.
            async with asyncio.timeout(timeout_s + 2.0):
                async with self.pool.page(wait_s=timeout_s) as slot:
                    acquired = time.perf_counter()
                    state = slot.begin(self.limits.max_page_bytes, self.limits.max_redirects)
                    try:
                        page = await self._load(slot, state, url, deadline, timeout_s, wait_for)
                    except BaseException as exc:
                        # A page that timed out may still be busy (a JS loop, a stalled load):
                        # do not reuse it. Guard refusals and limits leave it clean.
                        if not isinstance(exc, ServeError) or isinstance(
                            exc, BrowseTimeout | RenderFailed
                        ):
                            slot.broken = True
                        raise
                    page.timings_ms["acquire"] = (acquired - started) * 1000
                    return page
        except TimeoutError:
            raise BrowseTimeout(
                f"{url} did not load within the time limit of {timeout_s:g} s"
            ) from None

    async def _load(
        self,
        slot: PageSlot,
        state: RequestState,
        url: str,
        deadline: float,
        timeout_s: float,
        wait_for: str | None,
    ) -> RenderedPage:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        loop = asyncio.get_running_loop()

        def remaining_ms() -> float:
            return max(1.0, (deadline - loop.time()) * 1000)

        page = slot.page
        t0 = time.perf_counter()
        try:
            response = await _unless_failed(
                state, page.goto(url, wait_until=self.limits.wait_until, timeout=remaining_ms())
            )
        except PlaywrightTimeout:
            raise state.fatal or BrowseTimeout(
                f"{url} did not load within the time limit of {timeout_s:g} s"
            ) from None
        except PlaywrightError as exc:
            raise self._navigation_error(slot, state, url, exc) from None
        t1 = time.perf_counter()
        if state.fatal is not None:
            raise state.fatal
        if response is None:
            raise RenderFailed(f"{url} produced no response")
        self._check_response(state, response)
        if wait_for:
            await self._wait_for(page, state, wait_for, remaining_ms(), timeout_s)
        t_wait = time.perf_counter()
        await self._settle(page, state, remaining_ms())
        t2 = time.perf_counter()
        snapshot = await self._snapshot(page, state)
        if state.fatal is not None:
            raise state.fatal
        blocked = self._left_page(state, url, snapshot.get("url") or "")
        if blocked is not None:
            raise blocked
        t3 = time.perf_counter()
        headers = await response.all_headers()
        redirects, request = [], response.request.redirected_from
        while request is not None:
            redirects.append(request.url)
            request = request.redirected_from
        return RenderedPage(
            url=url,
            final_url=snapshot.get("url") or response.url,
            status=response.status,
            content_type=headers.get("content-type"),
            title=snapshot.get("title") or "",
            html=snapshot.get("html") or "",
            inner_text=snapshot.get("text") or "",
            html_truncated=snapshot.get("html_chars", 0) > self.limits.max_html_chars,
            redirects=list(reversed(redirects)),
            blocked=state.blocked_urls(),
            timings_ms={
                "navigate": (t1 - t0) * 1000,
                "wait_for": (t_wait - t1) * 1000,
                "settle": (t2 - t_wait) * 1000,
                "snapshot": (t3 - t2) * 1000,
            },
        )

    def _check_response(self, state: RequestState, response: Any) -> None:
        headers = response.headers
        marker = headers.get(GUARD_HEADER, "")
        refusals = state.proxy.refusals
        if marker.isdigit() and int(marker) < len(refusals):
            refusal = refusals[int(marker)]
            if refusal.target == response.url:
                raise refusal.error
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in PAGE_MEDIA_TYPES:
            raise UnsupportedContent(
                f"{response.url} is {media_type}, not a web page (browse reads HTML and text)"
            )

    async def _wait_for(
        self, page: Any, state: RequestState, selector: str, timeout_ms: float, timeout_s: float
    ) -> None:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        try:
            await _unless_failed(
                state, page.wait_for_selector(selector, state="attached", timeout=timeout_ms)
            )
        except PlaywrightTimeout:
            raise state.fatal or BrowseTimeout(
                f"selector {selector!r} (wait_for) did not appear within {timeout_s:g} s"
            ) from None
        except PlaywrightError as exc:
            message = str(exc).lower()
            if "crash" in message or "closed" in message:
                raise self._page_gone(exc) from None
            raise MalformedInput(
                f"wait_for {selector!r} is not a valid selector: {_first_line(exc)}",
                code="invalid_selector",
            ) from None

    async def _settle(self, page: Any, state: RequestState, remaining_ms: float) -> None:
        """Let client-side rendering finish (see ``settle``); never fails the request."""
        from playwright.async_api import Error as PlaywrightError

        quiet = self.limits.settle_quiet_ms
        # Keep a margin of the deadline for the snapshot and the extraction.
        cap = min(self.limits.settle_max_ms, max(0.0, remaining_ms - 1000.0))
        if quiet <= 0 or cap <= 0:
            return
        # Navigated away or stuck: the snapshot decides what is readable.
        with contextlib.suppress(PlaywrightError, TimeoutError):
            await asyncio.wait_for(
                _unless_failed(state, page.evaluate(SETTLE_JS, [quiet, cap])),
                timeout=cap / 1000 + 1.0,
            )
        if state.fatal is not None:
            raise state.fatal

    async def _snapshot(self, page: Any, state: RequestState) -> dict[str, Any]:
        from playwright.async_api import Error as PlaywrightError

        for attempt in range(2):
            try:
                return await _unless_failed(
                    state, page.evaluate(SNAPSHOT_JS, self.limits.max_html_chars)
                )
            except PlaywrightError as exc:
                # A script navigated away while we read: let the new document load once.
                if attempt == 0 and "context was destroyed" in str(exc):
                    await page.wait_for_load_state(self.limits.wait_until)
                    continue
                raise state.fatal or self._page_gone(exc) from None
        raise RenderFailed("the page kept navigating while it was read")  # pragma: no cover

    @staticmethod
    def _left_page(state: RequestState, url: str, shown_url: str) -> Exception | None:
        """The error when the page navigated (script, meta refresh) to a URL that the guard
        refused or that did not load: what Chromium shows then is its own error page, or the
        proxy's refusal, never content to return."""
        if len(state.navigations) < 2:
            return None  # the requested document itself was checked by goto
        last = state.navigations[-1]
        refusal = state.refusal_for(last)
        error_page = shown_url.startswith("chrome-error:")
        if refusal is None and not error_page:
            return None
        if refusal is None:
            return DestinationUnreachable(f"{url} navigated to {last}, which did not load")
        if not error_page and shown_url.split("#", 1)[0] != last.split("#", 1)[0]:
            return None  # the page moved on after the refused attempt
        return type(refusal)(f"{url} navigated to {last}: {refusal.message}", code=refusal.code)

    @staticmethod
    def _page_gone(exc: Exception) -> ServeError:
        return RenderFailed(f"the browser failed while rendering: {_first_line(exc)}")

    def _navigation_error(
        self, slot: PageSlot, state: RequestState, url: str, exc: Exception
    ) -> ServeError:
        if state.fatal is not None:
            return state.fatal
        message = _first_line(exc)
        failed = state.navigations[-1] if state.navigations else url
        if failed in state.blocked:
            return state.blocked[failed]
        authority = url_authority(failed)
        for refusal in reversed(state.proxy.refusals):
            if refusal.target == failed or refusal.authority == authority:
                return refusal.error
        if "ERR_TOO_MANY_REDIRECTS" in message:
            return TooManyRedirects(f"{url}: too many redirects (browser limit)")
        if "Download is starting" in message:
            return UnsupportedContent(f"{failed} is a file download, not a web page")
        if any(hint in message for hint in _UNREACHABLE_HINTS):
            return DestinationUnreachable(f"cannot load {failed}: {message}")
        if "crash" in message.lower() or "closed" in message.lower():
            slot.broken = True
            return RenderFailed(f"the browser failed while loading {url}: {message}")
        slot.broken = True
        return RenderFailed(f"cannot load {url}: {message}")


async def _unless_failed(state: RequestState, awaitable: Awaitable[T]) -> T:
    """Await a page operation, but give up as soon as the request failed (e.g. the proxy cut
    a download at the byte limit: Chromium may otherwise wait for a body that never comes)."""
    task = asyncio.ensure_future(awaitable)
    failed = asyncio.ensure_future(state.proxy.failed.wait())
    try:
        await asyncio.wait({task, failed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        failed.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
    if state.fatal is not None:
        raise state.fatal
    return task.result()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
