"""The crawler's view of HTTP: a small interface, and an adapter over the guarded fetcher.

The real fetcher is :class:`deployments.actions.browse.http_fetcher.HttpFetcher`: redirects one
hop at a time, every hop and every TCP connection checked by
:mod:`deployments.common.netguard` (SSRF), byte and time limits named in its errors. Tests
may pass any object with the same ``fetch`` coroutine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from deployments.common.netguard import NetGuard


@dataclass
class Fetched:
    """A fetched resource: the final URL (after redirects), status, headers, body."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def media_type(self) -> str:
        return (self.content_type or "").split(";")[0].strip().lower()


class Fetcher(Protocol):
    """GET with limits; raises :class:`InputRejected` subclasses naming the limit hit."""

    async def fetch(self, url: str) -> Fetched: ...

    async def aclose(self) -> None: ...


class GuardedFetcher:
    """Adapter over the browse deployment's guarded ``HttpFetcher``."""

    def __init__(
        self,
        guard: NetGuard,
        *,
        max_bytes: int,
        max_redirects: int,
        timeout_s: float,
        user_agent: str,
    ) -> None:
        from deployments.actions.browse.http_fetcher import HttpFetcher

        self.guard = guard
        self._inner = HttpFetcher(
            guard,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            timeout_s=timeout_s,
            user_agent=user_agent,
        )

    async def fetch(self, url: str) -> Fetched:
        r = await self._inner.fetch(url)
        return Fetched(r.url, r.final_url, r.status, dict(r.headers), r.body, list(r.redirects))

    async def aclose(self) -> None:
        await self._inner.aclose()
