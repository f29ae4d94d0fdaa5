"""`ifz index`: request building and NDJSON progress rendering against a stub server."""

from __future__ import annotations

import argparse
import base64
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops.cli.index_cmd import EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, register, run_index

EVENTS = [
    {"event": "start", "kind": "url", "source": "http://s/", "max_pages": 3},
    {"event": "page", "url": "http://s/", "pages_fetched": 1, "max_pages": 3},
    {"event": "chunked", "source": "http://s/", "chunks": 2, "pages": 1, "tokens": 80},
    {"event": "embedded", "source": "http://s/", "done": 2, "total": 2},
    {"event": "stored", "source": "http://s/", "doc_id": "d1", "chunks": 2, "replaced": []},
    {"event": "skipped", "url": "http://s/private", "code": "robots_disallowed", "reason": "r"},
    {"event": "duplicate", "source": "http://s/m", "doc_id": "d1", "existing_source": "http://s/"},
    {"event": "done", "ok": True, "documents": 1, "chunks": 2, "duplicates": 1, "pages": 2,
     "skipped": 1, "errors": 0, "elapsed_ms": 1234.0},
]  # fmt: skip


class Stub(BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.bodies.append(body)
        if body.get("url") == "http://bad/":
            error = {"error": {"message": "scheme not allowed", "code": "forbidden_scheme"}}
            payload = json.dumps(error).encode()
            self.send_response(403)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("content-type", "application/x-ndjson")
        self.end_headers()
        events = EVENTS
        if body.get("filename"):
            events = [
                {"event": "error", "source": "f", "code": "empty_document", "message": "no text",
                 "status": 422, "fatal": True},
                {"event": "done", "ok": False, "documents": 0, "errors": 1, "elapsed_ms": 5},
            ]  # fmt: skip
        for event in events:
            self.wfile.write((json.dumps(event) + "\n").encode())
            self.wfile.flush()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/v1"
    httpd.shutdown()
    httpd.server_close()


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ifz")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["index", *argv])


def test_crawl_renders_progress_and_summary(server: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    args = parse("http://s/", "--base-url", server, "--max-pages", "3")
    assert run_index(args, out, err) == EXIT_OK
    assert Stub.bodies[-1] == {"url": "http://s/", "max_pages": 3, "stream": True}
    text = err.getvalue()
    assert "stored     http://s/ (2 chunks)" in text
    assert "duplicate  http://s/m = http://s/" in text
    assert "1 document(s) stored, 2 chunks, 1 duplicate(s)" in text
    assert "pages" in text  # the tqdm bar


def test_file_upload_and_fatal_error_exit_code(server: str, tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    out, err = io.StringIO(), io.StringIO()
    assert run_index(parse(str(path), "--base-url", server, "--json"), out, err) == EXIT_FAILED
    body = Stub.bodies[-1]
    assert (body["filename"], body["mime"]) == ("notes.txt", "text/plain")
    assert base64.b64decode(body["data"]) == b"hello"
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in lines] == ["error", "done"]


def test_http_errors_and_unreachable_server(server: str) -> None:
    err = io.StringIO()
    assert run_index(parse("http://bad/", "--base-url", server), io.StringIO(), err) == EXIT_FAILED
    assert "HTTP 403: scheme not allowed [forbidden_scheme]" in err.getvalue()
    err = io.StringIO()
    args = parse("http://s/", "--base-url", "http://127.0.0.1:9/v1")
    assert run_index(args, io.StringIO(), err) == EXIT_UNREACHABLE
    assert "is `ifz serve` running?" in err.getvalue()


def test_missing_file_is_a_usage_error() -> None:
    err = io.StringIO()
    assert run_index(parse("/no/such/file.pdf"), io.StringIO(), err) == 2
    assert "cannot read /no/such/file.pdf" in err.getvalue()
