"""The OCR deployment: a plain class the builder turns into a Ray Serve deployment.

PDF pages with a real text layer are read exactly (pypdfium2 + pdfplumber tables, a few ms per
page); pages without one, scanned PDFs and images go through the OCR engine, pages in parallel.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PIL import Image

from deployments.common.errors import MalformedInput
from deployments.perception.ocr import text_layer
from deployments.perception.ocr.config import OcrSettings
from deployments.perception.ocr.documents import (
    Limits,
    check_size,
    detect_kind,
    open_image,
    open_pdf,
    render_page,
)
from deployments.perception.ocr.engines import make_engine
from deployments.perception.ocr.geometry_tables import find_tables
from deployments.perception.ocr.protocol import OcrResult, Page
from deployments.perception.ocr.tesseract import to_blocks

MODES = ("auto", "text_layer", "ocr")


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


class OcrReader:
    """Synchronous document reading (no Ray): the deployment runs it in worker threads."""

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings
        self.limits = Limits(settings.max_bytes, settings.max_pages, settings.max_pixels)
        self.engine = make_engine(settings.backend, settings.languages, settings.backend_options)
        Image.MAX_IMAGE_PIXELS = settings.max_pixels
        self.pool = ThreadPoolExecutor(max_workers=settings.max_parallel_pages)

    def ocr_page(self, image: Image.Image, number: int) -> Page:
        lines = self.engine.read(image)
        blocks = to_blocks(lines)
        tables = find_tables(lines) if self.settings.extract_tables else []
        chars = sum(len(b.text) for b in blocks) or 1
        confidence = sum(b.confidence * len(b.text) for b in blocks) / chars if blocks else 0.0
        return Page(
            number=number,
            width=float(image.width),
            height=float(image.height),
            source="ocr",
            text="\n".join(b.text for b in blocks),
            blocks=blocks,
            tables=tables,
            confidence=round(confidence, 4),
        )

    def read_image(self, data: bytes) -> list[Page]:
        return [self.ocr_page(open_image(data, self.limits), 1)]

    def read_pdf(self, data: bytes, mode: str, timings: dict[str, float]) -> tuple[list[Page], int]:
        started = time.perf_counter()
        document = open_pdf(data, self.limits)
        try:
            count = len(document)
            pages: dict[int, Page] = {}
            needs_ocr: list[int] = []
            for index in range(count):
                text = text_layer.page_text(document, index) if mode != "ocr" else ""
                if mode == "text_layer" or len(text) >= self.settings.min_text_chars:
                    blocks, width, height = text_layer.line_blocks(document, index)
                    pages[index + 1] = Page(
                        number=index + 1,
                        width=width,
                        height=height,
                        source="text_layer",
                        text=text,
                        blocks=blocks,
                        confidence=1.0 if text else 0.0,
                    )
                else:
                    needs_ocr.append(index)
            timings["text_layer"] = _ms(started)
            if pages and self.settings.extract_tables:
                started = time.perf_counter()
                try:
                    for number, tables in text_layer.ruled_tables(data, sorted(pages)).items():
                        pages[number].tables = tables
                except Exception:  # tables are a bonus: a parser hiccup must not lose the text
                    pass
                timings["tables"] = _ms(started)
            if needs_ocr:
                started = time.perf_counter()
                images = [
                    (i, render_page(document, i, self.settings.dpi, self.limits)) for i in needs_ocr
                ]
                for page in self.pool.map(lambda item: self.ocr_page(item[1], item[0] + 1), images):
                    pages[page.number] = page
                timings["ocr"] = _ms(started)
        finally:
            document.close()
        return [pages[n] for n in sorted(pages)], count

    def read(self, request: dict[str, Any]) -> OcrResult:
        started = time.perf_counter()
        data = request.get("data")
        if not isinstance(data, (bytes, bytearray)):
            raise MalformedInput("OCR request needs the file bytes in `data`", code="missing_data")
        mode = request.get("mode") or "auto"
        if mode not in MODES:
            raise MalformedInput(f"mode must be one of {MODES}", code="invalid_mode")
        check_size(data, self.limits)
        kind = detect_kind(bytes(data), request.get("mime"))
        timings: dict[str, float] = {}
        if kind == "pdf":
            pages, count = self.read_pdf(bytes(data), mode, timings)
        else:
            pages, count = self.read_image(bytes(data)), 1
        chars = sum(len(p.text) for p in pages) or 1
        confidence = sum(p.confidence * len(p.text) for p in pages) / chars if pages else 0.0
        timings["total"] = _ms(started)
        return OcrResult(
            pages=pages,
            text="\n\n".join(p.text for p in pages),
            confidence=round(confidence, 4),
            backend="text_layer"
            if all(p.source == "text_layer" for p in pages)
            else self.engine.name,
            page_count=count,
            timings_ms=timings,
        )


class OcrDeployment:
    """``process(request)`` → OcrResult dict; bounded concurrency, work in threads."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = OcrSettings.model_validate(settings)
        self.reader = OcrReader(self.settings)
        self._slots = asyncio.Semaphore(self.settings.max_concurrent_requests)

    async def process(self, request: dict[str, Any]) -> dict[str, Any]:
        async with self._slots:
            result = await asyncio.to_thread(self.reader.read, request)
        return result.model_dump(mode="json")

    async def check_health(self) -> None:
        return None

    async def describe(self) -> dict[str, Any]:
        return {
            "backend": self.settings.backend,
            "languages": self.settings.languages,
            "max_pages": self.settings.max_pages,
            "max_pixels": self.settings.max_pixels,
        }
