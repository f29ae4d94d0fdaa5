"""The OCR deployment: a plain class the builder turns into a Ray Serve deployment.

PDF pages with a real text layer are read exactly (pypdfium2 + pdfplumber tables, milliseconds
per page); pages without one, scanned PDFs and images go through the OCR engine, several pages
at once. Bad input raises the InputRejected errors of ``deployments.common.errors`` (4xx).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from deployments.common.threads import limit_tesseract_threads
from deployments.perception.ocr.config import OcrSettings
from deployments.perception.ocr.reader import OcrReader


class OcrDeployment:
    """``process(request)`` → ``OcrResult`` dict; bounded concurrency, blocking work in threads.

    ``request``: ``{"data": bytes, "mime": str | None, "filename": str | None,
    "pages": int | list[int] | None, "mode": "auto" | "text_layer" | "ocr", "words": bool}``.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = OcrSettings.model_validate(settings)
        limit_tesseract_threads()  # this replica's process only
        self.reader = OcrReader(self.settings)
        self._slots = asyncio.Semaphore(self.settings.max_concurrent_requests)

    async def process(self, request: dict[str, Any]) -> dict[str, Any]:
        cancel = threading.Event()
        try:
            async with self._slots:
                result = await asyncio.to_thread(self.reader.read, request, cancel)
        except asyncio.CancelledError:
            cancel.set()  # the caller gave up: pages not yet started are skipped
            raise
        return result.model_dump(mode="json")

    async def check_health(self) -> None:
        await asyncio.to_thread(self.reader.backend.check)

    async def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "backend": s.backend,
            "languages": s.languages,
            "max_bytes": s.max_bytes,
            "max_pages": s.max_pages,
            "max_pixels": s.max_pixels,
            "dpi": s.dpi,
            "max_parallel_pages": s.max_parallel_pages,
        }

    def __del__(self) -> None:
        reader = getattr(self, "reader", None)
        if reader is not None:
            reader.close()
