"""Reading one document, synchronously and without Ray: the deployment runs it in a thread.

PDF pages with a usable text layer are read from it (exact, milliseconds); other pages, scans
and images are rendered, cleaned up and OCR'd, several pages at once in a thread pool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, wait
from typing import Any

from PIL import Image

from deployments.common.errors import InputTooLarge, MalformedInput
from deployments.perception.ocr.backend import (
    OcrBackend,
    PageTimeout,
    make_backend,
    make_fallback_backend,
)
from deployments.perception.ocr.config import OcrSettings
from deployments.perception.ocr.geometry import RecognizedPage
from deployments.perception.ocr.images import ImageDocument, set_pil_pixel_limit
from deployments.perception.ocr.inputs import OcrRequest, parse_request, select_pages
from deployments.perception.ocr.layout import compose_ocr, compose_text_layer
from deployments.perception.ocr.pdf_text import PdfDocument, TextLayerPage
from deployments.perception.ocr.preprocess import PreparedPage, PrepareOptions, prepare
from deployments.perception.ocr.protocol import OcrResult, Page
from deployments.perception.ocr.tables import pdf_ruled_tables
from deployments.perception.ocr.verify import CropReader, cross_check, reread

logger = logging.getLogger(__name__)

UNREAD_FALLBACK = 25  # letter-sized ink blobs left unread that call for the fallback engine
# ... or this share of words read below UNSURE_WORD (receipt photos: 16-85%; clean scans: 0-13%)
UNSURE_WORD, UNSURE_SHARE = 0.7, 0.15
MIN_OCR_SIDE = 8  # pixels; smaller images hold no readable text
MIN_READABLE = 0.9  # share of printable characters a usable text layer has


def _crop_reader(*engines: OcrBackend | None) -> CropReader | None:
    """The recogniser that reads word crops a second time: rapidocr's, already loaded as the
    fallback (or main) engine, else a new one; None where rapidocr cannot run."""
    for engine in engines:
        if engine is not None and hasattr(engine, "read_crops"):
            return engine.read_crops
    from deployments.perception.ocr.backend import BackendUnavailable
    from deployments.perception.ocr.config import RapidOcrOptions
    from deployments.perception.ocr.rapidocr_backend import RapidOcrBackend

    try:
        return RapidOcrBackend(RapidOcrOptions()).read_crops
    except BackendUnavailable as exc:
        logger.warning("OCR value check off: %s", exc)
        return None


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


class _Clock:
    """Milliseconds per stage, summed over pages (thread-safe)."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self._lock = threading.Lock()

    def time(self, stage: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with self._lock:
                self.totals[stage] += time.perf_counter() - started

    def as_ms(self) -> dict[str, float]:
        return {stage: _ms(seconds) for stage, seconds in self.totals.items()}


class OcrReader:
    """Turns a request dict into an :class:`OcrResult`; raises InputRejected for bad input."""

    def __init__(
        self,
        settings: OcrSettings,
        backend: OcrBackend | None = None,
        verifier: CropReader | None = None,
    ) -> None:
        self.settings = settings
        set_pil_pixel_limit(settings.max_pixels)
        self.backend = backend if backend is not None else make_backend(settings)
        self.fallback = make_fallback_backend(settings) if backend is None else None
        self.verifier = verifier
        if verifier is None and backend is None and settings.verify_values:
            self.verifier = _crop_reader(self.fallback, self.backend)
        self.prepare_options = PrepareOptions(
            deskew=settings.deskew,
            max_skew_deg=settings.max_skew_deg,
            denoise=settings.denoise,
            remove_rulings=settings.remove_rulings,
            find_rulings=settings.extract_tables,
            detect_orientation=settings.detect_orientation,
        )
        self.pool = ThreadPoolExecutor(settings.max_parallel_pages, thread_name_prefix="ocr-page")

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    # ---- one page image ------------------------------------------------------------------

    def ocr_image(
        self,
        image: Image.Image,
        dpi: float | None,
        number: int,
        *,
        unit: str,
        with_words: bool,
        clock: _Clock,
    ) -> Page:
        """OCR one greyscale page image; boxes in points (``unit='pt'``) or pixels.

        ``dpi`` is the page's resolution, None for an image that does not declare it.
        """
        started = time.perf_counter()
        scale = 72.0 / dpi if unit == "pt" and dpi else 1.0
        width, height = round(image.width * scale, 2), round(image.height * scale, 2)
        if min(image.size) < MIN_OCR_SIDE:
            return Page(number=number, width=width, height=height, unit=unit, source="ocr",
                        text="", confidence=0.0)  # fmt: skip
        if self.backend.preprocess:
            prepared = clock.time(
                "preprocess",
                prepare,
                image,
                dpi,
                self.prepare_options,
                self.settings.assumed_image_dpi,
            )
        else:
            prepared = PreparedPage(image=image)
        try:
            recognized = clock.time("ocr", self.backend.recognize, prepared.image, dpi)
        except PageTimeout as exc:
            raise InputTooLarge(
                f"page {number}: {exc}; the limit is page_timeout_s="
                f"{self.settings.page_timeout_s:g} (ocr.page_timeout_s)",
                code="page_timeout",
            ) from None
        except Exception as exc:
            if type(exc).__name__ != "TesseractError":
                raise
            raise MalformedInput(
                f"page {number} cannot be OCR'd: {exc}", code="unreadable_page"
            ) from None

        def layout() -> Any:
            return clock.time(
                "layout",
                compose_ocr,
                recognized,
                prepared.rulings,
                scale=scale,
                extract_tables=self.settings.extract_tables,
                with_words=with_words,
            )

        content = layout()
        other = None
        if self.fallback is not None and self._unsure(content, recognized, prepared):
            content, recognized, other = self._second_opinion(
                content, recognized, prepared, scale, with_words, clock
            )
        checked = self.settings.verify_values and recognized.paragraphs is None
        if checked and self._verify(recognized, other, prepared, clock):
            content = layout()  # the words now carry their second reading
        return Page(
            number=number,
            width=width,
            height=height,
            unit=unit,
            source="ocr",
            text=content.text,
            blocks=content.blocks,
            tables=content.tables,
            confidence=content.confidence,
            skew_deg=prepared.skew_deg + prepared.orientation_deg,
            elapsed_ms=_ms(time.perf_counter() - started),
        )

    def _unsure(self, content, recognized, prepared: PreparedPage) -> bool:
        """A page the first engine read unsurely, or of which it left much ink unread."""
        if content.confidence < self.settings.fallback_below:
            return True
        if not recognized.lines:
            return False
        words = [w for line in recognized.lines for w in line.words]
        unsure = sum(w.confidence < UNSURE_WORD for w in words)
        if len(words) >= 10 and unsure >= UNSURE_SHARE * len(words):
            return True  # long sure words hide many unsure ones in the character-weighted mean
        from deployments.perception.ocr.tesseract import unread_glyphs

        source = prepared.gray or prepared.image
        return unread_glyphs(source, recognized.lines) >= UNREAD_FALLBACK

    def _second_opinion(
        self,
        content,
        first: RecognizedPage,
        prepared: PreparedPage,
        scale: float,
        with_words: bool,
        clock: _Clock,
    ):
        """The fallback engine's reading of an unsurely read page, when it is surer: (page
        content, the reading it came from, the other reading or None)."""
        source = prepared.gray or prepared.image  # binarising can erase faded print
        try:
            recognized = clock.time("ocr_fallback", self.fallback.recognize, source, None)
        except Exception:  # the first reading stands
            logger.warning("OCR fallback %s failed", self.fallback.name, exc_info=True)
            return content, first, None
        other = compose_ocr(
            recognized,
            prepared.rulings,
            scale=scale,
            extract_tables=self.settings.extract_tables,
            with_words=with_words,
        )
        if other.text.strip() and other.confidence > content.confidence:
            return other, recognized, first
        return content, first, recognized

    def _verify(
        self,
        recognized: RecognizedPage,
        other: RecognizedPage | None,
        prepared: PreparedPage,
        clock: _Clock,
    ) -> bool:
        """A second reading of the page's value words (see :mod:`.verify`); whether any
        word was checked."""
        limit = self.settings.verify_max_words
        source = prepared.gray or prepared.image
        if other is not None and other.paragraphs is None:
            return clock.time("verify", cross_check, recognized.lines, other.lines, limit=limit) > 0
        if self.verifier is None:
            return False
        try:
            return clock.time("verify", reread, recognized.lines, source, self.verifier,
                              limit=limit) > 0  # fmt: skip
        except Exception:  # the reading stands unchecked
            logger.warning("OCR value check failed", exc_info=True)
            return False

    # ---- pages in parallel ---------------------------------------------------------------

    def _run_pages(
        self, tasks: dict[int, Callable[[], Page]], cancel: threading.Event
    ) -> dict[int, Page]:
        """Run page tasks in the pool; on the first error stop the rest and re-raise it."""

        def guarded(task: Callable[[], Page]) -> Page:
            if cancel.is_set():
                raise CancelledError()
            return task()

        futures: dict[int, Future[Page]] = {
            index: self.pool.submit(guarded, task) for index, task in tasks.items()
        }
        try:
            return {index: future.result() for index, future in futures.items()}
        except BaseException:
            cancel.set()
            raise
        finally:
            wait(futures.values())  # nothing may still use the document when it closes

    # ---- PDFs ----------------------------------------------------------------------------

    def _usable(self, layer: TextLayerPage) -> bool:
        return layer.chars >= self.settings.min_text_chars and layer.readable_ratio >= MIN_READABLE

    def _text_layer_pages(
        self,
        request: OcrRequest,
        layers: dict[int, tuple[TextLayerPage, float]],
        clock: _Clock,
        warnings: list[str],
    ) -> dict[int, Page]:
        ruled: dict[int, list] = {}
        with_paths = [i for i, (layer, _) in layers.items() if layer.has_paths]
        if self.settings.extract_tables and with_paths:
            try:
                ruled = clock.time("tables", pdf_ruled_tables, request.data, with_paths)
            except Exception as exc:  # tables are extra: a parser failure must not lose text
                warnings.append(f"ruled tables not extracted: {type(exc).__name__}: {exc}")
        pages = {}
        for index, (layer, elapsed) in layers.items():
            started = time.perf_counter()
            content = compose_text_layer(
                layer,
                ruled.get(index, []),
                extract_tables=self.settings.extract_tables,
                with_words=request.words,
            )
            pages[index] = Page(
                number=index + 1,
                width=layer.width,
                height=layer.height,
                unit="pt",
                source="text_layer",
                text=content.text,
                blocks=content.blocks,
                tables=content.tables,
                confidence=content.confidence,
                elapsed_ms=_ms(elapsed + time.perf_counter() - started),
            )
        return pages

    def _ocr_pdf_page(
        self,
        document: PdfDocument,
        index: int,
        request: OcrRequest,
        clock: _Clock,
        warnings: list[str],
    ) -> Page:
        started = time.perf_counter()
        image, dpi = clock.time(
            "render", document.render, index, self.settings.dpi, self.settings.max_pixels
        )
        if dpi < self.settings.dpi:
            warnings.append(
                f"page {index + 1} rendered at {dpi:.0f} dpi instead of {self.settings.dpi} "
                f"to stay within ocr.max_pixels={self.settings.max_pixels}"
            )
        page = self.ocr_image(
            image, dpi, index + 1, unit="pt", with_words=request.words, clock=clock
        )
        page.elapsed_ms = _ms(time.perf_counter() - started)
        return page

    def _read_pdf(
        self, request: OcrRequest, clock: _Clock, warnings: list[str], cancel: threading.Event
    ) -> tuple[list[Page], int]:
        document = clock.time("open", PdfDocument, request.data)
        try:
            indices = select_pages(request.pages, document.count, self.settings.max_pages)
            layers: dict[int, tuple[TextLayerPage, float]] = {}
            to_ocr: list[int] = []
            for index in indices:
                if request.mode == "ocr":
                    to_ocr.append(index)
                    continue
                started = time.perf_counter()
                layer = clock.time(
                    "text_layer",
                    document.text_layer,
                    index,
                    find_paths=self.settings.extract_tables,
                )
                if request.mode == "text_layer" or self._usable(layer):
                    layers[index] = (layer, time.perf_counter() - started)
                    if request.mode == "text_layer" and not layer.chars:
                        warnings.append(f"page {index + 1} has no text layer (mode text_layer)")
                    continue
                if layer.chars and layer.readable_ratio < MIN_READABLE:
                    warnings.append(
                        f"page {index + 1}: text layer unreadable "
                        f"({layer.readable_ratio:.0%} printable), OCR'd instead"
                    )
                to_ocr.append(index)
            pages = self._text_layer_pages(request, layers, clock, warnings)
            tasks: dict[int, Callable[[], Page]] = {
                index: (
                    lambda index=index: self._ocr_pdf_page(
                        document, index, request, clock, warnings
                    )
                )
                for index in to_ocr
            }
            pages.update(self._run_pages(tasks, cancel))
            return [pages[i] for i in sorted(pages)], document.count
        finally:
            document.close()

    # ---- images --------------------------------------------------------------------------

    def _read_image(
        self, request: OcrRequest, clock: _Clock, cancel: threading.Event
    ) -> tuple[list[Page], int]:
        document = clock.time(
            "decode",
            ImageDocument,
            request.data,
            max_pixels=self.settings.max_pixels,
        )
        try:
            indices = select_pages(request.pages, document.count, self.settings.max_pages)

            def task(index: int) -> Page:
                started = time.perf_counter()
                image, dpi = clock.time("decode", document.page, index)
                page = self.ocr_image(
                    image, dpi, index + 1, unit="px", with_words=request.words, clock=clock
                )
                page.elapsed_ms = _ms(time.perf_counter() - started)
                return page

            tasks = {index: (lambda index=index: task(index)) for index in indices}
            pages = self._run_pages(tasks, cancel)
            return [pages[i] for i in sorted(pages)], document.count
        finally:
            document.close()

    # ---- the request ---------------------------------------------------------------------

    def read(self, request: dict[str, Any], cancel: threading.Event | None = None) -> OcrResult:
        """Read the document in ``request`` (see :func:`parse_request` for its keys)."""
        started = time.perf_counter()
        cancel = cancel or threading.Event()
        parsed = parse_request(request, max_bytes=self.settings.max_bytes)
        clock, warnings = _Clock(), []
        if parsed.is_pdf:
            pages, count = self._read_pdf(parsed, clock, warnings, cancel)
        else:
            pages, count = self._read_image(parsed, clock, cancel)
        chars = sum(len(p.text) for p in pages)
        confidence = sum(p.confidence * len(p.text) for p in pages) / chars if chars else 0.0
        timings = clock.as_ms()
        timings["total"] = _ms(time.perf_counter() - started)
        ocr_used = any(p.source == "ocr" for p in pages)
        return OcrResult(
            pages=pages,
            text="\n\n".join(p.text for p in pages),
            confidence=round(confidence, 4),
            backend=self.backend.name if ocr_used else "text_layer",
            mime=parsed.mime,
            page_count=count,
            timings_ms=timings,
            warnings=warnings,
        )
