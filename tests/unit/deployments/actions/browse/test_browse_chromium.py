"""The Chromium path against a real local site: rendering, the SSRF guard on every request
(redirect hops, subresources, XHR/fetch, WebSockets, DNS rebinding), limits, and recovery.
One browser for the whole module; the replica must survive every case."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import pytest_asyncio

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.errors import (
    BrowseTimeout,
    DestinationUnreachable,
    ForbiddenDestination,
    PageTooLarge,
    RenderFailed,
    TooManyRedirects,
    UnsupportedContent,
)
from deployments.actions.browse.service import BrowseService
from deployments.common.errors import MalformedInput
from deployments.common.netguard import NetGuard
from tests.unit.deployments.actions.browse.conftest import V6_HOST

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(60)]

SETTINGS = BrowseSettings(
    allow_cidrs=["127.0.0.1/32", "::1/128"],
    page_pool_size=2,
    max_page_bytes=1024 * 1024,
    max_redirects=5,
    navigation_timeout_s=8,
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(site):
    svc = BrowseService(SETTINGS, guard=NetGuard(SETTINGS.guard_policy(), resolver=site.resolver))
    await svc.start()
    yield svc
    await svc.close()


async def browse(service, url: str, **kw) -> dict:
    result = await service.browse({"url": url, **kw})
    return result.model_dump(mode="json")


async def assert_still_serves(service, site) -> None:
    page = await browse(service, site.url("/js"))
    assert "Quarterly report" in page["text"]


async def test_js_rendered_text_title_links_and_tables(service, site):
    page = await browse(service, site.url("/js"))
    assert page["renderer"] == "chromium" and page["status"] == 200
    assert page["title"] == "Rendered by JS"
    assert "grew by forty percent" in page["text"]
    assert {"text": "Static page", "href": site.url("/static")} in page["links"]
    assert {"text": "About", "href": "https://example.org/about"} in page["links"]
    assert page["tables"] == [{"rows": [["Quarter", "Revenue"], ["Q3", "140"]]}]
    assert page["content_type"].startswith("text/html")
    assert {"navigate", "extract", "total"} <= set(page["timings_ms"])


async def test_client_side_rendering_settles_before_the_snapshot(service, site):
    # A timer, then a fetch answered after 0.6 s, then the DOM update: no wait_for needed.
    page = await browse(service, site.url("/late-fetch"))
    assert "Price: 42.50 EUR" in page["text"] and "Loading" not in page["text"]
    assert page["timings_ms"]["settle"] >= 600
    # The 300 ms timer of the /js page has fired too.
    assert "late content" in (await browse(service, site.url("/js")))["text"]


async def test_a_page_that_never_settles_is_read_at_the_settle_cap(service, site):
    started = time.perf_counter()
    page = await browse(service, site.url("/poll"))
    elapsed = time.perf_counter() - started
    assert int(page["text"].strip()) > 10  # the page kept running meanwhile
    assert SETTINGS.settle_max_ms / 1000 <= elapsed < SETTINGS.settle_max_ms / 1000 + 3


async def test_wait_for_selector(service, site):
    page = await browse(service, site.url("/wait"), wait_for="#ready")
    assert "ready now" in page["text"]
    with pytest.raises(BrowseTimeout, match="#never"):
        await browse(service, site.url("/wait"), wait_for="#never", timeout_s=1)
    with pytest.raises(MalformedInput, match="selector"):
        await browse(service, site.url("/wait"), wait_for="!!nope((")


async def test_redirect_chain(service, site):
    page = await browse(service, site.url("/redirect/3"))
    assert page["final_url"] == site.url("/js")
    assert page["redirects"] == [site.url(f"/redirect/{n}") for n in (3, 2, 1)]


async def test_redirect_limit_and_loop(service, site):
    with pytest.raises(TooManyRedirects, match="max_redirects=5"):
        await browse(service, site.url("/redirect/9"))
    with pytest.raises(TooManyRedirects):
        await browse(service, site.url("/loop/a"))
    await assert_still_serves(service, site)


@pytest.mark.parametrize(
    ("target", "match"),
    [
        ("http://127.0.0.2:{port}/secret", "loopback"),
        ("http://2130706434:{port}/secret", "loopback"),
        ("http://[::ffff:127.0.0.2]:{port}/secret", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://10.0.0.1/", "private"),
        ("https://127.0.0.2:{port}/secret", "loopback"),
    ],
)
async def test_redirect_to_a_forbidden_address(service, site, target, match):
    url = site.url("/to?u=" + quote(target.format(port=site.port), safe=""))
    with pytest.raises(ForbiddenDestination, match=match):
        await browse(service, url)
    assert site.internal_hits == []


async def test_page_cannot_reach_forbidden_addresses(service, site):
    """Iframes, scripts, styles, fetch, XHR, WebSocket and beacons to 127.0.0.2 / metadata."""
    page = await browse(service, site.url("/attack"), wait_for="#out")
    await asyncio.sleep(0.3)  # let late requests (beacon, websocket) fail
    assert site.internal_hits == []
    blocked = page["blocked"]
    assert f"{site.internal}/fetch" in blocked
    assert f"{site.internal}/xhr" in blocked
    assert "http://169.254.169.254/latest/meta-data/" in blocked
    assert "fetch ok" not in page["text"] and "xhr ok" not in page["text"]


async def test_websocket_is_refused_by_the_proxy(service, site):
    svc_page = await browse(service, site.url("/attack"))
    assert site.internal_hits == []
    assert "ws open" not in svc_page["text"]


async def test_dns_rebinding_after_the_page_loaded(service, site):
    """rebind.test resolves to 127.0.0.1 for the page, then to 127.0.0.2 for its fetch()."""
    site.rebound.clear()
    page = await browse(service, f"http://rebind.test:{site.port}/rebind", wait_for="#done")
    assert site.rebound.is_set()
    assert "internal secret" not in page["text"]  # the proxy answered 403 instead
    assert site.internal_hits == []
    assert f"http://rebind.test:{site.port}/secret" in page["blocked"]
    site.rebound.clear()


async def test_https_to_an_allowed_host_is_tunnelled(service):
    """CONNECT happy path: the TLS ClientHello reaches the allowed server through the proxy
    (which then hangs up, so the page fails as unreachable)."""
    first_bytes: list[bytes] = []

    async def tls_sink(reader, writer):
        first_bytes.append(await reader.read(3))
        writer.close()

    server = await asyncio.start_server(tls_sink, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(DestinationUnreachable, match="ERR_"):
            await browse(service, f"https://127.0.0.1:{port}/", timeout_s=5)
    finally:
        server.close()
    assert first_bytes and first_bytes[0][:1] == b"\x16"  # a TLS handshake record


async def test_huge_page_is_cut_at_the_limit(service, site):
    started = time.perf_counter()
    with pytest.raises(PageTooLarge, match="max_page_bytes=1048576"):
        await browse(service, site.url("/big"))
    with pytest.raises(PageTooLarge):
        await browse(service, site.url("/big-chunked"))
    assert time.perf_counter() - started < 10
    await assert_still_serves(service, site)


async def test_non_utf8_pages(service, site):
    latin = await browse(service, site.url("/latin1"))
    assert latin["title"] == "Caf\u00e9" and "caf\u00e9 cr\u00e8me" in latin["text"]
    cyrillic = await browse(service, site.url("/cp1251"))
    assert "\u043c\u0438\u0440" in cyrillic["text"]


async def test_slow_page_times_out(service, site):
    started = time.perf_counter()
    with pytest.raises(BrowseTimeout, match="1 s") as info:
        await browse(service, site.url("/slow?s=3"), timeout_s=1)
    assert info.value.status == 504
    assert time.perf_counter() - started < 3
    await assert_still_serves(service, site)


async def test_endless_script_times_out_and_the_page_is_replaced(service, site):
    with pytest.raises(BrowseTimeout):
        await browse(service, site.url("/hang"), timeout_s=1)
    started = time.perf_counter()
    await assert_still_serves(service, site)
    assert time.perf_counter() - started < 5


async def test_unreachable_url(service, site, closed_port):
    with pytest.raises(DestinationUnreachable, match=str(closed_port)):
        await browse(service, f"http://127.0.0.1:{closed_port}/")
    with pytest.raises(DestinationUnreachable, match="does not resolve"):
        await browse(service, "http://no-such-host.invalid/")


async def test_pdf_and_downloads_are_refused(service, site):
    with pytest.raises(UnsupportedContent, match="application/pdf"):
        await browse(service, site.url("/pdf"))
    with pytest.raises(UnsupportedContent, match="download"):
        await browse(service, site.url("/download"))


async def test_more_requests_than_pages_queue_up(service, site):
    pages = await asyncio.gather(*(browse(service, site.url("/static")) for _ in range(5)))
    assert all(p["title"] == "Static" for p in pages)
    assert service.pool.idle <= SETTINGS.page_pool_size


async def test_renderer_crash_is_an_error_and_the_page_is_replaced(service, site):
    async with service.pool.page(wait_s=5) as slot:
        cdp = await slot.context.new_cdp_session(slot.page)
        with pytest.raises((asyncio.TimeoutError, Exception)):
            await asyncio.wait_for(cdp.send("Page.crash"), 0.5)
        await asyncio.sleep(0.2)
        assert slot.broken
        slot.begin(SETTINGS.max_page_bytes, SETTINGS.max_redirects)
        with pytest.raises(RenderFailed):
            await service.renderer._load(
                slot, slot.state, site.url("/js"), asyncio.get_running_loop().time() + 3, 3, None
            )
    await assert_still_serves(service, site)


async def test_browser_crash_is_relaunched(service, site):
    browser = await service.browsers.browser()
    generation = service.browsers.generation
    cdp = await browser.new_browser_cdp_session()
    with pytest.raises((asyncio.TimeoutError, Exception)):
        await asyncio.wait_for(cdp.send("Browser.crash"), 0.5)
    for _ in range(50):
        if not browser.is_connected():
            break
        await asyncio.sleep(0.05)
    assert not browser.is_connected()
    await service.check_health()  # relaunches
    assert service.browsers.connected and service.browsers.generation == generation + 1
    await assert_still_serves(service, site)


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


async def test_chromium_runs_unprivileged_sandboxed_in_its_own_network_namespace(service, site):
    await browse(service, site.url("/js"))  # a renderer is alive now
    processes = await service.chromium_processes()
    kinds = {p["type"] for p in processes}
    assert {"browser", "renderer"} <= kinds
    uid = SETTINGS.browser_uid if os.geteuid() == 0 else os.geteuid()
    assert uid != 0
    for process in processes:
        status = _proc_status(process["id"])
        assert status["Uid"].split() == [str(uid)] * 4, process  # real, effective, saved, fs
        assert status["CapEff"] == "0000000000000000", process
    for renderer in (p for p in processes if p["type"] == "renderer"):
        assert _proc_status(renderer["id"])["Seccomp"] == "2"  # Chromium's seccomp-bpf sandbox
    browser = next(p for p in processes if p["type"] == "browser")
    browser_netns = os.stat(f"/proc/{browser['id']}/ns/net").st_ino
    assert browser_netns == service.isolation.jail.inode()
    assert browser_netns != os.stat("/proc/self/ns/net").st_ino
    report = await service.describe()
    assert report.network == "namespace" and report.strength == "strong", report
    assert report.process_uids == [uid] and report.chromium_sandbox is True


def own_host_listeners(port: int) -> list[str]:
    """Sockets of this process listening on ``port`` in the host's network namespace (by
    inode: another process that happens to listen on the same port number is not ours)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                found.append(inode)
    return found


async def test_the_proxy_listens_only_inside_chromiums_namespace(service, site):
    with socket.create_server(("127.0.0.1", 0)) as control:  # the check sees a host listener
        assert own_host_listeners(control.getsockname()[1])
    async with service.pool.page(wait_s=5) as slot:
        port = slot.proxy.port
        assert port
        # not a connection attempt: another process on the host may hold that port number
        assert own_host_listeners(port) == []


@pytest.mark.parametrize("how", ["js", "meta"])
@pytest.mark.parametrize(
    ("target", "match"),
    [
        ("http://127.0.0.2:{port}/secret", "loopback"),
        ("https://127.0.0.2:{port}/secret", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://rebind.test:{port}/static", "loopback"),  # refused by the proxy itself
    ],
)
async def test_a_page_that_navigates_to_a_refused_url_is_an_error_not_content(
    service, site, how, target, match
):
    """Chromium's block page (or the proxy's refusal) must never come back as the page."""
    target = target.format(port=site.port)
    site.rebound.set()  # rebind.test now resolves to 127.0.0.2
    try:
        with pytest.raises(ForbiddenDestination, match=match) as info:
            await browse(service, site.url(f"/nav?how={how}&u=" + quote(target, safe="")))
    finally:
        site.rebound.clear()
    assert info.value.status == 403 and "navigated to" in info.value.message
    assert site.internal_hits == []
    await assert_still_serves(service, site)


async def test_a_page_that_navigates_to_a_dead_url_is_unreachable(service, site, closed_port):
    dead = f"http://127.0.0.1:{closed_port}/gone"
    with pytest.raises(DestinationUnreachable, match="navigated to"):
        await browse(service, site.url("/nav?u=" + quote(dead, safe="")))


async def test_a_page_that_navigates_to_an_allowed_url_is_read_there(service, site):
    page = await browse(service, site.url("/nav?how=meta&u=/static"))
    assert page["title"] == "Static" and page["final_url"] == site.url("/static")


async def test_ipv6_destinations_are_browsable_when_allowed(service, site):
    if not site.port6:
        pytest.skip("this host has no IPv6 loopback")
    page = await browse(service, f"{site.base6}/js")  # an IPv6 literal, through the proxy
    assert page["final_url"] == f"{site.base6}/js" and "Quarterly report" in page["text"]
    page = await browse(service, f"http://{V6_HOST}:{site.port6}/static")  # AAAA-only host
    assert page["title"] == "Static"
    with pytest.raises(ForbiddenDestination, match="private"):  # not allow-listed: refused
        await browse(service, site.url("/to?u=" + quote("http://[fd12::1]/", safe="")))


async def test_a_dead_namespace_holder_means_a_relaunch_in_a_new_namespace(service, site):
    jail = service.isolation.jail
    old_namespace, generation = jail.inode(), service.browsers.generation
    jail.process.kill()
    jail.process.wait(timeout=5)
    await assert_still_serves(service, site)
    assert service.browsers.generation == generation + 1
    assert service.isolation.jail.alive and service.isolation.jail.inode() != old_namespace
    browser = next(p for p in await service.chromium_processes() if p["type"] == "browser")
    assert os.stat(f"/proc/{browser['id']}/ns/net").st_ino == service.isolation.jail.inode()
