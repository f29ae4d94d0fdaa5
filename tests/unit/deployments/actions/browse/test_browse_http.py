"""The plain HTTP path (httpx, no JS): every bad-input case gives a clear error."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.errors import (
    BrowseTimeout,
    DestinationUnreachable,
    ForbiddenDestination,
    PageTooLarge,
    TooManyRedirects,
    UnsupportedContent,
)
from deployments.actions.browse.http_fetcher import HttpFetcher
from deployments.actions.browse.service import BrowseService
from deployments.common.errors import MalformedInput
from deployments.common.netguard import NetGuard
from tests.unit.deployments.actions.browse.conftest import V6_HOST

session_loop = pytest.mark.asyncio(loop_scope="session")

SETTINGS = BrowseSettings(
    backend="http",
    allow_cidrs=["127.0.0.1/32"],
    max_page_bytes=1024 * 1024,
    max_redirects=5,
    navigation_timeout_s=5,
)


@pytest.fixture
async def service(site):
    svc = BrowseService(SETTINGS, guard=NetGuard(SETTINGS.guard_policy(), resolver=site.resolver))
    yield svc
    await svc.close()


async def browse(service, url: str, **kw) -> dict:
    result = await service.browse({"url": url, "render_js": False, **kw})
    return result.model_dump(mode="json")


@session_loop
async def test_static_page(service, site):
    page = await browse(service, site.url("/static"))
    assert page["renderer"] == "http" and page["status"] == 200
    assert page["title"] == "Static"
    assert "gardening and tomatoes" in page["text"]
    assert {"text": "js page", "href": site.url("/js")} in page["links"]
    assert page["tables"] == [{"rows": [["a", "b"], ["1", "2"]]}]
    assert page["fetched_at"] and page["timings_ms"]["total"] > 0


@session_loop
async def test_js_is_not_run_without_a_browser(service, site):
    page = await browse(service, site.url("/js"))
    assert "Quarterly report" not in page["text"]


@session_loop
async def test_redirects_are_followed_and_listed(service, site):
    page = await browse(service, site.url("/redirect/3"))
    assert page["final_url"] == site.url("/js")
    assert page["redirects"] == [site.url(f"/redirect/{n}") for n in (3, 2, 1)]


@session_loop
async def test_too_many_redirects_and_loops(service, site):
    with pytest.raises(TooManyRedirects, match="max_redirects=5"):
        await browse(service, site.url("/redirect/9"))
    with pytest.raises(TooManyRedirects, match="loop"):
        await browse(service, site.url("/loop/a"))


@session_loop
@pytest.mark.parametrize(
    ("target", "match"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://127.0.0.2:{port}/secret", "loopback"),
        ("http://[::ffff:127.0.0.2]:{port}/", "loopback"),
        ("http://2130706434:{port}/", "loopback"),  # 127.0.0.2 in decimal
        ("file:///etc/passwd", "scheme"),
    ],
)
async def test_redirects_to_forbidden_destinations(service, site, target, match):
    url = site.url("/to?u=" + quote(target.format(port=site.port), safe=""))
    with pytest.raises(ForbiddenDestination, match=match) as info:
        await browse(service, url)
    assert info.value.status == 403
    assert "redirect from" in info.value.message
    assert site.internal_hits == []


@session_loop
async def test_dns_rebinding_is_caught_at_connect_time(site):
    """The pre-check resolves rebind.test to 127.0.0.1; the connection re-resolves it."""
    resolved = iter([["127.0.0.1"], ["127.0.0.2"]])

    async def rebinding(host: str) -> list[str]:
        return next(resolved)

    guard = NetGuard(SETTINGS.guard_policy(), resolver=rebinding)
    fetcher = HttpFetcher(guard)
    try:
        with pytest.raises(ForbiddenDestination, match=r"127\.0\.0\.2"):
            await fetcher.fetch(f"http://rebind.test:{site.port}/static")
    finally:
        await fetcher.aclose()
    assert site.internal_hits == []


@session_loop
@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_huge_pages_are_cut_at_the_limit(service, site, path):
    started = time.perf_counter()
    with pytest.raises(PageTooLarge, match="max_page_bytes=1048576") as info:
        await browse(service, site.url(path))
    assert info.value.status == 413
    assert time.perf_counter() - started < 5


@session_loop
async def test_non_utf8_pages_are_decoded(service, site):
    latin = await browse(service, site.url("/latin1"))
    assert latin["title"] == "Caf\u00e9"
    assert "caf\u00e9 cr\u00e8me" in latin["text"]
    cyrillic = await browse(service, site.url("/cp1251"))
    assert cyrillic["title"] == "\u041f\u0440\u0438\u0432\u0435\u0442"
    assert "\u043c\u0438\u0440" in cyrillic["text"]


@session_loop
async def test_slow_page_times_out_naming_the_limit(service, site):
    started = time.perf_counter()
    with pytest.raises(BrowseTimeout, match="1 s") as info:
        await browse(service, site.url("/slow?s=3"), timeout_s=1)
    assert info.value.status == 504
    assert time.perf_counter() - started < 2.5


@session_loop
async def test_unreachable_and_unknown_hosts(service, closed_port):
    with pytest.raises(DestinationUnreachable) as info:
        await browse(service, f"http://127.0.0.1:{closed_port}/")
    assert info.value.status == 502
    with pytest.raises(DestinationUnreachable, match="does not resolve"):
        await browse(service, "http://no-such-host.invalid/")


@session_loop
async def test_pdf_is_not_a_web_page(service, site):
    with pytest.raises(UnsupportedContent, match="application/pdf"):
        await browse(service, site.url("/pdf"))


@session_loop
async def test_bad_requests_are_malformed(service, site):
    with pytest.raises(MalformedInput, match="url"):
        await service.browse({"render_js": False})
    with pytest.raises(MalformedInput, match="timeout_s"):
        await service.browse({"url": site.url("/static"), "timeout_s": -1})
    with pytest.raises(MalformedInput, match="credentials"):
        await service.browse({"url": "http://u:p@example.com/"})


@session_loop
async def test_404_is_a_result_not_an_error(service, site):
    page = await browse(service, site.url("/missing"))
    assert page["status"] == 404 and "no such page" in page["text"]


@session_loop
async def test_ipv6_loopback_is_refused_unless_allowed(service, site):
    if not site.port6:
        pytest.skip("this host has no IPv6 loopback")
    with pytest.raises(ForbiddenDestination, match="loopback"):
        await browse(service, f"{site.base6}/static")
    with pytest.raises(ForbiddenDestination, match="loopback"):  # AAAA-only host on ::1
        await browse(service, f"http://{V6_HOST}:{site.port6}/static")
    settings = SETTINGS.model_copy(update={"allow_cidrs": ["127.0.0.1/32", "::1/128"]})
    allowed = BrowseService(settings, guard=NetGuard(settings.guard_policy(), site.resolver))
    try:
        page = await browse(allowed, f"{site.base6}/static")
        assert page["title"] == "Static" and page["final_url"] == f"{site.base6}/static"
        page = await browse(allowed, f"http://{V6_HOST}:{site.port6}/static")
        assert page["title"] == "Static"
    finally:
        await allowed.close()
