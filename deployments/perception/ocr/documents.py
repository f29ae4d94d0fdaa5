"""Opening PDFs and images safely: limits checked before anything is decoded in full."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.common.media import sniff_mime

IMAGE_MIMES = ("image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif", "image/webp")


@dataclass
class Limits:
    max_bytes: int
    max_pages: int
    max_pixels: int


def detect_kind(data: bytes, declared: str | None) -> str:
    """``pdf`` or ``image``; raises for empty, unknown or lying input."""
    if not data:
        raise MalformedInput("the file is empty (zero bytes)", code="empty_media")
    sniffed = sniff_mime(data)
    if sniffed == "application/pdf":
        kind = "pdf"
    elif sniffed in IMAGE_MIMES:
        kind = "image"
    else:
        raise UnsupportedInput(
            f"OCR reads PDFs and images; these bytes are {sniffed or 'of an unknown type'}",
            code="unsupported_media_type",
        )
    if declared and declared not in ("application/octet-stream",):
        declared_kind = "pdf" if declared == "application/pdf" else declared.split("/")[0]
        if declared_kind not in (kind, "image" if kind == "image" else "pdf"):
            raise UnsupportedInput(
                f"declared {declared} but the bytes are {sniffed}", code="media_type_mismatch"
            )
    return kind


def check_size(data: bytes, limits: Limits) -> None:
    if len(data) > limits.max_bytes:
        raise InputTooLarge(
            f"file has {len(data)} bytes; the limit is {limits.max_bytes}", code="media_too_large"
        )


def header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the file header (PNG, GIF, BMP, JPEG) without decoding."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:3] == b"\xff\xd8\xff":
        offset = 2
        while offset + 9 < len(data):
            if data[offset] != 0xFF:
                return None
            marker = data[offset + 1]
            length = struct.unpack(">H", data[offset + 2 : offset + 4])[0]
            if marker in (
                0xC0,
                0xC1,
                0xC2,
                0xC3,
                0xC5,
                0xC6,
                0xC7,
                0xC9,
                0xCA,
                0xCB,
                0xCD,
                0xCE,
                0xCF,
            ):
                height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
                return width, height
            offset += 2 + length
    return None


def open_image(data: bytes, limits: Limits) -> Image.Image:
    """Decode an image after checking its declared size (no full decode of a bomb)."""
    declared = header_size(data)
    if declared and declared[0] * declared[1] > limits.max_pixels:
        width, height = declared
        raise InputTooLarge(
            f"image is {width}x{height} = {width * height} pixels; the limit is "
            f"{limits.max_pixels}",
            code="too_many_pixels",
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        raise InputTooLarge(
            f"image exceeds the limit of {limits.max_pixels} pixels", code="too_many_pixels"
        ) from None
    except Exception as exc:
        raise MalformedInput(f"image cannot be read: {exc}", code="corrupt_image") from None
    if width * height > limits.max_pixels:
        raise InputTooLarge(
            f"image is {width}x{height} = {width * height} pixels; the limit is "
            f"{limits.max_pixels}",
            code="too_many_pixels",
        )
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:
        raise MalformedInput(f"image is corrupt: {exc}", code="corrupt_image") from None
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    return image.convert("RGB")


def open_pdf(data: bytes, limits: Limits):
    """A pypdfium2 document; raises for corrupt or encrypted files and too many pages."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text or "security" in text:
            raise UnsupportedInput(
                "the PDF is encrypted (password protected); send it decrypted",
                code="encrypted_pdf",
            ) from None
        raise MalformedInput(f"the PDF cannot be opened: {exc}", code="corrupt_pdf") from None
    pages = len(document)
    if pages == 0:
        document.close()
        raise MalformedInput("the PDF has no pages", code="corrupt_pdf")
    if pages > limits.max_pages:
        document.close()
        raise InputTooLarge(
            f"the PDF has {pages} pages; the limit is {limits.max_pages}", code="too_many_pages"
        )
    return document


def render_page(document, index: int, dpi: int, limits: Limits) -> Image.Image:
    """Rasterise one page, refusing page sizes that would exceed the pixel limit."""
    page = document[index]
    try:
        width, height = page.get_size()
        scale = dpi / 72.0
        pixels = int(width * scale) * int(height * scale)
        if pixels > limits.max_pixels:
            scale = (limits.max_pixels / max(width * height, 1.0)) ** 0.5
            if scale < 72 / 72.0 * 0.75:  # unreadably small: the page itself is absurd
                raise InputTooLarge(
                    f"page {index + 1} is {width:.0f}x{height:.0f} pt; rendering it exceeds "
                    f"the limit of {limits.max_pixels} pixels",
                    code="too_many_pixels",
                )
        bitmap = page.render(scale=scale, grayscale=True)
        return bitmap.to_pil().convert("RGB")
    finally:
        page.close()
