"""A small real web site on 127.0.0.1 for the crawl tests (routes in ``index_site``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from index_site import Route, Site, site_routes


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.server.hits.append(path)  # type: ignore[attr-defined]
        if path == "/stream-big":  # no Content-Length: the limit must be enforced while reading
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b"<p>" + b"x" * 65536 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        status, headers, body = self.routes.get(path, (404, {}, b"not found"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "content-length" not in headers:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if path != "/huge":
            self.wfile.write(body)


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    handler = type("Handler", (_Handler,), {"routes": site_routes()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", server.hits)  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
