"""One Chromium per replica and a bounded pool of reusable pages, each behind its own proxy.

A pooled page is a browser context (its own cookies and storage) with one page, routed
through its own :class:`EgressProxy`. Pages are reused (a fresh context costs ~200 ms, a
reused page ~35 ms) and reset between requests: extra tabs closed, ``about:blank``, cookies
and the storage of every origin it visited cleared; after ``page_max_uses`` requests, a
crash or a reset that fails, the context is thrown away. A browser that crashed is
relaunched on the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from deployments.actions.browse.egress_proxy import EgressProxy, ProxySession, url_authority
from deployments.actions.browse.errors import BrowseTimeout, TooManyRedirects
from deployments.actions.browse.isolation import BrowserIsolation, IsolationUnavailable
from deployments.actions.browse.settle import pending_init_script
from deployments.common.errors import ServeError
from deployments.common.netguard import NetGuard

logger = logging.getLogger(__name__)

NO_NETWORK_SCHEMES = ("data", "blob", "about")
MAX_ORIGINS_TO_CLEAR = 32
CLOSE_TIMEOUT_S = 5.0


@dataclass
class PageOptions:
    """How pooled pages are made (from BrowseSettings)."""

    pool_size: int = 4
    max_uses: int = 50
    block_resource_types: frozenset[str] = frozenset({"image", "media", "font"})
    user_agent: str | None = None
    viewport: dict[str, int] = field(default_factory=lambda: {"width": 1280, "height": 800})
    settle_timer_ms: int = 2000


class BrowserManager:
    """Launches Chromium lazily (one per replica) and relaunches it after a crash.

    Every launch goes through :class:`BrowserIsolation`: Chromium's own network namespace,
    an unprivileged uid and its sandbox (see ``isolation.py``).
    """

    def __init__(self, isolation: BrowserIsolation, launch_timeout_s: float = 30.0) -> None:
        self.isolation = isolation
        self.launch_timeout_s = launch_timeout_s
        self.generation = 0  # bumps on every launch; pages of older generations are dropped
        self._playwright: Any = None
        self._browser: Any = None
        self._lock = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._browser is not None

    @property
    def connected(self) -> bool:
        """The browser runs, and so does the holder of its network namespace (without it no
        new page could get a proxy: the browser is then relaunched in a new namespace)."""
        return (
            self._browser is not None
            and self._browser.is_connected()
            and self.isolation.namespace_alive
        )

    async def browser(self) -> Any:
        """The running browser, launching (or relaunching) it when needed."""
        if self.connected:
            return self._browser
        async with self._lock:
            if self.connected:
                return self._browser
            if self._browser is not None:
                logger.warning("chromium or its network namespace is gone; relaunching")
                await self._close_browser()
            try:
                self._browser = await self._launch()
            except IsolationUnavailable:
                raise
            except Exception:
                # The Playwright driver itself may be gone: restart it once.
                await self._stop_playwright()
                self._browser = await self._launch()
            self.generation += 1
            return self._browser

    async def _launch(self) -> Any:
        if self._playwright is None:
            from playwright.async_api import async_playwright

            self._playwright = await async_playwright().start()
        options = self.isolation.launch_options()
        try:
            browser = await self._playwright.chromium.launch(
                **options, timeout=self.launch_timeout_s * 1000
            )
        except Exception as exc:
            if not options["chromium_sandbox"] or not self.isolation.sandbox_failed(str(exc)):
                raise
            options = self.isolation.launch_options()
            browser = await self._playwright.chromium.launch(
                **options, timeout=self.launch_timeout_s * 1000
            )
        self.isolation.launched(options["chromium_sandbox"])
        return browser

    async def processes(self) -> list[dict[str, Any]]:
        """Chromium's processes (``{"type", "id"}``: browser, renderer, gpu, utility, ...)."""
        if not self.connected:
            return []
        cdp = await self._browser.new_browser_cdp_session()
        try:
            info = await cdp.send("SystemInfo.getProcessInfo")
        finally:
            await cdp.detach()
        return [{"type": p.get("type", ""), "id": int(p["id"])} for p in info["processInfo"]]

    async def _close_browser(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), CLOSE_TIMEOUT_S)

    async def _stop_playwright(self) -> None:
        playwright, self._playwright = self._playwright, None
        if playwright is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(playwright.stop(), CLOSE_TIMEOUT_S)

    async def close(self) -> None:
        """Close the browser and the Playwright driver."""
        async with self._lock:
            await self._close_browser()
            await self._stop_playwright()


class RequestState:
    """What one request saw on its page: main-frame navigations, guard refusals, origins."""

    def __init__(self, proxy_session: ProxySession, max_redirects: int) -> None:
        self.proxy = proxy_session
        self.max_redirects = max_redirects
        self.navigations: list[str] = []  # main-frame document requests, redirect hops included
        self.redirect_hops = 0
        self.blocked: dict[str, ServeError] = {}  # URL → why the route handler refused it
        self.origins: set[str] = set()

    @property
    def fatal(self) -> ServeError | None:
        return self.proxy.fatal

    def on_navigation(self, url: str, redirected: bool) -> None:
        self.navigations.append(url)
        self.redirect_hops = self.redirect_hops + 1 if redirected else 0
        if self.redirect_hops > self.max_redirects:
            self.proxy.fail(
                TooManyRedirects(
                    f"more than max_redirects={self.max_redirects} redirects (last: {url})"
                )
            )

    def refusal_for(self, url: str) -> ServeError | None:
        """Why the guard refused ``url`` (route handler or proxy), if it did."""
        if url in self.blocked:
            return self.blocked[url]
        target = url.split("#", 1)[0]
        authority = url_authority(target)
        tunnelled = target.split(":", 1)[0].lower() in ("https", "wss")
        for refusal in reversed(self.proxy.refusals):
            if refusal.target == target:
                return refusal.error
            if tunnelled and refusal.target == refusal.authority == authority:
                return refusal.error  # a refused CONNECT tunnel to the URL's host:port
        return None

    def blocked_urls(self, limit: int = 100) -> list[str]:
        urls = list(self.blocked) + [r.target for r in self.proxy.refusals]
        return list(dict.fromkeys(urls))[:limit]


class PageSlot:
    """A pooled context + page + proxy; ``state`` is set while a request uses it."""

    def __init__(
        self,
        guard: NetGuard,
        options: PageOptions,
        generation: int,
        isolation: BrowserIsolation | None = None,
    ) -> None:
        self.guard = guard
        self.options = options
        self.generation = generation
        self.isolation = isolation
        self.proxy = EgressProxy(guard)
        self.context: Any = None
        self.page: Any = None
        self.uses = 0
        self.broken = False
        self.state: RequestState | None = None
        self._tasks: set[asyncio.Future] = set()

    async def open(self, browser: Any) -> None:
        # Inside Chromium's network namespace when it has one: its only way out.
        listener = self.isolation.listen() if self.isolation is not None else None
        proxy_url = await self.proxy.start(listener)
        self.context = await browser.new_context(
            proxy={"server": proxy_url},
            service_workers="block",
            accept_downloads=False,
            user_agent=self.options.user_agent,
            viewport=self.options.viewport,
        )
        await self.context.add_init_script(pending_init_script(self.options.settle_timer_ms))
        for script in self.isolation.init_scripts() if self.isolation is not None else []:
            await self.context.add_init_script(script)
        await self.context.route("**/*", self._route)
        self.page = await self.context.new_page()
        self.page.on("popup", self._on_popup)
        self.page.on("request", self._on_request)
        self.page.on("crash", self._on_crash)

    def begin(self, max_bytes: int, max_redirects: int) -> RequestState:
        self.uses += 1
        self.state = RequestState(self.proxy.begin(max_bytes), max_redirects)
        return self.state

    # -- event handlers ----------------------------------------------------------------------

    async def _route(self, route: Any) -> None:
        """Every request of every page of the context: resource types and the URL guard."""
        request = route.request
        state = self.state
        try:
            if state is None:
                await route.abort("blockedbyclient")
                return
            url = request.url
            scheme = url.split(":", 1)[0].lower()
            if scheme in NO_NETWORK_SCHEMES:
                await route.continue_()
                return
            if request.resource_type in self.options.block_resource_types:
                await route.abort("blockedbyclient")
                return
            try:
                target = self.guard.parse(url)
            except ServeError as exc:
                state.blocked[url] = exc
                await route.abort("blockedbyclient")
                return
            if len(state.origins) < MAX_ORIGINS_TO_CLEAR + 1:
                state.origins.add(f"{target.scheme}://{urlsplit(target.url).netloc}")
            await route.continue_()
        except Exception as exc:  # the page went away meanwhile
            logger.debug("route handler: %s", exc)

    def _on_request(self, request: Any) -> None:
        state = self.state
        if state is None or not request.is_navigation_request():
            return
        try:
            main = request.frame == self.page.main_frame
        except Exception:
            return
        if main:
            state.on_navigation(request.url, request.redirected_from is not None)

    def _on_crash(self, _page: Any) -> None:
        self.broken = True

    def _on_popup(self, popup: Any) -> None:
        task = asyncio.ensure_future(_quietly(popup.close()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- lifecycle ---------------------------------------------------------------------------

    def usable(self, generation: int) -> bool:
        return (
            not self.broken
            and self.generation == generation
            and self.uses < self.options.max_uses
            and self.page is not None
            and not self.page.is_closed()
        )

    async def reset(self) -> bool:
        """Make the page clean for the next request; False if it must be discarded."""
        state, self.state = self.state, None
        self.proxy.end()
        if self.broken or self.uses >= self.options.max_uses:
            return False
        if state is not None and len(state.origins) > MAX_ORIGINS_TO_CLEAR:
            return False
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self.page.goto("about:blank")
                await self.context.clear_cookies()
                if state is not None and state.origins:
                    cdp = await self.context.new_cdp_session(self.page)
                    for origin in state.origins:
                        await cdp.send(
                            "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
                        )
                    await cdp.detach()
        except Exception as exc:
            logger.info("page reset failed (%s); discarding its context", exc)
            return False
        return not self.page.is_closed()

    async def close(self) -> None:
        self.state = None
        await self.proxy.close()
        if self.context is not None:
            await _quietly(self.context.close())


async def _quietly(awaitable: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(awaitable, CLOSE_TIMEOUT_S)


class PagePool:
    """At most ``pool_size`` pages in use at once; idle pages are kept and reused."""

    def __init__(self, manager: BrowserManager, guard: NetGuard, options: PageOptions) -> None:
        self.manager = manager
        self.guard = guard
        self.options = options
        self._free = asyncio.Semaphore(options.pool_size)
        self._idle: list[PageSlot] = []
        self._resets: set[asyncio.Task] = set()

    @contextlib.asynccontextmanager
    async def page(self, wait_s: float) -> AsyncIterator[PageSlot]:
        """A page for one request; waits at most ``wait_s`` for a free one."""
        try:
            async with asyncio.timeout(wait_s):
                await self._free.acquire()
        except TimeoutError:
            raise BrowseTimeout(
                f"all {self.options.pool_size} pages (page_pool_size) stayed busy for {wait_s:g} s"
            ) from None
        slot: PageSlot | None = None
        try:
            slot = await self._take()
            yield slot
        finally:
            if slot is None:
                self._free.release()
            else:
                task = asyncio.ensure_future(self._give_back(slot))
                self._resets.add(task)
                task.add_done_callback(self._resets.discard)

    async def _take(self) -> PageSlot:
        browser = await self.manager.browser()
        generation = self.manager.generation
        while True:
            while self._idle:
                slot = self._idle.pop()
                if slot.usable(generation):
                    return slot
                await slot.close()
            # A page being reset is ready sooner than a new context (~200 ms): wait for it.
            pending = [task for task in self._resets if not task.done()]
            if not pending:
                break
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        slot = PageSlot(self.guard, self.options, generation, self.manager.isolation)
        try:
            await slot.open(browser)
        except BaseException:
            await slot.close()
            raise
        return slot

    async def _give_back(self, slot: PageSlot) -> None:
        if slot.broken:
            # Its renderer may hang (a JS loop): free the permit now, close in the background.
            self._free.release()
            await slot.close()
            return
        try:
            if await slot.reset():
                self._idle.append(slot)
            else:
                await slot.close()
        finally:
            self._free.release()

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def close(self) -> None:
        """Close every page (waits for pending resets)."""
        if self._resets:
            await asyncio.gather(*self._resets, return_exceptions=True)
        idle, self._idle = self._idle, []
        for slot in idle:
            await slot.close()
