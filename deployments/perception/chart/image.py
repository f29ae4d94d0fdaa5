"""Bytes → RGB array, with every size and type check done before pixels are decoded."""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.common.media import sniff_mime

IMAGE_MIMES = {"image/png", "image/jpeg", "image/gif", "image/bmp", "image/tiff", "image/webp"}


def load_image(data: bytes, mime: str | None, *, max_bytes: int, max_pixels: int) -> np.ndarray:
    """Decode ``data`` into an (H, W, 3) uint8 RGB array on white.

    Raises MalformedInput (empty or corrupt), UnsupportedInput (not an image) or InputTooLarge
    (bytes or declared pixel count over the limit; checked from the header, never allocated).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MalformedInput("chart input must be raw image bytes", code="invalid_media")
    data = bytes(data)
    if not data:
        raise MalformedInput("chart image is empty (zero bytes)", code="empty_media")
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"chart image is {len(data)} bytes, over the limit of {max_bytes}",
            code="media_too_large",
        )
    sniffed = sniff_mime(data)
    if sniffed is not None and sniffed not in IMAGE_MIMES:
        raise UnsupportedInput(
            f"chart input is {sniffed}, not an image (declared {mime or 'nothing'})",
            code="unsupported_media_type",
        )
    declared = declared_size(data)
    if declared is not None:
        _check_pixels(*declared, max_pixels)
    image = _open_header(data, sniffed or mime)
    _check_pixels(*image.size, max_pixels)
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise MalformedInput(f"chart image is corrupt: {exc}", code="corrupt_media") from None
    return _to_rgb(image)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise InputTooLarge(
            f"chart image is {width}x{height} = {width * height} pixels, over the limit of "
            f"{max_pixels}",
            code="image_too_large",
        )


def declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF or BMP header, read without PIL; None otherwise."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    return None


def _open_header(data: bytes, mime: str | None) -> Image.Image:
    """Open lazily: PIL reads only the header, so a declared 50k x 50k costs nothing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise InputTooLarge(f"chart image is too large: {exc}", code="image_too_large") from None
    except UnidentifiedImageError:
        if mime and mime.startswith("image/"):
            raise MalformedInput(
                f"chart input claims to be {mime} but does not decode as an image",
                code="corrupt_media",
            ) from None
        raise UnsupportedInput(
            "chart input is not an image (PNG, JPEG, GIF, BMP, TIFF, WebP)",
            code="unsupported_media_type",
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise MalformedInput(
            f"chart image header is corrupt: {exc}", code="corrupt_media"
        ) from None


def _to_rgb(image: Image.Image) -> np.ndarray:
    """RGB on a white background (transparent pixels become white), first frame only."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        image = canvas
    elif image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        span = max(float(array.max() - array.min()), 1.0)
        image = Image.fromarray(((array - array.min()) * 255 / span).astype(np.uint8))
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def resize_to_fit(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Downscale so the longer side is at most ``max_side``; returns (image, scale applied)."""
    height, width = rgb.shape[:2]
    longest = max(height, width)
    if longest <= max_side:
        return rgb, 1.0
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8).copy(), scale
