"""SSRF protection: decide whether a URL or host may be fetched, and connect only to vetted IPs.

Shared by the browse deployment and the crawler/indexer. The rules:

- only allow-listed schemes (http/https; ws/wss count as http/https), no userinfo, no
  backslashes or control characters in the URL;
- hosts are canonicalised the way browsers do (WHATWG): ``2130706433``, ``0x7f.1``,
  ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1; IPv6 literals that embed IPv4
  (``::ffff:127.0.0.1``, 6to4, NAT64) are judged by the embedded address;
- every address a host resolves to must be public (not loopback, private, link-local,
  CGNAT, multicast, reserved, or a cloud metadata endpoint such as 169.254.169.254), unless
  the host or the address is allow-listed; one bad address refuses the whole host;
- ports outside ``allowed_ports`` are refused for destinations that are not allow-listed;
- :meth:`NetGuard.open_connection` and :func:`guarded_client` resolve at connection time and
  connect to the address they just checked, so DNS rebinding cannot swap it afterwards.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from deployments.common.errors import InputRejected, MalformedInput, UpstreamError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Awaitable[list[str]]]

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# ws/wss travel over the same transport as http/https and follow their policy.
SCHEME_FAMILY = {"http": "http", "https": "https", "ws": "http", "wss": "https"}

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, ...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS DNS resolver
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# IPv6 forms that *are* the embedded IPv4 destination (a dual-stack socket or a NAT64 gateway
# connects to it): judged by that address alone. DNS64 networks answer every IPv4-only host
# with such an AAAA record.
_TRANSLATED = (ipaddress.ip_network("::ffff:0:0/96"), *_NAT64)
_FORBIDDEN_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class InvalidURL(MalformedInput):
    """A URL that does not parse, or that uses a trick (userinfo, backslash) we refuse."""

    code = "invalid_url"


class ForbiddenDestination(InputRejected):
    """A scheme, host, address or port the SSRF policy does not allow."""

    status = 403
    code = "forbidden_destination"


class DestinationUnreachable(UpstreamError):
    """The host does not resolve or does not accept a connection."""

    code = "unreachable_url"


@dataclass(frozen=True)
class GuardPolicy:
    """What may be reached; built from config (see ``BrowseSettings.guard_policy``)."""

    allow_schemes: frozenset[str] = frozenset({"http", "https"})
    allow_hosts: frozenset[str] = frozenset()
    allow_cidrs: tuple[IPNetwork, ...] = ()
    allowed_ports: frozenset[int] | None = frozenset({80, 443, 8080, 8443})
    max_url_chars: int = 8192
    dns_timeout_s: float = 5.0
    connect_timeout_s: float = 10.0

    @classmethod
    def build(
        cls,
        *,
        allow_schemes: Iterable[str] = ("http", "https"),
        allow_hosts: Iterable[str] = (),
        allow_cidrs: Iterable[str] = (),
        allowed_ports: Iterable[int] | None = (80, 443, 8080, 8443),
        **kwargs: Any,
    ) -> GuardPolicy:
        """A policy from plain config values; IP literals in ``allow_hosts`` become /32 (/128)."""
        hosts: set[str] = set()
        cidrs = [ipaddress.ip_network(c, strict=False) for c in allow_cidrs]
        for host in allow_hosts:
            literal = _ip_literal(host.strip().strip("[]"))
            if literal is not None:
                cidrs.append(ipaddress.ip_network(literal))
            else:
                hosts.add(host.strip().lower().rstrip("."))
        return cls(
            allow_schemes=frozenset(s.lower() for s in allow_schemes),
            allow_hosts=frozenset(hosts),
            allow_cidrs=tuple(cidrs),
            allowed_ports=None if allowed_ports is None else frozenset(allowed_ports),
            **kwargs,
        )

    def host_allowed(self, host: str) -> bool:
        """Is ``host`` allow-listed by name (``*.example.com`` matches subdomains)?"""
        for entry in self.allow_hosts:
            if entry == host or (entry.startswith("*.") and host.endswith(entry[1:])):
                return True
        return False

    def address_allowed(self, ip: IPAddress) -> bool:
        """Is ``ip`` inside an allow-listed network?"""
        return any(ip.version == net.version and ip in net for net in self.allow_cidrs)


@dataclass(frozen=True)
class Target:
    """A parsed, canonical URL: what will actually be contacted."""

    url: str
    scheme: str
    host: str
    port: int
    ip: IPAddress | None = None  # set when the host is an IP literal
    addresses: tuple[str, ...] = field(default=())  # filled in by resolution

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _ip_literal(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _parse_ipv4_number(part: str) -> int | None:
    """One WHATWG IPv4 part: decimal, 0x-hex or 0-prefixed octal; None if not a number."""
    if part.lower().startswith("0x"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0
    try:
        return int(digits, base)
    except ValueError:
        return None


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads in ``host`` (e.g. ``0x7f.1``), or None for a name.

    Follows the WHATWG URL standard: a host whose last label is numeric must be a valid IPv4
    address in one of its 1-4 part forms; otherwise it is invalid (raises InvalidURL).
    """
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if not parts or not re.fullmatch(r"[0-9]+|0[xX][0-9a-fA-F]*", parts[-1]):
        return None  # the last label is not a number: a domain name
    numbers = [_parse_ipv4_number(p) if p else None for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise InvalidURL(f"host {host!r} looks like an IPv4 address but is not a valid one")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise InvalidURL(f"host {host!r} is an out-of-range IPv4 address")
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value * 256 ** (3 - index)
    return ipaddress.IPv4Address(address)


def canonical_host(raw_host: str) -> tuple[str, IPAddress | None]:
    """Lower-case, IDNA-encoded host, and its IP when it is an address in any encoding."""
    host = raw_host.strip()
    if not host:
        raise InvalidURL("URL has no host")
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidURL(f"malformed IPv6 literal {host!r}")
        inner = host[1:-1]
        if "%" in inner:
            raise InvalidURL(f"IPv6 zone identifiers are not allowed: {host!r}")
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError:
            raise InvalidURL(f"malformed IPv6 literal {host!r}") from None
        return str(ip6), ip6
    host = host.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidURL(f"host {raw_host!r} is not a valid domain name") from None
    ip4 = parse_ipv4_host(host)
    if ip4 is not None:
        return str(ip4), ip4
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in host.split(".")):
        raise InvalidURL(f"host {raw_host!r} is not a valid domain name")
    return host, None


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    if ip.version == 4:
        return None
    assert isinstance(ip, ipaddress.IPv6Address)
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = int(ip)
    if packed >> 32 == 0 and packed > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed)
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public destination, or None when it is one."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        reason = forbidden_reason(inner)
        if reason:
            return f"{reason} ({inner} embedded in an IPv6 address)"
        if any(ip in net for net in _TRANSLATED):
            return None
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata endpoint"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private-network address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(ip, attribute):
            return reason
    if not ip.is_global:
        return "a non-public address"
    return None


async def system_resolver(host: str) -> list[str]:
    """Every address ``host`` resolves to, via the system resolver (getaddrinfo)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen[str(sockaddr[0]).split("%")[0]] = None
    return list(seen)


class NetGuard:
    """Applies a :class:`GuardPolicy` to URLs, hosts and connections."""

    def __init__(self, policy: GuardPolicy | None = None, resolver: Resolver | None = None):
        self.policy = policy or GuardPolicy()
        self._resolver = resolver or system_resolver

    # -- URLs --------------------------------------------------------------------------------

    def parse(self, url: str) -> Target:
        """Parse and canonicalise ``url`` and apply every check that needs no DNS."""
        if not isinstance(url, str):
            raise InvalidURL("URL must be a string")
        if len(url) > self.policy.max_url_chars:
            raise InvalidURL(f"URL is longer than the limit of {self.policy.max_url_chars} chars")
        url = url.strip()
        if _FORBIDDEN_URL_CHARS.search(url):
            raise InvalidURL("URL contains whitespace, control characters or a backslash")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise InvalidURL(f"URL does not parse: {exc}") from None
        scheme = parts.scheme.lower()
        family = SCHEME_FAMILY.get(scheme)
        if family is None or family not in self.policy.allow_schemes:
            allowed = ", ".join(sorted(self.policy.allow_schemes))
            raise ForbiddenDestination(
                f"scheme {scheme or '(none)'!r} is not allowed (allowed: {allowed})",
                code="forbidden_scheme",
            )
        netloc = parts.netloc
        if "@" in netloc:
            raise InvalidURL("URLs with credentials (user:password@host) are not allowed")
        host_text = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
        host, ip = canonical_host(host_text)
        port = port if port is not None else DEFAULT_PORTS[scheme]
        if not 0 < port < 65536:
            raise InvalidURL(f"port {port} is out of range")
        display_host = f"[{host}]" if ":" in host else host
        default_port = DEFAULT_PORTS[scheme] == port
        netloc = display_host if default_port else f"{display_host}:{port}"
        canonical = urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))
        target = Target(url=canonical, scheme=scheme, host=host, port=port, ip=ip)
        if ip is not None:
            self.check_addresses(host, port, [ip])
        return target

    async def check_url(self, url: str) -> Target:
        """:meth:`parse`, then resolve the host and check every address."""
        target = self.parse(url)
        addresses = await self.resolve(target.host, target.port)
        return Target(
            url=target.url,
            scheme=target.scheme,
            host=target.host,
            port=target.port,
            ip=target.ip,
            addresses=tuple(addresses),
        )

    # -- hosts and addresses -----------------------------------------------------------------

    def check_addresses(self, host: str, port: int, addresses: Iterable[IPAddress]) -> None:
        """Raise ForbiddenDestination unless every address (and the port) is allowed."""
        policy = self.policy
        addresses = list(addresses)
        if policy.host_allowed(host):
            return
        listed = [policy.address_allowed(ip) for ip in addresses]
        if addresses and all(listed):
            return
        for ip, allowed in zip(addresses, listed, strict=True):
            reason = None if allowed else forbidden_reason(ip)
            if reason:
                shown = host if host == str(ip) else f"{host} ({ip})"
                code = "metadata_endpoint" if "metadata" in reason else "forbidden_address"
                raise ForbiddenDestination(
                    f"destination {shown} is {reason}; refused by the SSRF guard "
                    "(allow it with allow_hosts/allow_cidrs)",
                    code=code,
                )
        if policy.allowed_ports is not None and port not in policy.allowed_ports:
            allowed_ports = ", ".join(str(p) for p in sorted(policy.allowed_ports))
            raise ForbiddenDestination(
                f"port {port} of {host} is not allowed (allowed_ports: {allowed_ports})",
                code="forbidden_port",
            )

    async def resolve(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` now and return its addresses, all of them checked."""
        host, literal = canonical_host(host if ":" not in host else f"[{host.strip('[]')}]")
        if literal is not None:
            self.check_addresses(host, port, [literal])
            return [str(literal)]
        try:
            async with asyncio.timeout(self.policy.dns_timeout_s):
                raw = await self._resolver(host)
        except TimeoutError:
            raise DestinationUnreachable(
                f"DNS lookup of {host} took longer than {self.policy.dns_timeout_s} s"
            ) from None
        except (OSError, UnicodeError) as exc:
            raise DestinationUnreachable(f"host {host} does not resolve: {exc}") from None
        addresses = [ipaddress.ip_address(a) for a in raw]
        if not addresses:
            raise DestinationUnreachable(f"host {host} does not resolve to any address")
        self.check_addresses(host, port, addresses)
        return [str(a) for a in addresses]

    async def open_connection(
        self, host: str, port: int, *, limit: int = 2**16
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Resolve, check, and connect to a checked address (no second lookup)."""
        addresses = await self.resolve(host, port)
        errors = []
        for address in addresses:
            try:
                async with asyncio.timeout(self.policy.connect_timeout_s):
                    return await asyncio.open_connection(address, port, limit=limit)
            except (OSError, TimeoutError) as exc:
                errors.append(f"{address}: {exc or 'timed out'}")
        raise DestinationUnreachable(f"cannot connect to {host}:{port} ({'; '.join(errors)})")


# -- httpx integration -----------------------------------------------------------------------


def _guarded_backend(guard: NetGuard) -> Any:
    import httpcore

    class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
        """httpcore backend that connects only to addresses the guard just checked."""

        def __init__(self) -> None:
            self._inner = httpcore.AnyIOBackend()

        async def connect_tcp(self, host, port, timeout=None, local_address=None, **kwargs):
            addresses = await guard.resolve(host, port)
            last_error: Exception | None = None
            for address in addresses:
                try:
                    return await self._inner.connect_tcp(
                        address, port, timeout=timeout, local_address=local_address, **kwargs
                    )
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    last_error = exc
            raise DestinationUnreachable(f"cannot connect to {host}:{port} ({last_error})")

        async def connect_unix_socket(self, path, timeout=None, socket_options=None):
            raise ForbiddenDestination("unix sockets are not allowed")

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    return GuardedNetworkBackend()


def guarded_transport(guard: NetGuard, *, verify: ssl.SSLContext | bool = True) -> Any:
    """An ``httpx.AsyncHTTPTransport`` whose every TCP connection passes the guard."""
    import httpcore
    import httpx

    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    ssl_context = transport._pool._ssl_context
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context, network_backend=_guarded_backend(guard)
    )
    return transport


def guarded_client(guard: NetGuard, **kwargs: Any) -> Any:
    """An ``httpx.AsyncClient`` that never follows redirects by itself and ignores proxy
    environment variables; every connection is resolved and checked by ``guard``."""
    import httpx

    kwargs.setdefault("follow_redirects", False)
    return httpx.AsyncClient(transport=guarded_transport(guard), trust_env=False, **kwargs)
