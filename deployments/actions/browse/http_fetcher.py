"""Plain HTTP fetch (httpx, no JS) behind the SSRF guard; also the crawler's fetcher.

Redirects are followed here, one hop at a time: each hop is parsed and checked, and the
connection itself is made by :func:`deployments.common.netguard.guarded_client`, which
resolves again at connect time and connects only to the address it checked.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin

from deployments.actions.browse.errors import BrowseTimeout, PageTooLarge, TooManyRedirects
from deployments.common.errors import ServeError
from deployments.common.netguard import DestinationUnreachable, NetGuard, guarded_client

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; interfaze-browse/0.1)"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"


@dataclass
class FetchedResponse:
    """The final response of a fetch, its body and the redirect chain."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def media_type(self) -> str:
        return (self.content_type or "").split(";")[0].strip().lower()


class HttpFetcher:
    """GET a URL with limits on time, bytes and redirects; every hop passes the guard."""

    def __init__(
        self,
        guard: NetGuard,
        *,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 10,
        timeout_s: float = 15.0,
        user_agent: str | None = None,
    ) -> None:
        self.guard = guard
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.timeout_s = timeout_s
        self._client = guarded_client(
            guard,
            headers={"user-agent": user_agent or DEFAULT_USER_AGENT, "accept": ACCEPT},
            timeout=timeout_s,
            # No cookie persistence: one user's fetch must not carry state into another's.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    async def fetch(self, url: str, *, timeout_s: float | None = None) -> FetchedResponse:
        """Fetch ``url``; raises the browse errors (timeout, too large, redirects, guard)."""
        limit = timeout_s or self.timeout_s
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit):
                response = await self._follow(url)
        except TimeoutError:
            raise BrowseTimeout(
                f"{url} did not answer within the time limit of {limit:g} s"
            ) from None
        response.elapsed_ms = (time.perf_counter() - started) * 1000
        return response

    async def _follow(self, url: str) -> FetchedResponse:
        start = self.guard.parse(url).url
        current, redirects = start, []
        while True:
            await self.guard.check_url(current)
            status, headers, body = await self._get(current)
            location = headers.get("location")
            if status not in REDIRECT_STATUSES or not location:
                return FetchedResponse(start, current, status, headers, body, redirects)
            redirects.append(current)
            try:
                nxt = self.guard.parse(urljoin(current, location.strip())).url
            except ServeError as exc:
                raise type(exc)(f"redirect from {current}: {exc.message}", code=exc.code) from None
            if nxt in redirects:
                raise TooManyRedirects(
                    f"redirect loop: {nxt} redirects back to itself after {len(redirects)} hop(s)"
                )
            if len(redirects) > self.max_redirects:
                raise TooManyRedirects(
                    f"more than max_redirects={self.max_redirects} redirects from {start}"
                )
            current = nxt

    async def _get(self, url: str) -> tuple[int, dict[str, str], bytes]:
        import httpx

        try:
            async with self._client.stream("GET", url) as response:
                headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code in REDIRECT_STATUSES:
                    return response.status_code, headers, b""
                declared = headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise PageTooLarge(
                        f"{url} declares {int(declared)} bytes, over the limit of "
                        f"max_page_bytes={self.max_bytes}"
                    )
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise PageTooLarge(
                            f"{url} is larger than the limit of max_page_bytes={self.max_bytes} "
                            "(download aborted)"
                        )
                    chunks.append(chunk)
                return response.status_code, headers, b"".join(chunks)
        except httpx.TimeoutException:
            raise BrowseTimeout(f"{url} timed out (limit {self.timeout_s:g} s)") from None
        except httpx.TooManyRedirects:  # pragma: no cover - we never let httpx follow
            raise TooManyRedirects(f"too many redirects from {url}") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise DestinationUnreachable(
                f"cannot fetch {url}: {exc or type(exc).__name__}"
            ) from None

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()
