"""robots.txt per host (RFC 9309), fetched through the same guarded fetcher as pages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from deployments.actions.index.fetch import Fetcher
from deployments.common.errors import ServeError

log = logging.getLogger(__name__)
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB


@dataclass
class Robots:
    """The rules of one host for our user agent."""

    parser: RobotFileParser | None  # None: no rules (allow all)
    allow_all: bool = True
    crawl_delay_s: float | None = None
    error: ServeError | None = None  # why robots.txt could not be read (host unreachable)

    def allows(self, url: str, user_agent: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(user_agent, url)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))


def parse_robots(text: str, user_agent: str) -> Robots:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    delay = parser.crawl_delay(user_agent)
    return Robots(parser=parser, crawl_delay_s=float(delay) if delay is not None else None)


class RobotsCache:
    """Fetches and caches ``/robots.txt`` once per origin."""

    def __init__(self, fetcher: Fetcher, user_agent: str) -> None:
        self.fetcher = fetcher
        self.user_agent = user_agent
        self._cache: dict[str, Robots] = {}

    def cached(self, url: str) -> Robots | None:
        return self._cache.get(origin(url))

    async def get(self, url: str) -> Robots:
        key = origin(url)
        if key not in self._cache:
            self._cache[key] = await self._load(key)
        return self._cache[key]

    async def _load(self, key: str) -> Robots:
        try:
            fetched = await self.fetcher.fetch(f"{key}/robots.txt")
        except ServeError as exc:  # unreachable: RFC 9309 says assume full disallow
            log.info("robots.txt of %s unreachable (%s): disallowing", key, exc)
            return Robots(parser=None, allow_all=False, error=exc)
        if 400 <= fetched.status < 500:
            return Robots(parser=None, allow_all=True)
        if fetched.status >= 500:
            return Robots(parser=None, allow_all=False)
        text = fetched.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        return parse_robots(text, self.user_agent)
