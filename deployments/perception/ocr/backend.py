"""The interface every OCR engine implements, and the factory that builds one from settings."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from PIL import Image

from deployments.perception.ocr.geometry import RecognizedPage

if TYPE_CHECKING:
    from deployments.perception.ocr.config import OcrSettings

logger = logging.getLogger(__name__)


class BackendUnavailable(RuntimeError):
    """The configured engine cannot run here (binary, language pack or weights missing).

    Raised when the replica starts, so a misconfigured deployment fails fast and says why.
    """


class PageTimeout(RuntimeError):
    """One page took longer than ``page_timeout_s``."""


class OcrBackend(Protocol):
    """An OCR engine: one greyscale page image in, words with boxes (or paragraphs) out."""

    name: str
    preprocess: bool  # whether deskew / denoise / ruling removal help this engine

    def recognize(self, image: Image.Image, dpi: float | None) -> RecognizedPage: ...

    def check(self) -> None:
        """Raise :class:`BackendUnavailable` when the engine stopped working."""


def make_backend(settings: OcrSettings) -> OcrBackend:
    """The engine named by ``settings.backend`` with its validated options."""
    return make_named_backend(settings.backend, settings.options(), settings)


def make_fallback_backend(settings: OcrSettings) -> OcrBackend | None:
    """The fallback engine, or None when there is none (or it cannot run here)."""
    from deployments.perception.ocr.config import BACKEND_OPTIONS

    name = settings.fallback_backend
    if name is None or name == settings.backend:
        return None
    options = BACKEND_OPTIONS[name].model_validate(settings.fallback_options)
    try:
        return make_named_backend(name, options, settings)
    except BackendUnavailable as exc:
        logger.warning("OCR fallback %s unavailable: %s", name, exc)
        return None


def make_named_backend(name: str, options, settings: OcrSettings) -> OcrBackend:
    if name == "rapidocr":
        from deployments.perception.ocr.rapidocr_backend import RapidOcrBackend

        return RapidOcrBackend(options)
    if name == "nougat":
        from deployments.perception.ocr.nougat import NougatBackend

        return NougatBackend(options)
    from deployments.perception.ocr.tesseract import TesseractBackend

    return TesseractBackend(settings.languages, options, timeout_s=settings.page_timeout_s)
