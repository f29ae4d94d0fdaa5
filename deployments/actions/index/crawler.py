"""Breadth-first, same-site crawler with depth/page/time limits, robots.txt and politeness.

The crawler fetches; the caller parses. After a page is parsed the caller hands its links back
with :meth:`Crawler.enqueue`, before asking for the next page.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

from deployments.actions.index.errors import HttpError
from deployments.actions.index.fetch import Fetched, Fetcher
from deployments.actions.index.robots import RobotsCache
from deployments.common.errors import ServeError

SKIP_EXTENSIONS = (
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp", ".tif", ".tiff",
    ".css", ".js", ".mjs", ".json", ".xml", ".rss", ".atom",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".whl", ".exe", ".dmg",
    ".iso", ".bin", ".deb", ".rpm", ".apk",
    ".mp3", ".mp4", ".m4a", ".wav", ".flac", ".ogg", ".webm", ".avi", ".mov", ".mkv",
    ".woff", ".woff2", ".ttf", ".otf", ".eot",
)  # fmt: skip


@dataclass
class CrawlPage:
    """A fetched page (HTTP 2xx) at ``depth`` link hops from the start."""

    url: str
    depth: int
    fetched: Fetched
    pages_fetched: int


@dataclass
class CrawlSkip:
    """A URL not fetched (robots.txt, off-site redirect, limits) or not indexable."""

    url: str
    depth: int
    code: str
    reason: str


@dataclass
class CrawlError:
    """A fetch that failed; ``error`` names the limit or the cause."""

    url: str
    depth: int
    error: ServeError
    pages_fetched: int


CrawlItem = CrawlPage | CrawlSkip | CrawlError


def site_key(url: str) -> str:
    """The host a crawl stays on, without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def normalize_url(url: str) -> str:
    """Fragment removed, scheme and host lower-cased, empty path as ``/``."""
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


class Crawler:
    """One crawl from a start URL; iterate :meth:`crawl`, feed links with :meth:`enqueue`."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        max_depth: int = 2,
        max_pages: int = 50,
        politeness_delay_s: float = 1.0,
        max_crawl_delay_s: float = 10.0,
        respect_robots: bool = True,
        same_site: bool = True,
        max_crawl_s: float = 1800.0,
        user_agent: str = "interfaze-serve-indexer/0.1",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetcher = fetcher
        self.max_depth = max_depth
        self.max_pages = max_pages
        self.delay_s = politeness_delay_s
        self.max_crawl_delay_s = max_crawl_delay_s
        self.respect_robots = respect_robots
        self.same_site = same_site
        self.max_crawl_s = max_crawl_s
        self.user_agent = user_agent
        self._sleep = sleep
        self._clock = clock
        self.robots = RobotsCache(fetcher, user_agent)
        self._frontier: deque[tuple[str, int]] = deque()
        self._seen: set[str] = set()
        self._last_request: dict[str, float] = {}
        self._site: str | None = None
        self.pages_fetched = 0

    def _on_site(self, url: str) -> bool:
        return not self.same_site or self._site is None or site_key(url) == self._site

    def enqueue(self, links: list[str], depth: int) -> int:
        """Queue links found at ``depth - 1``; returns how many were new and in scope."""
        if depth > self.max_depth:
            return 0
        added = 0
        for link in links:
            if not link.startswith(("http://", "https://")):
                continue
            url = normalize_url(link)
            if url in self._seen or not self._on_site(url):
                continue
            if urlsplit(url).path.lower().endswith(SKIP_EXTENSIONS):
                continue
            self._seen.add(url)
            self._frontier.append((url, depth))
            added += 1
        return added

    async def _polite_wait(self, url: str) -> None:
        key = urlsplit(url).netloc.lower()
        delay = self.delay_s
        robots = self.robots.cached(url)
        if robots and robots.crawl_delay_s:
            delay = max(delay, min(robots.crawl_delay_s, self.max_crawl_delay_s))
        last = self._last_request.get(key)
        if last is not None:
            wait = last + delay - self._clock()
            if wait > 0:
                await self._sleep(wait)
        self._last_request[key] = self._clock()

    async def _allowed(self, url: str) -> bool:
        if not self.respect_robots:
            return True
        if self.robots.cached(url) is None:
            await self._polite_wait(url)
            await self.robots.get(url)
        return self.robots.cached(url).allows(url, self.user_agent)

    async def crawl(self, start_url: str) -> AsyncIterator[CrawlItem]:
        """Pages, skips and errors in breadth-first order, within every limit."""
        started = self._clock()
        start = normalize_url(start_url)
        self._site = site_key(start)
        self._seen.add(start)
        self._frontier.append((start, 0))
        while self._frontier:
            url, depth = self._frontier.popleft()
            if self.pages_fetched >= self.max_pages:
                yield CrawlSkip(url, depth, "max_pages", f"max_pages={self.max_pages} reached")
                self._frontier.clear()
                return
            if self._clock() - started > self.max_crawl_s:
                yield CrawlSkip(
                    url, depth, "crawl_time_limit", f"max_crawl_s={self.max_crawl_s:g} reached"
                )
                self._frontier.clear()
                return
            try:
                if not await self._allowed(url):
                    robots = self.robots.cached(url)
                    if robots is not None and robots.error is not None:
                        raise robots.error  # the host is unreachable (or refused by the guard)
                    yield CrawlSkip(url, depth, "robots_disallowed", "disallowed by robots.txt")
                    continue
                await self._polite_wait(url)
                self.pages_fetched += 1
                fetched = await self.fetcher.fetch(url)
            except ServeError as exc:
                yield CrawlError(url, depth, exc, self.pages_fetched)
                continue
            final = normalize_url(fetched.final_url)
            if depth == 0:
                self._site = site_key(final)  # follow the start's redirect (http→https, www.)
            elif final != url and (final in self._seen or not self._on_site(final)):
                code = "duplicate_url" if final in self._seen else "off_site_redirect"
                yield CrawlSkip(url, depth, code, f"redirected to {final}")
                continue
            self._seen.add(final)
            if not 200 <= fetched.status < 300:
                error = HttpError(f"{url} answered HTTP {fetched.status}")
                yield CrawlError(url, depth, error, self.pages_fetched)
                continue
            yield CrawlPage(url, depth, fetched, self.pages_fetched)
