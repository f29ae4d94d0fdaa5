"""Helpers the playground's browser tests share: a thread-served app, a PDF, Chromium."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

CHROMIUM = "/usr/bin/chromium"  # Debian's, from scripts/apt-packages.txt
CHROMIUM_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
INVOICE_LINES = [  # (font, size, baseline y from the bottom in points, text)
    ("Helvetica-Bold", 16, 730, "ACME Supplies Ltd"),
    ("Helvetica", 11, 700, "Invoice number: INV-2041"),
    ("Helvetica", 11, 684, "Date: 2026-03-14"),
    ("Helvetica", 11, 668, "Bill to: Northwind Traders"),
    ("Helvetica", 11, 600, "Widgets    10    $114.00"),
    ("Helvetica", 11, 560, "Subtotal: $1,140.00"),
    ("Helvetica", 11, 544, "Tax (8%): $91.20"),
    ("Helvetica-Bold", 12, 520, "Total due: $1,231.20"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def invoice_pdf() -> bytes:
    """A one-page invoice with a text layer (the lines of :data:`INVOICE_LINES`)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=(612, 792))
    for font, size, y, text in INVOICE_LINES:
        doc.setFont(font, size)
        doc.drawString(60, y, text)
    doc.save()
    return buffer.getvalue()


def artifact_dir(fallback: Path) -> Path:
    """Where screenshots go: ``$IFZ_TEST_ARTIFACTS`` if set, else a pytest temp folder."""
    root = os.environ.get("IFZ_TEST_ARTIFACTS")
    path = Path(root) if root else fallback
    path.mkdir(parents=True, exist_ok=True)
    return path


def proxy_app(upstream: str) -> Any:
    """The playground router plus ``/v1/*`` forwarded (streamed) to ``upstream``.

    Only for a live app that does not include the playground router yet: the page then has
    the same origin as the API it calls, as it has once the app serves it itself.
    """
    import httpx
    from starlette.background import BackgroundTask

    from serve.api.errors import install_error_handlers
    from serve.playground.router import router

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    client = httpx.AsyncClient(base_url=upstream, timeout=None)
    forwarded = ("authorization", "content-type", "accept", "x-request-id")
    returned = ("content-type", "x-request-id", "retry-after", "cache-control")

    @app.api_route("/v1/{path:path}", methods=["GET", "POST"])
    async def forward(path: str, request: Request) -> StreamingResponse:
        upstream_request = client.build_request(
            request.method,
            f"/v1/{path}",
            params=request.query_params,
            headers={k: v for k, v in request.headers.items() if k.lower() in forwarded},
            content=await request.body(),
        )
        response = await client.send(upstream_request, stream=True)
        return StreamingResponse(
            response.aiter_raw(),
            status_code=response.status_code,
            headers={k: v for k, v in response.headers.items() if k.lower() in returned},
            background=BackgroundTask(response.aclose),
        )

    return app
