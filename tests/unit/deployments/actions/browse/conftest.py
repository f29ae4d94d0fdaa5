"""A local web site for the browse tests: JS pages, redirects, huge/slow/odd pages, and an
"internal service" on 127.0.0.2 that must never be reached (it counts every hit)."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from deployments.common.netguard import system_resolver

BIG_BYTES = 50 * 1024 * 1024
REBIND_HOST = "rebind.test"
V6_HOST = "v6only.test"  # resolves to ::1 only (an AAAA-only host)


@dataclass
class Site:
    """The public test site (127.0.0.1:port) and the internal service (127.0.0.2:port)."""

    port: int
    port6: int = 0  # the same site on [::1] (0: this host has no IPv6 loopback)
    hits: Counter = field(default_factory=Counter)  # path → hits on the main site
    internal_hits: list[str] = field(default_factory=list)  # anything reaching 127.0.0.2
    rebound: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def internal(self) -> str:
        return f"http://127.0.0.2:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def base6(self) -> str:
        return f"http://[::1]:{self.port6}"

    async def resolver(self, host: str) -> list[str]:
        """DNS for the tests: rebind.test answers 127.0.0.1 until the page was served, then
        127.0.0.2 (a DNS-rebinding attacker); other names use the system resolver."""
        if host == REBIND_HOST:
            return ["127.0.0.2"] if self.rebound.is_set() else ["127.0.0.1"]
        if host == V6_HOST:
            return ["::1"]
        return await system_resolver(host)


def _page(title: str, body: str, head: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    ).encode()


JS_PAGE = _page(
    "Rendered by JS",
    """<main id="app">loading</main>
<script>
  const app = document.getElementById('app');
  app.innerHTML = '<h1>Quarterly report</h1>' +
    '<p>The widget business grew by forty percent in the third quarter, driven by ' +
    'strong demand for blue widgets in northern markets.</p>' +
    '<table><tr><th>Quarter</th><th>Revenue</th></tr><tr><td>Q3</td><td>140</td></tr></table>' +
    '<a href="/static">Static page</a> <a href="https://example.org/about#team">About</a>';
  setTimeout(() => { const d = document.createElement('div'); d.id = 'late';
    d.textContent = 'late content'; document.body.appendChild(d); }, 300);
</script>""",
)


def _attack_page(site_internal: str, port: int) -> bytes:
    internal = site_internal
    return _page(
        "Attack",
        f"""<p id="out">attack page</p>
<iframe src="{internal}/iframe"></iframe>
<script src="{internal}/script.js"></script>
<link rel="stylesheet" href="{internal}/style.css">
<script>
  const out = document.getElementById('out');
  const note = (what) => {{ out.textContent += ' | ' + what; }};
  fetch('{internal}/fetch').then(() => note('fetch ok'), () => note('fetch blocked'));
  fetch('http://169.254.169.254/latest/meta-data/').then(() => note('meta ok'),
    () => note('meta blocked'));
  const x = new XMLHttpRequest(); x.open('GET', '{internal}/xhr');
  x.onload = () => note('xhr ok'); x.onerror = () => note('xhr blocked'); x.send();
  const ws = new WebSocket('ws://127.0.0.2:{port}/ws');
  ws.onopen = () => note('ws open'); ws.onerror = () => note('ws blocked');
  navigator.sendBeacon('{internal}/beacon', 'x');
</script>""",
    )


class _Handler(BaseHTTPRequestHandler):
    site: Site
    internal = False
    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **hdr):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in hdr.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, b"", Location=location)

    def do_POST(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        site = self.site
        if self.internal:
            site.internal_hits.append(self.path)
            self._send(200, b"internal secret")
            return
        path, query = urlsplit(self.path).path, parse_qs(urlsplit(self.path).query)
        site.hits[path] += 1
        try:
            if path == "/js":
                self._send(200, JS_PAGE)
            elif path == "/static":
                body = _page(
                    "Static",
                    "<article><h1>Static article</h1><p>"
                    + "Plain server-side text about gardening and tomatoes. " * 8
                    + "</p></article><a href='/js'>js page</a>"
                    + "<table><thead><tr><th>a</th><th>b</th></tr></thead>"
                    + "<tbody><tr><td>1</td><td>2</td></tr></tbody></table>",
                )
                self._send(200, body)
            elif path.startswith("/redirect/"):
                hops = int(path.rsplit("/", 1)[1])
                self._redirect(f"/redirect/{hops - 1}" if hops > 1 else "/js")
            elif path == "/loop/a":
                self._redirect("/loop/b")
            elif path == "/loop/b":
                self._redirect("/loop/a")
            elif path == "/to":
                self._redirect(query["u"][0])
            elif path in ("/big", "/big-chunked"):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                if path == "/big":
                    self.send_header("Content-Length", str(BIG_BYTES))
                self.end_headers()
                chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
                for _ in range(BIG_BYTES // len(chunk)):
                    self.wfile.write(chunk)
            elif path == "/latin1":
                body = _page("Caf\u00e9", "<p>Un caf\u00e9 cr\u00e8me, s'il vous pla\u00eet.</p>")
                body = body.replace(b"<meta charset='utf-8'>", b"")
                text = body.decode().encode("cp1252")
                self._send(200, text, "text/html; charset=iso-8859-1")
            elif path == "/cp1251":
                html = (
                    "<html><head><meta http-equiv='Content-Type' content='text/html; "
                    "charset=windows-1251'><title>\u041f\u0440\u0438\u0432\u0435\u0442</title>"
                    "</head><body><p>\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! "
                    "\u0422\u0435\u043a\u0441\u0442 \u0432 \u043a\u043e\u0434\u0438\u0440\u043e"
                    "\u0432\u043a\u0435 windows-1251.</p></body></html>"
                )
                self._send(200, html.encode("cp1251"), "text/html")
            elif path == "/slow":
                time.sleep(float(query.get("s", ["4"])[0]))
                self._send(200, _page("Slow", "<p>finally</p>"))
            elif path == "/hang":
                self._send(200, _page("Hang", "<p>busy</p><script>while (true) {}</script>"))
            elif path == "/download":
                self._send(
                    200,
                    b"binary",
                    "application/octet-stream",
                    Content_Disposition="attachment; filename=x.bin",
                )
            elif path == "/pdf":
                self._send(200, b"%PDF-1.4\n%%EOF\n", "application/pdf")
            elif path == "/nav":
                # The page itself navigates away (script or meta refresh) after it loaded.
                target = query["u"][0]
                if query.get("how", ["js"])[0] == "meta":
                    head = f"<meta http-equiv='refresh' content='0; url={target}'>"
                    self._send(200, _page("Leaving", "<p>leaving soon</p>", head))
                else:
                    script = f"<script>setTimeout(() => location.href = {target!r}, 50)</script>"
                    self._send(200, _page("Leaving", "<p>leaving soon</p>" + script))
            elif path == "/attack":
                self._send(200, _attack_page(site.internal, site.port))
            elif path == "/rebind":
                self._send(
                    200,
                    _page(
                        "Rebind",
                        "<p id='out'>rebind</p><script>"
                        "const done = (t) => { const e = document.createElement('p');"
                        " e.id = 'done'; e.textContent = t; document.body.appendChild(e); };"
                        "setTimeout(() => fetch('/secret').then(r => r.text())"
                        ".then(t => done('got ' + t), () => done('secret blocked')), 50)"
                        "</script>",
                    ),
                )
                site.rebound.set()
            elif path == "/data":
                time.sleep(float(query.get("s", ["0.6"])[0]))
                self._send(200, b'{"price": "42.50 EUR"}', "application/json")
            elif path == "/late-fetch":
                self._send(
                    200,
                    _page(
                        "Late fetch",
                        "<p id='out'>Loading...</p><script>"
                        "setTimeout(() => fetch('/data?s=0.6').then(r => r.json()).then(d => {"
                        " document.getElementById('out').textContent = 'Price: ' + d.price; }),"
                        " 100)</script>",
                    ),
                )
            elif path == "/poll":
                self._send(
                    200,
                    _page(
                        "Poll",
                        "<p id='out'>0</p><script>let n = 0; const tick = () => {"
                        " document.getElementById('out').textContent = String(++n);"
                        " setTimeout(tick, 50); }; tick();</script>",
                    ),
                )
            elif path == "/wait":
                self._send(
                    200,
                    _page(
                        "Wait",
                        "<script>setTimeout(() => { const e = document.createElement('p');"
                        " e.id = 'ready'; e.textContent = 'ready now';"
                        " document.body.appendChild(e); }, 400)</script>",
                    ),
                )
            else:
                self._send(404, _page("Not found", "<p>no such page</p>"))
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _serve(handler: type[_Handler], host: str, port: int) -> ThreadingHTTPServer:
    server = (_Server6 if ":" in host else ThreadingHTTPServer)((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """The public site on 127.0.0.1 and the internal service on 127.0.0.2, same port."""
    for _ in range(20):
        main = None
        try:
            site = Site(port=0)
            handler = type("Main", (_Handler,), {"site": site})
            main = _serve(handler, "127.0.0.1", 0)
            site.port = main.server_address[1]
            internal_handler = type("Internal", (_Handler,), {"site": site, "internal": True})
            internal = _serve(internal_handler, "127.0.0.2", site.port)
            break
        except OSError:
            if main is not None:
                main.shutdown()
    else:  # pragma: no cover
        pytest.skip("cannot bind 127.0.0.2")
    servers = [main, internal]
    try:
        servers.append(_serve(handler, "::1", 0))
        site.port6 = servers[-1].server_address[1]
    except OSError:  # pragma: no cover - no IPv6 loopback: the IPv6 tests skip
        pass
    yield site
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
