"""Fixtures for the OCR unit tests: inputs generated once per session, one shared reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image

from deployments.perception.ocr.config import OcrSettings
from deployments.perception.ocr.reader import OcrReader

from . import samples


@pytest.fixture(scope="session")
def ocr_settings() -> OcrSettings:
    return OcrSettings(max_pages=5, max_pixels=20_000_000, max_bytes=5 * 1024 * 1024)


@pytest.fixture(scope="session")
def reader(ocr_settings: OcrSettings) -> Iterator[OcrReader]:
    """The local default engine (Tesseract), shared by every test."""
    reader = OcrReader(ocr_settings)
    yield reader
    reader.close()


@pytest.fixture(scope="session")
def text_pdf() -> bytes:
    return samples.text_pdf()


@pytest.fixture(scope="session")
def clean_scan(text_pdf: bytes) -> Image.Image:
    return samples.render(text_pdf, 200)[0]


@pytest.fixture(scope="session")
def noisy_scan(clean_scan: Image.Image) -> Image.Image:
    return samples.degrade(clean_scan, angle=2.0, seed=3)
