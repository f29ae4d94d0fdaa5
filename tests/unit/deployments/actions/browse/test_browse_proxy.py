"""The guarded egress proxy on its own (raw sockets, no browser)."""

from __future__ import annotations

import asyncio

import pytest

from deployments.actions.browse.egress_proxy import GUARD_HEADER, EgressProxy
from deployments.actions.browse.errors import PageTooLarge
from deployments.common.netguard import ForbiddenDestination, GuardPolicy, NetGuard

session_loop = pytest.mark.asyncio(loop_scope="session")


async def ask(proxy_url: str, request: bytes) -> bytes:
    port = int(proxy_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(-1), 5)
    finally:
        writer.close()


@pytest.fixture
async def proxy():
    guard = NetGuard(GuardPolicy.build(allow_cidrs=["127.0.0.1/32"]))
    egress = EgressProxy(guard)
    url = await egress.start()
    yield egress, url
    await egress.close()


@session_loop
async def test_plain_http_is_forwarded_with_connection_close(proxy, site):
    egress, url = proxy
    session = egress.begin(max_bytes=1_000_000)
    answer = await ask(
        url,
        f"GET {site.url('/static')} HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n"
        "Proxy-Connection: keep-alive\r\nAccept-Encoding: gzip\r\n\r\n".encode(),
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") and b"Connection: close" in head
    assert b"Static article" in body
    assert session.bytes_in == len(answer) and session.refusals == []


@session_loop
async def test_forbidden_destinations_get_a_marked_refusal(proxy, site):
    egress, url = proxy
    session = egress.begin(max_bytes=1_000_000)
    answer = await ask(url, f"GET {site.internal}/secret HTTP/1.1\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 403") and f"{GUARD_HEADER}: 0".encode() in answer
    assert b"loopback" in answer
    tunnel = await ask(url, b"CONNECT 169.254.169.254:443 HTTP/1.1\r\n\r\n")
    assert tunnel.startswith(b"HTTP/1.1 403")
    assert [r.authority for r in session.refusals] == [
        f"127.0.0.2:{site.port}",
        "169.254.169.254:443",
    ]
    assert isinstance(session.refusals[1].error, ForbiddenDestination)
    assert site.internal_hits == []


@session_loop
async def test_byte_budget_cuts_the_download(proxy, site):
    egress, url = proxy
    session = egress.begin(max_bytes=200_000)
    answer = await ask(url, f"GET {site.url('/big')} HTTP/1.1\r\n\r\n".encode())
    assert len(answer) < 400_000
    assert isinstance(session.fatal, PageTooLarge) and session.failed.is_set()
    refused = await ask(url, f"GET {site.url('/static')} HTTP/1.1\r\n\r\n".encode())
    assert refused.startswith(b"HTTP/1.1 413")  # everything after the limit is refused


@session_loop
async def test_idle_proxy_refuses_everything(proxy, site):
    egress, url = proxy
    egress.begin(max_bytes=1_000_000)
    egress.end()
    before = site.hits["/static"]
    answer = await ask(url, f"GET {site.url('/static')} HTTP/1.1\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 403")
    assert site.hits["/static"] == before  # nothing reached the site through an idle page
