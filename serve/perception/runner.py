"""Run the perception stages a request needs, in parallel, degrading around failures."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from serve.api.errors import APIError
from serve.config.schema import InputKind
from serve.context.observations import Observation
from serve.observability.trace import Trace
from serve.perception import observe
from serve.perception.media import MediaItem
from serve.stages.client import StageClient, StageUnavailable

CHART_MIN_CONFIDENCE = 0.5


@dataclass
class PerceptionOutcome:
    """Observations from every media item, plus the stages that were skipped and why."""

    observations: list[Observation] = field(default_factory=list)
    degraded: dict[str, str] = field(default_factory=dict)


class PerceptionRunner:
    """Dispatches each media item to its stage: pdf → ocr, image → chart or ocr, audio → asr."""

    def __init__(self, clients: dict[str, StageClient]) -> None:
        self.clients = clients

    def available(self) -> set[str]:
        return set(self.clients)

    async def run(self, items: list[MediaItem], trace: Trace) -> PerceptionOutcome:
        outcome = PerceptionOutcome()
        results = await asyncio.gather(
            *(self._one(item, trace) for item in items), return_exceptions=True
        )
        for item, result in zip(items, results, strict=True):
            if isinstance(result, StageUnavailable):
                outcome.degraded[f"{result.stage}:{item.source_id}"] = result.reason
            elif isinstance(result, BaseException):  # APIError (bad input) → the client's 4xx
                raise result
            else:
                outcome.observations.extend(result)
        return outcome

    async def _call(self, stage: str, item: MediaItem, trace: Trace, method: str | None = None):
        payload = {"data": item.data, "mime": item.mime, "filename": item.filename}
        with trace.stage(stage, source=item.source_id, bytes=len(item.data)) as record:
            result = await self.clients[stage].call(payload, method=method)
            if isinstance(result, dict) and "confidence" in result:
                record.summary["confidence"] = result["confidence"]
            return result

    async def _one(self, item: MediaItem, trace: Trace) -> list[Observation]:
        if item.kind is InputKind.PDF:
            return observe.from_ocr(item.source_id, await self._call("ocr", item, trace))
        if item.kind is InputKind.AUDIO:
            result = await self._call("asr", item, trace)
            return observe.from_transcription(item.source_id, result)
        return await self._image(item, trace)

    async def _image(self, item: MediaItem, trace: Trace) -> list[Observation]:
        """A chart goes to the chart parser; anything else (scans, photos) to OCR."""
        if "chart" in self.clients:
            verdict = await self._call("chart", item, trace, method="classify")
            is_chart = bool(verdict.get("is_chart"))
            if is_chart and float(verdict.get("confidence", 0)) >= CHART_MIN_CONFIDENCE:
                result = await self._call("chart", item, trace)
                observations = observe.from_chart(item.source_id, result)
                if "ocr" in self.clients and float(result.get("confidence") or 0) < 0.3:
                    ocr = await self._call("ocr", item, trace)
                    observations += observe.from_ocr_image(item.source_id, ocr)
                return observations
        if "ocr" not in self.clients:
            raise StageUnavailable("ocr", "not deployed", APIError("no OCR stage"))
        return observe.from_ocr_image(item.source_id, await self._call("ocr", item, trace))
