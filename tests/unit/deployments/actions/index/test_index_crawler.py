"""Crawler logic with a scripted fetcher (order, limits, robots.txt, politeness, redirects)."""

from __future__ import annotations

import pytest

from deployments.actions.index.crawler import Crawler, CrawlError, CrawlPage, CrawlSkip
from deployments.actions.index.fetch import Fetched
from deployments.common.netguard import DestinationUnreachable

ROBOTS = "User-agent: *\nDisallow: /private\nCrawl-delay: 2\n"


class ScriptedFetcher:
    """url → (status, body, final_url); records the order of requests."""

    def __init__(self, pages: dict[str, tuple[int, bytes, str | None]]) -> None:
        self.pages = pages
        self.requests: list[str] = []

    async def fetch(self, url: str) -> Fetched:
        self.requests.append(url)
        if url not in self.pages:
            return Fetched(url, url, 404, {}, b"")
        status, body, final = self.pages[url]
        if isinstance(body, Exception):
            raise body
        return Fetched(url, final or url, status, {"content-type": "text/html"}, body)

    async def aclose(self) -> None:
        pass


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def links_of(url: str) -> list[str]:
    graph = {
        "http://s/": ["http://s/a", "http://s/b", "http://s/private/x", "http://other/z"],
        "http://s/a": ["http://s/c", "http://s/", "http://s/a#frag", "http://s/logo.png"],
        "http://s/b": ["http://www.s/d"],
        "http://s/c": ["http://s/e"],
    }
    return graph.get(url, [])


async def run(crawler: Crawler, start: str) -> list:
    items = []
    async for item in crawler.crawl(start):
        items.append(item)
        if isinstance(item, CrawlPage):
            crawler.enqueue(links_of(item.url), item.depth + 1)
    return items


def site(**extra) -> ScriptedFetcher:
    pages = {u: (200, b"<html></html>", None) for u in ["http://s/", "http://s/a", "http://s/b"]}
    pages |= {u: (200, b"x", None) for u in ["http://s/c", "http://www.s/d", "http://s/e"]}
    pages["http://s/robots.txt"] = (200, ROBOTS.encode(), None)
    pages.update(extra)
    return ScriptedFetcher(pages)


async def test_breadth_first_within_depth_same_site_and_robots() -> None:
    fetcher, clock = site(), FakeClock()
    crawler = Crawler(
        fetcher, max_depth=2, max_pages=10, politeness_delay_s=0.5, sleep=clock.sleep, clock=clock
    )
    items = await run(crawler, "http://s/")
    pages = [(i.url, i.depth) for i in items if isinstance(i, CrawlPage)]
    assert pages == [
        ("http://s/", 0),
        ("http://s/a", 1),
        ("http://s/b", 1),
        ("http://s/c", 2),
        ("http://www.s/d", 2),  # www. counts as the same site
    ]
    skips = [(i.url, i.code) for i in items if isinstance(i, CrawlSkip)]
    assert skips == [("http://s/private/x", "robots_disallowed")]
    assert "http://other/z" not in fetcher.requests and "http://s/e" not in fetcher.requests
    assert "http://s/logo.png" not in fetcher.requests
    # robots.txt's Crawl-delay (2 s) overrides the 0.5 s default between requests to s; www.s
    # is another host with its own robots.txt (none: 404) and the default delay
    assert clock.sleeps == [2.0, 2.0, 2.0, 2.0, 0.5]


async def test_page_limit_and_errors_do_not_stop_the_crawl() -> None:
    fetcher = site(**{"http://s/a": (200, DestinationUnreachable("a is down"), None)})
    crawler = Crawler(fetcher, max_depth=3, max_pages=3, politeness_delay_s=0, respect_robots=False)
    items = await run(crawler, "http://s/")
    errors = [i for i in items if isinstance(i, CrawlError)]
    assert [e.url for e in errors] == ["http://s/a"] and errors[0].error.code == "unreachable_url"
    assert isinstance(items[-1], CrawlSkip) and items[-1].code == "max_pages"
    assert crawler.pages_fetched == 3


async def test_http_errors_and_off_site_redirects() -> None:
    fetcher = site(
        **{
            "http://s/a": (500, b"", None),
            "http://s/b": (200, b"x", "http://evil.example/b"),
        }
    )
    crawler = Crawler(fetcher, max_depth=1, politeness_delay_s=0, respect_robots=False)
    items = await run(crawler, "http://s/")
    assert any(isinstance(i, CrawlError) and i.error.code == "http_error" for i in items)
    assert any(isinstance(i, CrawlSkip) and i.code == "off_site_redirect" for i in items)


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [((404, b"", None), True), ((503, b"", None), False)],
)
async def test_robots_status_rules(robots, allowed: bool) -> None:
    fetcher = site(**{"http://s/robots.txt": robots})
    crawler = Crawler(fetcher, max_depth=0, politeness_delay_s=0)
    items = await run(crawler, "http://s/")
    assert isinstance(items[0], CrawlPage if allowed else CrawlSkip)


async def test_unreachable_host_is_an_error_not_a_robots_skip() -> None:
    fetcher = site(**{"http://s/robots.txt": (0, DestinationUnreachable("no route"), None)})
    items = await run(Crawler(fetcher, max_depth=0, politeness_delay_s=0), "http://s/")
    assert isinstance(items[0], CrawlError) and items[0].error.code == "unreachable_url"
