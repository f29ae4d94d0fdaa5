"""The chart deployment: a plain class the builder turns into a Ray Serve deployment."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from deployments.common.errors import MalformedInput
from deployments.common.threads import limit_tesseract_threads
from deployments.perception.chart.config import ChartSettings
from deployments.perception.chart.image import load_image
from deployments.perception.chart.labels import OcrUnavailable, tesseract_version
from deployments.perception.chart.pipeline import ChartParser, ParserOptions
from deployments.perception.chart.protocol import ChartClassifyResult, ChartReading

DEFAULT_MIN_CONFIDENCE = 0.5  # ``read`` parses an image the classifier is at least this sure of


class ChartDeployment:
    """``read``: image → is it a chart, and if so its table (ChartReading dict): one call per
    image; ``process``: chart image → ChartResult dict; ``classify``: is it a chart at all?

    Requests are ``{"data": bytes, "mime": str | None}`` (``read`` also takes
    ``min_confidence``, the classifier's verdict needed to parse). Bad input raises the
    ``InputRejected`` subclasses (the router maps them to 400/413/415/422); anything odd in
    the picture itself yields a low-confidence result instead of an error.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = ChartSettings.model_validate(settings)
        limit_tesseract_threads()  # this replica's process only
        options = {
            "ocr_lang": self.settings.ocr_lang,
            "ocr_timeout_s": self.settings.ocr_timeout_s,
            "work_max_side": self.settings.work_max_side,
            "chart_threshold": self.settings.chart_threshold,
            **self.settings.backend_options,
        }
        known = {f.name for f in dataclasses.fields(ParserOptions)}
        unknown = sorted(set(self.settings.backend_options) - known)
        if unknown:
            raise ValueError(
                f"chart.backend_options: unknown key(s) {unknown}; known: {sorted(known)}"
            )
        self.parser = ChartParser(ParserOptions(**options))
        self._slots = asyncio.Semaphore(self.settings.max_concurrency)
        self._ocr_error: str | None = None
        if self.parser.options.ocr:
            try:
                tesseract_version()
            except OcrUnavailable as exc:
                self._ocr_error = str(exc)

    async def process(self, request: dict[str, Any]) -> dict[str, Any]:
        data, mime = _unpack(request)
        async with self._slots:
            result = await asyncio.to_thread(
                self.parser.parse_bytes,
                data,
                mime,
                max_bytes=self.settings.max_bytes,
                max_pixels=self.settings.max_pixels,
            )
        return result.model_dump(mode="json")

    async def classify(self, request: dict[str, Any]) -> dict[str, Any]:
        data, mime = _unpack(request)
        async with self._slots:
            verdict = await asyncio.to_thread(self._classify, data, mime)
        return ChartClassifyResult(
            is_chart=verdict.is_chart, confidence=verdict.confidence
        ).model_dump(mode="json")

    async def read(self, request: dict[str, Any]) -> dict[str, Any]:
        """Classify the image and parse it when it is a chart: the image is sent and decoded
        once, and the router pays one Ray call per image instead of two."""
        data, mime = _unpack(request)
        min_confidence = request.get("min_confidence", DEFAULT_MIN_CONFIDENCE)
        if not isinstance(min_confidence, int | float) or isinstance(min_confidence, bool):
            raise MalformedInput("chart request 'min_confidence' must be a number")
        async with self._slots:
            reading = await asyncio.to_thread(self._read, data, mime, float(min_confidence))
        return reading.model_dump(mode="json")

    def _read(self, data: bytes, mime: str | None, min_confidence: float) -> ChartReading:
        started = time.perf_counter()
        rgb = load_image(
            data, mime, max_bytes=self.settings.max_bytes, max_pixels=self.settings.max_pixels
        )
        decoded = time.perf_counter()
        verdict = self.parser.classify(rgb)
        classified = time.perf_counter()
        reading = ChartClassifyResult(is_chart=verdict.is_chart, confidence=verdict.confidence)
        if not verdict.is_chart or verdict.confidence < min_confidence:
            return ChartReading(verdict=reading)
        result = self.parser.parse(rgb, verdict)
        result.timings_ms = {
            "decode": round((decoded - started) * 1000, 1),
            "classify": round((classified - decoded) * 1000, 1),
            **result.timings_ms,
        }
        return ChartReading(verdict=reading, result=result)

    def _classify(self, data: bytes, mime: str | None):
        rgb = load_image(
            data, mime, max_bytes=self.settings.max_bytes, max_pixels=self.settings.max_pixels
        )
        return self.parser.classify(rgb)

    async def check_health(self) -> None:
        """Unhealthy when Tesseract is missing: without labels the parser is not trustworthy."""
        if self._ocr_error:
            raise RuntimeError(self._ocr_error)


def _unpack(request: dict[str, Any]) -> tuple[bytes, str | None]:
    if not isinstance(request, dict):
        raise MalformedInput("chart request must be {'data': bytes, 'mime': str | None}")
    data = request.get("data")
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise MalformedInput("chart request 'data' must be raw image bytes", code="invalid_media")
    mime = request.get("mime")
    return data, mime if isinstance(mime, str) else None
