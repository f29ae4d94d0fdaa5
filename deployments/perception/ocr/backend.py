"""The interface every OCR engine implements, and the factory that builds one from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PIL import Image

from deployments.perception.ocr.geometry import RecognizedPage

if TYPE_CHECKING:
    from deployments.perception.ocr.config import OcrSettings


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
    options = settings.options()
    if settings.backend == "rapidocr":
        from deployments.perception.ocr.rapidocr_backend import RapidOcrBackend

        return RapidOcrBackend(options)
    if settings.backend == "nougat":
        from deployments.perception.ocr.nougat import NougatBackend

        return NougatBackend(options)
    from deployments.perception.ocr.tesseract import TesseractBackend

    return TesseractBackend(settings.languages, options, timeout_s=settings.page_timeout_s)
