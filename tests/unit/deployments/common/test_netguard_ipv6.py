"""IPv6 destinations: public literals and AAAA hosts pass, non-public ones stay refused, and
IPv6 forms of an IPv4 address are judged by that address (issue 14, row 11)."""

from __future__ import annotations

import ipaddress

import pytest

from deployments.common.netguard import ForbiddenDestination, GuardPolicy, NetGuard


def resolver(answers: dict[str, list[str]]):
    async def resolve(host: str) -> list[str]:
        return answers[host]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://[2606:4700:4700::1111]/",
        "https://[2a00:1450:4001:80b::200e]:8443/search?q=1",
        "http://[::ffff:8.8.8.8]/",  # IPv4-mapped: the socket connects to 8.8.8.8
        "http://[64:ff9b::808:808]/",  # NAT64 (DNS64 answers v4-only hosts like this)
    ],
)
def test_public_ipv6_literals_pass(url):
    target = NetGuard().parse(url)
    literal = url.split("[", 1)[1].split("]", 1)[0]
    assert target.ip == ipaddress.ip_address(literal)
    assert target.url.startswith(f"{target.scheme}://[{target.ip}]")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1]/", "loopback"),
        ("http://[0:0:0:0:0:0:0:1]:8080/", "loopback"),
        ("http://[fd12::1]/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[ff02::fb]/", "multicast"),  # mDNS over IPv6
        ("http://[::]/", "unspecified"),
        ("http://[2001:db8::1]/", "private"),  # documentation range
        ("http://[::ffff:127.0.0.2]/", "loopback"),
        ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),  # NAT64 of 169.254.169.254
    ],
)
def test_non_public_ipv6_stays_refused(url, reason):
    with pytest.raises(ForbiddenDestination, match=reason):
        NetGuard().parse(url)


@pytest.mark.asyncio
async def test_aaaa_hosts_are_checked_like_a_hosts():
    guard = NetGuard(
        resolver=resolver(
            {
                "v6.example": ["2606:4700:4700::1111"],
                "both.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
                "sneaky.example": ["93.184.216.34", "::1"],
            }
        )
    )
    assert (await guard.check_url("http://v6.example/")).addresses == ("2606:4700:4700::1111",)
    assert len((await guard.check_url("https://both.example/")).addresses) == 2
    with pytest.raises(ForbiddenDestination, match="loopback"):
        await guard.check_url("http://sneaky.example/")  # one bad address refuses the host


def test_allow_lists_take_ipv6_literals():
    guard = NetGuard(GuardPolicy.build(allow_hosts=["[::1]"], allow_cidrs=["fd12::/64"]))
    assert guard.parse("http://[::1]:8000/").port == 8000
    assert guard.parse("http://[fd12::5]:9000/").host == "fd12::5"
    with pytest.raises(ForbiddenDestination):
        guard.parse("http://[fd13::5]/")
