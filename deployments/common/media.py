"""Decoding of data URLs / base64 and media-type sniffing by magic bytes."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

import pybase64
from pydantic import BaseModel, ConfigDict, Field

from deployments.common.errors import InputTooLarge, MalformedInput

_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?),(?P<data>.*)$", re.S
)

# (offset, signature, mime) — checked in order.
_SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"BM", "image/bmp"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
    (0, b"\xff\xf2", "audio/mpeg"),
    (0, b"\x1aE\xdf\xa3", "audio/webm"),
]


def sniff_mime(data: bytes) -> str | None:
    """The media type the bytes really are, or None when unknown."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    for offset, signature, mime in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return mime
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return None


@dataclass(frozen=True)
class DecodedMedia:
    """Bytes from a data URL or base64 string, with the declared and the sniffed type."""

    data: bytes
    declared_mime: str | None
    sniffed_mime: str | None

    @property
    def mime(self) -> str | None:
        return self.sniffed_mime or self.declared_mime


def decode_base64(text: str, *, max_bytes: int, what: str = "data") -> bytes:
    """Strict base64 decode with a size limit checked before decoding.

    Line-wrapped base64 is accepted: whitespace is stripped (a copy of the whole text) only
    when the text is too long with it or the strict decode finds a character to reject.
    """
    compact = text
    if len(compact) * 3 // 4 > max_bytes:
        compact = "".join(text.split())
        if len(compact) * 3 // 4 > max_bytes:
            raise InputTooLarge(
                f"{what} exceeds the limit of {max_bytes} bytes", code="media_too_large"
            )
    try:
        data = _strict_b64decode(compact)
    except (binascii.Error, ValueError) as exc:
        stripped = "".join(compact.split())
        if stripped == compact:
            raise MalformedInput(
                f"{what} is not valid base64: {exc}", code="invalid_base64"
            ) from None
        return decode_base64(stripped, max_bytes=max_bytes, what=what)
    if not data:
        raise MalformedInput(f"{what} is empty (zero bytes)", code="empty_media")
    return data


def _strict_b64decode(text: str) -> bytes:
    """SIMD base64 (pybase64, ~30x the standard library's speed on a 1 MB image)."""
    return pybase64.b64decode(text, validate=True)


def decode_data_url(url: str, *, max_bytes: int) -> DecodedMedia:
    """Decode ``data:<mime>;base64,<payload>``; raises on malformed or oversized input."""
    match = _DATA_URL.match(url)
    if not match:
        raise MalformedInput(
            "not a data: URL (expected data:<type>;base64,<payload>)", code="invalid_data_url"
        )
    if ";base64" not in (match.group("params") or ""):
        raise MalformedInput("data: URL must be base64-encoded", code="invalid_data_url")
    data = decode_base64(match.group("data"), max_bytes=max_bytes, what="data: URL payload")
    return DecodedMedia(data=data, declared_mime=match.group("mime"), sniffed_mime=sniff_mime(data))


class MediaRequest(BaseModel):
    """What a media-reading deployment (OCR, chart) takes: the bytes and what is known of them."""

    model_config = ConfigDict(extra="allow")  # deployment-specific options (pages, mode, ...)

    data: bytes = Field(description="The file, as is.")
    mime: str | None = Field(None, description="Its media type (sniffed by the router).")
    filename: str | None = Field(None, description="The client's file name (provenance).")
