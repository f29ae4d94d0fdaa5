"""Images (PNG, JPEG, TIFF, BMP, GIF, WebP) as greyscale pages, bombs refused before decoding.

PIL reads only the header on ``Image.open``; the pixel count is checked there, so a 50k×50k
PNG is refused without allocating it. PIL's own guard (``Image.MAX_IMAGE_PIXELS``) is set to
the same limit and its warning is turned into the same error.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings

import numpy as np
from PIL import Image, ImageOps

from deployments.common.errors import InputTooLarge, MalformedInput

PIL_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP")


def set_pil_pixel_limit(max_pixels: int) -> None:
    """Align PIL's decompression-bomb guard with ``max_pixels`` (process-wide)."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def _too_large(width: int, height: int, max_pixels: int, where: str = "image") -> InputTooLarge:
    return InputTooLarge(
        f"{where} is {width}x{height} = {width * height} pixels; the limit is {max_pixels} "
        "(ocr.max_pixels)",
        code="too_many_pixels",
    )


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a length
            offset += 2
            continue
        length = struct.unpack(">H", data[offset + 2 : offset + 4])[0]
        if marker in _JPEG_SOF and offset + 9 <= len(data):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height declared in the file header, read without any decoding.

    PNG, GIF, BMP, JPEG and WebP; None for other formats (PIL's lazy open checks those).
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def to_greyscale(image: Image.Image) -> Image.Image:
    """8-bit greyscale; transparency becomes white paper, 16-bit and float are rescaled."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        top = float(pixels.max()) or 1.0
        return Image.fromarray(np.clip(pixels * (255.0 / top), 0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    return image.convert("L")


class ImageDocument:
    """The frames of one image file as pages; safe to read from several threads."""

    def __init__(self, data: bytes, *, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self._lock = threading.Lock()
        self._image = self._open(data)
        self.count = int(getattr(self._image, "n_frames", 1) or 1)

    def _open(self, data: bytes) -> Image.Image:
        declared = header_size(data)
        if declared and declared[0] * declared[1] > self.max_pixels:
            raise _too_large(*declared, self.max_pixels)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data), formats=PIL_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise InputTooLarge(
                f"image exceeds the limit of {self.max_pixels} pixels (ocr.max_pixels)",
                code="too_many_pixels",
            ) from None
        except Exception as exc:
            raise MalformedInput(f"image cannot be read: {exc}", code="corrupt_image") from None
        width, height = image.size
        if width * height > self.max_pixels:
            raise _too_large(width, height, self.max_pixels)
        if width < 1 or height < 1:
            raise MalformedInput("image has no pixels", code="corrupt_image")
        return image

    def dpi(self) -> int | None:
        """The resolution the file declares; None when absent or implausible."""
        declared = self._image.info.get("dpi")
        try:
            value = round(float(declared[0]))
        except (TypeError, ValueError, IndexError):
            return None
        return value if 50 <= value <= 1200 else None

    def page(self, index: int) -> tuple[Image.Image, int | None]:
        """Frame ``index`` decoded as greyscale, with the resolution it declares (dpi)."""
        with self._lock:
            try:
                self._image.seek(index)
                width, height = self._image.size
                if width * height > self.max_pixels:
                    raise _too_large(width, height, self.max_pixels, f"frame {index + 1}")
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    self._image.load()
                    frame = ImageOps.exif_transpose(self._image) if index == 0 else self._image
                    grey = to_greyscale(frame)
            except InputTooLarge:
                raise
            except Exception as exc:
                raise MalformedInput(
                    f"image frame {index + 1} cannot be decoded: {exc}", code="corrupt_image"
                ) from None
            return grey, self.dpi()

    def close(self) -> None:
        self._image.close()
