"""The SSRF guard: URL tricks, address classes, allow-lists, DNS and pinned connections."""

from __future__ import annotations

import asyncio
import ipaddress
import pickle

import pytest

from deployments.common.errors import InputRejected
from deployments.common.netguard import (
    DestinationUnreachable,
    ForbiddenDestination,
    GuardPolicy,
    InvalidURL,
    NetGuard,
    forbidden_reason,
    guarded_client,
    parse_ipv4_host,
)


def fixed_resolver(table: dict[str, list[str]]):
    calls: list[str] = []

    async def resolve(host: str) -> list[str]:
        calls.append(host)
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    resolve.calls = calls
    return resolve


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f000001", "017700000001", "127.1", "0x7f.1", "127.0.0.1", "0177.0.0.01"],
)
def test_odd_ipv4_encodings_are_loopback(host):
    assert parse_ipv4_host(host) == ipaddress.IPv4Address("127.0.0.1")
    with pytest.raises(ForbiddenDestination, match="loopback"):
        NetGuard().parse(f"http://{host}/")


@pytest.mark.parametrize("host", ["1.2.3.09", "256.1.1.1", "1.2.3.4.5", "0x1g.1"])
def test_malformed_numeric_hosts_are_invalid(host):
    with pytest.raises(InvalidURL):
        NetGuard().parse(f"http://{host}/")


def test_names_that_end_in_letters_are_names():
    assert parse_ipv4_host("example.com") is None
    assert parse_ipv4_host("1.2.3.example") is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[2002:a9fe:a9fe::]/", "metadata"),  # 6to4 of 169.254.169.254
        ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://[fe80::1]/", "link-local"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://100.64.0.1/", "non-public"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
    ],
)
def test_non_public_addresses_are_refused(url, reason):
    with pytest.raises(ForbiddenDestination, match=reason) as info:
        NetGuard().parse(url)
    assert info.value.status == 403


def test_metadata_has_its_own_code():
    with pytest.raises(ForbiddenDestination) as info:
        NetGuard().parse("http://169.254.169.254/")
    assert info.value.code == "metadata_endpoint"


def test_public_addresses_pass():
    assert forbidden_reason(ipaddress.ip_address("8.8.8.8")) is None
    assert forbidden_reason(ipaddress.ip_address("2606:4700::1111")) is None
    target = NetGuard().parse("https://8.8.8.8/dns?q=1")
    assert (target.host, target.port, target.scheme) == ("8.8.8.8", 443, "https")


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://example.com\\@127.0.0.1/",
        "http://exa mple.com/",
        "http://example.com/\x00",
        "http://[::1/",
        "http://example.com:99999/",
        "http://[fe80::1%25eth0]/",
        "http:///nohost",
        "http://-bad-.com/",
    ],
)
def test_url_tricks_are_invalid(url):
    with pytest.raises(InvalidURL) as info:
        NetGuard().parse(url)
    assert info.value.status == 400


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x/", "javascript:alert(1)", "x"]
)
def test_other_schemes_are_refused(url):
    with pytest.raises(ForbiddenDestination, match="scheme"):
        NetGuard().parse(url)


def test_https_only_policy_refuses_http_and_ws():
    guard = NetGuard(GuardPolicy.build(allow_schemes=["https"]))
    assert guard.parse("wss://example.com/socket").port == 443
    for url in ("http://example.com/", "ws://example.com/"):
        with pytest.raises(ForbiddenDestination, match="scheme"):
            guard.parse(url)


def test_urls_are_canonicalised():
    target = NetGuard().parse("HTTP://ExAmPle.COM.:80/a?b=1#c")
    assert target.url == "http://example.com/a?b=1#c"
    assert NetGuard().parse("http://b\u00fccher.de/").host == "xn--bcher-kva.de"
    assert NetGuard().parse("http://[2606:4700::1111]:8080/").authority == "[2606:4700::1111]:8080"


def test_ports_are_limited_for_public_destinations():
    with pytest.raises(ForbiddenDestination, match="port 22") as info:
        NetGuard().parse("http://8.8.8.8:22/")
    assert info.value.code == "forbidden_port"
    assert NetGuard(GuardPolicy.build(allowed_ports=None)).parse("http://8.8.8.8:22/").port == 22


def test_allow_lists_open_private_destinations_on_any_port():
    guard = NetGuard(
        GuardPolicy.build(allow_hosts=["127.0.0.1", "*.corp.example"], allow_cidrs=["10.0.0.0/8"])
    )
    assert guard.parse("http://127.0.0.1:5000/").host == "127.0.0.1"
    assert guard.parse("http://2130706433:5000/").host == "127.0.0.1"
    assert guard.parse("http://10.9.8.7:81/").host == "10.9.8.7"
    for url in ("http://127.0.0.2/", "http://192.168.1.1/", "http://169.254.169.254/"):
        with pytest.raises(ForbiddenDestination):
            guard.parse(url)
    guard.check_addresses("wiki.corp.example", 8000, [ipaddress.ip_address("192.168.1.1")])
    with pytest.raises(ForbiddenDestination):
        guard.check_addresses("corp.example.evil", 80, [ipaddress.ip_address("192.168.1.1")])


async def test_every_resolved_address_is_checked():
    resolver = fixed_resolver(
        {"good.test": ["93.184.216.34"], "mixed.test": ["93.184.216.34", "10.0.0.5"]}
    )
    guard = NetGuard(resolver=resolver)
    target = await guard.check_url("http://good.test/page")
    assert target.addresses == ("93.184.216.34",)
    with pytest.raises(ForbiddenDestination, match=r"mixed\.test \(10\.0\.0\.5\).*private"):
        await guard.check_url("http://mixed.test/")


async def test_dns_failures_and_timeouts_are_unreachable():
    async def slow(host: str) -> list[str]:
        await asyncio.sleep(5)
        return []

    with pytest.raises(DestinationUnreachable, match="does not resolve"):
        await NetGuard(resolver=fixed_resolver({})).check_url("http://nowhere.test/")
    with pytest.raises(DestinationUnreachable, match=r"took longer than 0\.05 s"):
        await NetGuard(GuardPolicy(dns_timeout_s=0.05), resolver=slow).check_url("http://x.test/")


async def _echo_server(host: str):
    async def handle(reader, writer):
        writer.write(b"hello from " + host.encode())
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, 0)


async def test_open_connection_connects_to_the_address_it_checked():
    server = await _echo_server("127.0.0.1")
    port = server.sockets[0].getsockname()[1]
    resolver = fixed_resolver({"app.test": ["127.0.0.1"], "evil.test": ["127.0.0.2"]})
    guard = NetGuard(GuardPolicy.build(allow_cidrs=["127.0.0.1/32"]), resolver=resolver)
    try:
        reader, writer = await guard.open_connection("app.test", port)
        assert await reader.read() == b"hello from 127.0.0.1"
        writer.close()
        with pytest.raises(ForbiddenDestination):
            await guard.open_connection("evil.test", port)
        with pytest.raises(DestinationUnreachable, match="cannot connect"):
            await guard.open_connection("127.0.0.1", 1)
    finally:
        server.close()


async def test_guarded_client_checks_at_connect_time():
    """DNS rebinding: the URL check saw a good address, the connection gets a bad one."""
    server = await _echo_server("127.0.0.2")
    port = server.sockets[0].getsockname()[1]
    answers = iter([["127.0.0.1"], ["127.0.0.2"]])

    async def rebinding(host: str) -> list[str]:
        return next(answers)

    guard = NetGuard(GuardPolicy.build(allow_cidrs=["127.0.0.1/32"]), resolver=rebinding)
    try:
        await guard.check_url(f"http://rebind.test:{port}/")  # first answer: allowed
        async with guarded_client(guard) as client:
            with pytest.raises(ForbiddenDestination, match=r"127\.0\.0\.2"):
                await client.get(f"http://rebind.test:{port}/")
    finally:
        server.close()


def test_errors_pickle_with_their_code():
    error = pickle.loads(pickle.dumps(ForbiddenDestination("no", code="forbidden_port")))
    assert isinstance(error, InputRejected)
    assert (error.status, error.code, error.message) == (403, "forbidden_port", "no")
