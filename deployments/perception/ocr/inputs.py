"""Checks of an OCR request before anything is decoded: bytes, media type, mode, pages."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any, Literal

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.common.media import sniff_mime

PDF = "application/pdf"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif", "image/webp")
SUPPORTED = (PDF, *IMAGE_MIMES)
MODES = ("auto", "text_layer", "ocr")
Mode = Literal["auto", "text_layer", "ocr"]

_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/tif": "image/tiff",
    "image/x-tiff": "image/tiff",
    "image/x-ms-bmp": "image/bmp",
    "image/x-bmp": "image/bmp",
    "application/x-pdf": PDF,
}
_GENERIC = ("", "application/octet-stream", "binary/octet-stream", "application/unknown")


@dataclass(frozen=True)
class OcrRequest:
    """A validated request: bytes, their real media type, mode, pages and options."""

    data: bytes
    mime: str
    mode: Mode
    pages: int | list[int] | None
    words: bool

    @property
    def is_pdf(self) -> bool:
        return self.mime == PDF


def normalise_mime(mime: str | None) -> str | None:
    """Lower-cased type without parameters, aliases resolved; None for generic types."""
    if not mime:
        return None
    base = mime.split(";")[0].strip().lower()
    base = _ALIASES.get(base, base)
    return None if base in _GENERIC else base


def declared_mime(mime: str | None, filename: str | None) -> str | None:
    """The type the caller claims: ``mime``, else the one its file name suggests."""
    declared = normalise_mime(mime)
    if declared is None and filename:
        declared = normalise_mime(mimetypes.guess_type(filename)[0])
    return declared


def detect_mime(data: bytes, declared: str | None) -> str:
    """The real type of ``data``; raises when unsupported or contradicting ``declared``."""
    sniffed = sniff_mime(data)
    if sniffed is None and b"%PDF-" in data[:1024]:
        sniffed = PDF  # the PDF spec allows leading bytes before the header
    if sniffed is None:
        expected = f" (declared {declared})" if declared else ""
        raise UnsupportedInput(
            f"the bytes are not a PDF or a supported image{expected}; OCR reads "
            f"{', '.join(SUPPORTED)}",
            code="unsupported_media_type",
        )
    if declared and declared != sniffed:
        raise UnsupportedInput(
            f"declared {declared} but the bytes are {sniffed} (magic number mismatch)",
            code="media_type_mismatch",
        )
    if sniffed not in SUPPORTED:
        raise UnsupportedInput(
            f"OCR reads {', '.join(SUPPORTED)}; these bytes are {sniffed}",
            code="unsupported_media_type",
        )
    return sniffed


def _pages(value: Any) -> int | list[int] | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, list, tuple)):
        raise MalformedInput(
            "pages must be a count (first N pages) or a list of 1-based page numbers",
            code="invalid_pages",
        )
    if isinstance(value, int):
        if value < 1:
            raise MalformedInput("pages must be at least 1", code="invalid_pages")
        return value
    if not value or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        raise MalformedInput("pages must list 1-based page numbers", code="invalid_pages")
    return sorted(set(value))


def parse_request(request: Any, *, max_bytes: int) -> OcrRequest:
    """Validate a ``process`` request dict; size is checked before the type is sniffed."""
    if not isinstance(request, dict):
        raise MalformedInput("an OCR request is a dict with `data` bytes", code="invalid_request")
    data = request.get("data")
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise MalformedInput("the OCR request needs the file bytes in `data`", code="missing_data")
    if not data:
        raise MalformedInput("the file is empty (zero bytes)", code="empty_media")
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"the file has {len(data)} bytes; the limit is {max_bytes} (ocr.max_bytes)",
            code="media_too_large",
        )
    mode = request.get("mode") or "auto"
    if mode not in MODES:
        raise MalformedInput(f"mode must be one of {', '.join(MODES)}", code="invalid_mode")
    mime = detect_mime(data, declared_mime(request.get("mime"), request.get("filename")))
    if mode == "text_layer" and mime != PDF:
        raise UnsupportedInput(
            f"mode text_layer reads PDFs only; {mime} has no text layer (use auto or ocr)",
            code="no_text_layer",
        )
    return OcrRequest(
        data=data,
        mime=mime,
        mode=mode,
        pages=_pages(request.get("pages")),
        words=bool(request.get("words", False)),
    )


def select_pages(requested: int | list[int] | None, count: int, max_pages: int) -> list[int]:
    """0-based indices of the pages to read; raises past the document or ``max_pages``."""
    if requested is None:
        selected = list(range(count))
    elif isinstance(requested, int):
        selected = list(range(min(requested, count)))
    else:
        outside = [n for n in requested if not 1 <= n <= count]
        if outside:
            raise MalformedInput(
                f"pages {outside} are outside the document (1..{count})", code="invalid_pages"
            )
        selected = [n - 1 for n in requested]
    if len(selected) > max_pages:
        raise InputTooLarge(
            f"{len(selected)} pages requested (document has {count}); the limit is {max_pages} "
            "(ocr.max_pages): select fewer with `pages`",
            code="too_many_pages",
        )
    return selected
