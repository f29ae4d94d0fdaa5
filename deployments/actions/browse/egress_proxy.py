"""A guarded HTTP proxy on 127.0.0.1: the only way Chromium reaches the network.

Each pooled page (browser context) gets its own proxy, so every byte is attributed to the
request being served. For every connection Chromium asks for (documents, every redirect hop,
subresources, XHR/fetch, WebSockets, workers) the proxy resolves the host, checks every
address with the :class:`NetGuard` and connects to the checked address: DNS rebinding cannot
swap it afterwards. It also counts downloaded bytes against the request's budget and cuts
every connection once the budget is spent.

Plain HTTP requests are forwarded one per connection (``Connection: close``); HTTPS and
WebSockets arrive as ``CONNECT`` tunnels.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from deployments.actions.browse.errors import PageTooLarge
from deployments.common.errors import ServeError
from deployments.common.netguard import DEFAULT_PORTS, ForbiddenDestination, InvalidURL, NetGuard

GUARD_HEADER = "x-ifz-netguard"
_HOP_HEADERS = {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization"}
_CHUNK = 64 * 1024


@dataclass
class Refusal:
    """A connection the proxy refused or could not make."""

    target: str  # the URL (plain HTTP) or host:port (CONNECT)
    authority: str  # host:port
    error: ServeError


@dataclass
class ProxySession:
    """Byte budget and refusals of one browse request."""

    max_bytes: int
    bytes_in: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    fatal: ServeError | None = None
    failed: asyncio.Event = field(default_factory=asyncio.Event)

    def fail(self, error: ServeError) -> None:
        """End the request with ``error``: every later connection is refused."""
        if self.fatal is None:
            self.fatal = error
            self.failed.set()

    def count(self, size: int) -> bool:
        """Add downloaded bytes; False (and a fatal error) once over the budget."""
        self.bytes_in += size
        if self.bytes_in > self.max_bytes:
            self.fail(
                PageTooLarge(
                    f"the page downloaded more than the limit of max_page_bytes={self.max_bytes} "
                    "bytes (download aborted)"
                )
            )
        return self.fatal is None

    def refuse(self, target: str, authority: str, error: ServeError) -> int:
        self.refusals.append(Refusal(target, authority, error))
        return len(self.refusals) - 1


def split_authority(authority: str) -> tuple[str, int]:
    """``host:port`` (or ``[v6]:port``) → (host, port); raises InvalidURL."""
    host, sep, port = authority.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise InvalidURL(f"bad CONNECT target {authority!r}")
    return host.strip("[]"), int(port)


def url_authority(url: str) -> str:
    """``host:port`` of a URL as the proxy records it (``[v6]:port``); empty if unparsable."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        return ""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class EgressProxy:
    """One guarded proxy listener; :meth:`begin` starts a new request's session."""

    def __init__(self, guard: NetGuard, *, head_timeout_s: float = 10.0, max_head: int = 65536):
        self.guard = guard
        self.head_timeout_s = head_timeout_s
        self.max_head = max_head
        self.session = ProxySession(max_bytes=0)
        self.session.fail(ForbiddenDestination("no browse request is active on this page"))
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, listener: socket.socket | None = None) -> str:
        """Serve on ``listener`` (a loopback socket inside Chromium's network namespace) or
        on a free port of the host's loopback; returns the proxy URL for Chromium."""
        if listener is not None:
            self._server = await asyncio.start_server(
                self._handle, sock=listener, limit=self.max_head
            )
        else:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", 0, limit=self.max_head
            )
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    @property
    def port(self) -> int | None:
        """The port it listens on (in Chromium's namespace when it has one)."""
        if self._server is None or not self._server.sockets:
            return None
        return self._server.sockets[0].getsockname()[1]

    def begin(self, max_bytes: int) -> ProxySession:
        """Cut every connection of the previous request and start a fresh budget."""
        self.abort_all()
        self.session = ProxySession(max_bytes=max_bytes)
        return self.session

    def end(self) -> None:
        """Refuse everything until the next :meth:`begin` (the page is idle)."""
        self.abort_all()
        self.session.fail(ForbiddenDestination("request finished"))

    def abort_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        self.abort_all()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    # -- connection handling -----------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = self.session
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.head_timeout_s)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                return
            request_line, _, rest = head.partition(b"\r\n")
            parts = request_line.decode("latin-1").split()
            if len(parts) != 3:
                return
            method, target, _version = parts
            if method.upper() == "CONNECT":
                upstream = await self._connect_tunnel(session, target, reader, writer)
            else:
                upstream = await self._forward(session, method, target, rest, reader, writer)
        except (ConnectionError, OSError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    self._writers.discard(w)
                    w.transport.abort()

    async def _open(
        self, session: ProxySession, target: str, host: str, port: int, scheme: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | int:
        """Connect through the guard; on refusal record it and return its index."""
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            if session.fatal is not None:
                raise session.fatal
            if scheme not in self.guard.policy.allow_schemes:
                raise ForbiddenDestination(
                    f"scheme {scheme!r} is not allowed", code="forbidden_scheme"
                )
            return await self.guard.open_connection(host, port)
        except ServeError as exc:
            return session.refuse(target, authority, exc)

    async def _connect_tunnel(
        self,
        session: ProxySession,
        target: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> asyncio.StreamWriter | None:
        try:
            host, port = split_authority(target)
        except InvalidURL as exc:
            session.refuse(target, target, exc)
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return None
        opened = await self._open(session, target, host, port, "https")
        if isinstance(opened, int):
            writer.write(
                f"HTTP/1.1 403 Forbidden\r\n{GUARD_HEADER}: {opened}\r\n"
                "Content-Length: 0\r\n\r\n".encode()
            )
            await writer.drain()
            return None
        up_reader, up_writer = opened
        self._writers.add(up_writer)
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await self._relay(session, reader, writer, up_reader, up_writer)
        return up_writer

    async def _forward(
        self,
        session: ProxySession,
        method: str,
        target: str,
        header_block: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> asyncio.StreamWriter | None:
        try:
            parsed = self.guard.parse(target)
            if urlsplit(target).scheme.lower() != "http":
                raise InvalidURL(f"a proxy request must be an absolute http URL, not {target!r}")
        except ServeError as exc:
            index = session.refuse(target, url_authority(target), exc)
            await self._answer(writer, exc.status, index, exc.message)
            return None
        opened = await self._open(session, target, parsed.host, parsed.port, "http")
        if isinstance(opened, int):
            error = session.refusals[opened].error
            await self._answer(writer, error.status, opened, error.message)
            return None
        up_reader, up_writer = opened
        self._writers.add(up_writer)
        split = urlsplit(target)
        path = (split.path or "/") + (f"?{split.query}" if split.query else "")
        up_writer.write(f"{method} {path} HTTP/1.1\r\n".encode("latin-1"))
        # Without Accept-Encoding honest servers send identity: the byte budget then counts
        # what Chromium really gets, not a compressed bomb.
        up_writer.write(_rewrite_headers(header_block, drop=frozenset({b"accept-encoding"})))
        await up_writer.drain()
        try:
            # No timer here: the request's own deadline ends the session and aborts us.
            response_head = await up_reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            await self._answer(writer, 502, None, f"{target}: bad response from upstream")
            return up_writer
        status_line, _, rest = response_head.partition(b"\r\n")
        out = status_line + b"\r\n" + _rewrite_headers(rest)
        if not session.count(len(out)):
            return up_writer
        writer.write(out)
        await writer.drain()
        await self._relay(session, reader, writer, up_reader, up_writer)
        return up_writer

    async def _relay(
        self,
        session: ProxySession,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        """Pipe both ways until either side closes or the budget is spent."""
        down = asyncio.ensure_future(self._pipe(up_reader, writer, session))
        up = asyncio.ensure_future(self._pipe(reader, up_writer, None))
        try:
            await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (down, up):
                task.cancel()
            await asyncio.gather(down, up, return_exceptions=True)
        if session.fatal is not None and session is self.session:
            self.abort_all()

    @staticmethod
    async def _pipe(
        src: asyncio.StreamReader, dst: asyncio.StreamWriter, session: ProxySession | None
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await src.read(_CHUNK):
                if session is not None and not session.count(len(data)):
                    return
                dst.write(data)
                await dst.drain()

    @staticmethod
    async def _answer(
        writer: asyncio.StreamWriter, status: int, index: int | None, message: str
    ) -> None:
        body = f"interfaze netguard: {message}\n".encode()
        marker = f"{GUARD_HEADER}: {index}\r\n" if index is not None else ""
        writer.write(
            (
                f"HTTP/1.1 {status} Refused\r\n{marker}Content-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        with contextlib.suppress(ConnectionError, OSError):
            await writer.drain()


def _rewrite_headers(block: bytes, drop: frozenset[bytes] = frozenset()) -> bytes:
    """Drop hop-by-hop headers (and ``drop``), ask for ``Connection: close``; ends with the
    blank line."""
    lines = [line for line in block.split(b"\r\n") if line]
    unwanted = _HOP_HEADERS | drop
    kept = [ln for ln in lines if ln.split(b":", 1)[0].strip().lower() not in unwanted]
    kept.append(b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n"
