"""The playground: a web page served by the app itself at ``/`` (no CDN, no build step).

``GET /`` is the page, ``GET /playground/static/{file}`` its assets (only the files shipped in
``static/``), and ``POST /playground/pdf/page`` renders one PDF page to PNG with PDFium so the
browser can draw OCR boxes over what the OCR stage saw (the page has no PDF renderer of its
own). The API the page calls is the public one (``/v1/...``) with the user's key.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from deployments.common.errors import BadRequest, NotFound, PayloadTooLarge, ServeError
from serve.gateway.integration import gateway_context
from serve.playground.render import PdfRenderError, render_pdf_page

STATIC_DIR = Path(__file__).parent / "static"
MAX_PDF_BYTES = 25 * 1024 * 1024
MAX_RENDER_WIDTH = 2000
_ROOT_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)*")

# Everything the page loads comes from this origin; styles only from files (no inline CSS).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}

router = APIRouter(include_in_schema=False)


class NotAPdf(ServeError):
    status, type, code = 415, "invalid_request_error", "unsupported_media_type"


def _assets() -> dict[str, Path]:
    """The servable files, by their path under ``static/`` (nothing else can be reached)."""
    return {
        path.relative_to(STATIC_DIR).as_posix(): path
        for path in sorted(STATIC_DIR.rglob("*"))
        if path.is_file() and path.name != "index.html"
    }


ASSETS = _assets()


def _media_type(path: Path) -> str:
    return _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"


def page_html(root_path: str) -> str:
    """The page, its URLs under the app's route prefix (``root_path``; "" at the root)."""
    root = root_path.rstrip("/")
    if not _ROOT_PATH.fullmatch(root):
        root = ""
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8").replace("__ROOT__", root)


@router.get("/")
async def playground_page(request: Request) -> HTMLResponse:
    """The playground page."""
    return HTMLResponse(
        page_html(request.scope.get("root_path", "")),
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


@router.get("/playground/static/{asset:path}")
async def playground_asset(asset: str) -> FileResponse:
    """One of the page's static files (revalidated, so an upgrade is picked up at once)."""
    path = ASSETS.get(asset)
    if path is None:
        raise NotFound(f"no playground asset {asset!r}", code="not_found")
    return FileResponse(
        path,
        media_type=_media_type(path),
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


@router.post("/playground/pdf/page", dependencies=[Depends(gateway_context)])
async def render_page(
    request: Request,
    page: Annotated[int, Query(ge=1, description="1-based page number.")] = 1,
    width: Annotated[int, Query(ge=64, le=MAX_RENDER_WIDTH, description="PNG width (px).")] = 1000,
) -> Response:
    """Render one page of the PDF in the body (``application/pdf``) as a PNG ``width`` wide."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_PDF_BYTES:
        raise PayloadTooLarge(f"the PDF is over {MAX_PDF_BYTES} bytes", code="request_too_large")
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_PDF_BYTES:
            raise PayloadTooLarge(
                f"the PDF is over {MAX_PDF_BYTES} bytes", code="request_too_large"
            )
    if not data.startswith(b"%PDF-"):
        raise NotAPdf("the body is not a PDF (it does not start with %PDF-)")
    try:
        png, pages = await asyncio.to_thread(render_pdf_page, bytes(data), page, width)
    except PdfRenderError as exc:
        raise BadRequest(str(exc), code=exc.code, param=exc.param) from exc
    return Response(
        png,
        media_type="image/png",
        headers={"X-Page-Count": str(pages), "Cache-Control": "private, max-age=600"},
    )
