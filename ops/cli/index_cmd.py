"""`ifz index URL|PATH`: crawl a site or upload a file to the running server, with progress.

Posts to ``POST {base_url}/documents`` with ``"stream": true`` and renders the NDJSON progress
events (one JSON object per line) as progress bars. Registered by ``ops.cli.main`` through
:func:`register`.
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
import os
import sys
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


def register(subparsers: Any) -> None:
    """Add the ``index`` sub-command to ``ifz``'s sub-parsers."""
    p = subparsers.add_parser(
        "index", help="crawl a URL or upload a file into the vector store (with progress)"
    )
    p.add_argument("target", metavar="URL|PATH", help="http(s) URL to crawl, or a local file")
    p.add_argument("--base-url", default="http://127.0.0.1:8000/v1", help="the server's /v1 URL")
    p.add_argument("--api-key", default=None, help="default: $IFZ_API_KEY")
    p.add_argument("--max-depth", type=int, default=None, help="link hops (≤ the server's limit)")
    p.add_argument("--max-pages", type=int, default=None, help="pages (≤ the server's limit)")
    p.add_argument("--ttl-s", type=int, default=None, help="freshness in seconds (0: never expire)")
    p.add_argument("--mime", default=None, help="media type of the file (default: by extension)")
    p.add_argument("--source", default=None, help="name stored as the source (default: filename)")
    p.add_argument("--title", default=None, help="title stored with the document")
    p.add_argument("--keep-old", action="store_true", help="do not replace same-source documents")
    p.add_argument("--no-stream", action="store_true", help="one JSON result, no progress bars")
    p.add_argument("--json", action="store_true", help="print the raw NDJSON events")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the server")
    p.set_defaults(func=cmd_index)


def build_request(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON body for ``POST /v1/documents``."""
    target: str = args.target
    body: dict[str, Any]
    if target.startswith(("http://", "https://")):
        body = {"url": target}
    else:
        path = Path(target)
        data = path.read_bytes()
        mime = args.mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = {"data": base64.b64encode(data).decode(), "mime": mime, "filename": path.name}
    options = {
        "max_depth": args.max_depth,
        "max_pages": args.max_pages,
        "ttl_s": args.ttl_s,
        "source": args.source,
        "title": args.title,
    }
    body |= {k: v for k, v in options.items() if v is not None}
    if args.keep_old:
        body["replace"] = False
    body["stream"] = not args.no_stream
    return body


class ProgressRenderer:
    """Turns progress events into tqdm bars and one summary line; remembers the outcome."""

    def __init__(self, out: TextIO = sys.stderr, *, disable: bool = False) -> None:
        self.out = out
        self.disable = disable
        self.pages_bar: Any = None
        self.chunks_bar: Any = None
        self.done: dict[str, Any] | None = None
        self.fatal: dict[str, Any] | None = None

    def _bar(self, total: int | None, desc: str, unit: str) -> Any:
        from tqdm import tqdm

        return tqdm(
            total=total, desc=desc, unit=unit, file=self.out, disable=self.disable, leave=True
        )

    def _say(self, text: str) -> None:
        from tqdm import tqdm

        if not self.disable:
            tqdm.write(text, file=self.out)

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start" and event.get("kind") == "url":
            self.pages_bar = self._bar(event.get("max_pages"), "pages", "page")
        elif kind == "page" and self.pages_bar is not None:
            self.pages_bar.n = int(event.get("pages_fetched", self.pages_bar.n + 1))
            self.pages_bar.set_postfix_str(_short(event.get("url", "")), refresh=True)
        elif kind == "chunked":
            if self.chunks_bar is not None:
                self.chunks_bar.close()
            self.chunks_bar = self._bar(event.get("chunks"), "embed", "chunk")
        elif kind == "embedded" and self.chunks_bar is not None:
            self.chunks_bar.n = int(event.get("done", 0))
            self.chunks_bar.refresh()
        elif kind == "stored":
            self._say(f"stored     {event.get('source')} ({event.get('chunks')} chunks)")
        elif kind == "duplicate":
            self._say(f"duplicate  {event.get('source')} = {event.get('existing_source')}")
        elif kind == "skipped":
            self._say(f"skipped    {event.get('url')}: {event.get('reason')}")
        elif kind == "error":
            where = event.get("url") or event.get("source") or ""
            self._say(f"error      {where}: {event.get('message')} [{event.get('code')}]")
            if event.get("fatal"):
                self.fatal = event
        elif kind == "done":
            self.done = event
            self.close()

    def close(self) -> None:
        for bar in (self.chunks_bar, self.pages_bar):
            if bar is not None:
                bar.close()
        self.chunks_bar = self.pages_bar = None

    def summary(self) -> str:
        d = self.done or {}
        return (
            f"{d.get('documents', 0)} document(s) stored, {d.get('chunks', 0)} chunks, "
            f"{d.get('duplicates', 0)} duplicate(s), {d.get('pages', 0)} page(s), "
            f"{d.get('skipped', 0)} skipped, {d.get('errors', 0)} error(s) "
            f"in {float(d.get('elapsed_ms') or 0) / 1000:.1f} s"
        )

    @property
    def ok(self) -> bool:
        return self.done is not None and self.fatal is None and bool(self.done.get("ok", True))


def _short(url: str, width: int = 60) -> str:
    return url if len(url) <= width else "…" + url[-(width - 1) :]


def _error_message(response: Any) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('message')} [{error.get('code')}]"
    except Exception:
        return response.text[:500]


def run_index(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    import httpx

    try:
        body = build_request(args)
    except OSError as exc:
        print(f"ifz index: cannot read {args.target}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    key = args.api_key or os.environ.get("IFZ_API_KEY")
    headers = {"authorization": f"Bearer {key}"} if key else {}
    url = args.base_url.rstrip("/") + "/documents"
    timeout = httpx.Timeout(args.timeout, connect=10.0)
    try:
        with httpx.Client(timeout=timeout, headers=headers) as client:
            if not body["stream"]:
                response = client.post(url, json=body)
                if response.status_code >= 400:
                    print(
                        f"ifz index: HTTP {response.status_code}: {_error_message(response)}",
                        file=err,
                    )
                    return EXIT_FAILED
                print(json.dumps(response.json(), indent=2), file=out)
                return EXIT_OK
            renderer = ProgressRenderer(err, disable=args.json)
            with client.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    print(
                        f"ifz index: HTTP {response.status_code}: {_error_message(response)}",
                        file=err,
                    )
                    return EXIT_FAILED
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if args.json:
                        print(line, file=out, flush=True)
                    renderer.handle(event)
            renderer.close()
    except httpx.ConnectError as exc:
        print(
            f"ifz index: cannot reach the server at {url} ({exc}); is `ifz serve` running?",
            file=err,
        )
        return EXIT_UNREACHABLE
    except httpx.HTTPError as exc:
        print(f"ifz index: {type(exc).__name__}: {exc}", file=err)
        return EXIT_FAILED
    if renderer.done is None:
        print("ifz index: the server closed the stream before the end", file=err)
        return EXIT_FAILED
    print(renderer.summary(), file=err)
    return EXIT_OK if renderer.ok else EXIT_FAILED


def cmd_index(args: argparse.Namespace) -> int:
    return run_index(args)
