"""Decoding and input limits: every bad input is an InputRejected subclass, never a crash."""

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.chart.image import load_image, resize_to_fit

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 20_000_000}


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def huge_png_header(width: int = 50_000, height: int = 50_000) -> bytes:
    """A 60-byte PNG whose header declares width x height RGB pixels (never allocate it)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_zero_bytes_is_malformed():
    with pytest.raises(MalformedInput) as caught:
        load_image(b"", "image/png", **LIMITS)
    assert caught.value.code == "empty_media"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("data", "mime"),
    [(b"hello, this is plain text", "text/plain"), (b"%PDF-1.7\n%...", "application/pdf")],
)
def test_not_an_image_is_unsupported(data, mime):
    with pytest.raises(UnsupportedInput) as caught:
        load_image(data, mime, **LIMITS)
    assert caught.value.status == 415


def test_truncated_png_is_malformed():
    data = png(np.zeros((40, 40, 3), np.uint8))
    with pytest.raises(MalformedInput):
        load_image(data[:60], "image/png", **LIMITS)


def test_declared_50k_by_50k_is_rejected_from_the_header_without_allocating():
    data = huge_png_header()
    assert len(data) < 100
    tracemalloc.start()
    try:
        with pytest.raises(InputTooLarge) as caught:
            load_image(data, "image/png", **LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.status == 413
    assert "50000x50000" in caught.value.message
    assert peak < 5_000_000


def test_over_byte_limit_is_too_large():
    data = png(np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(InputTooLarge):
        load_image(data, "image/png", max_bytes=len(data) - 1, max_pixels=10**7)


def test_pixel_limit_applies_to_ordinary_images():
    with pytest.raises(InputTooLarge):
        load_image(png(np.zeros((100, 100, 3), np.uint8)), None, max_bytes=10**6, max_pixels=5000)


def test_transparent_pixels_become_white_and_grey_becomes_rgb():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:4, :, :] = (255, 0, 0, 255)
    out = load_image(png(rgba), "image/png", **LIMITS)
    assert out.shape == (8, 8, 3)
    assert tuple(out[0, 0]) == (255, 0, 0)
    assert tuple(out[7, 7]) == (255, 255, 255)
    grey = load_image(png(np.full((5, 5), 90, np.uint8)), None, **LIMITS)
    assert grey.shape == (5, 5, 3)


def test_resize_to_fit_keeps_aspect():
    image, scale = resize_to_fit(np.zeros((1000, 3000, 3), np.uint8), 1500)
    assert image.shape[:2] == (500, 1500)
    assert scale == pytest.approx(0.5)
    same, scale = resize_to_fit(np.zeros((10, 10, 3), np.uint8), 1500)
    assert scale == 1.0 and same.shape == (10, 10, 3)
