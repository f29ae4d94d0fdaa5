"""Chart parsing: images classified as charts → a value table; other images go on to OCR."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployments.common.media import MediaRequest
from deployments.perception.chart.protocol import ChartReading, ChartResult
from serve.context.observations import Observation, render_table
from serve.inputs.record import RequestInputs
from serve.stages.adapter import StageAdapter, StageCall, StageJob, StageOutput, media_jobs
from serve.stages.spec import InputKind

if TYPE_CHECKING:
    from serve.config.schema import AppConfig

CHART_MIN_CONFIDENCE = 0.5  # the classifier's verdict needed to parse an image as a chart
OCR_TOO_BELOW = 0.3  # a parse this unsure is backed by OCR of the same image


def chart_observations(source_id: str, result: ChartResult | dict[str, Any]) -> list[Observation]:
    """One chart observation: title, value axis and the value table."""
    result = StageAdapter.parse(ChartResult, result)
    lines = []
    if result.title:
        lines.append(f"Title: {result.title}")
    axis = result.y_axis
    if axis.min is not None or axis.max is not None or axis.unit or axis.label:
        unit = f" {axis.unit}" if axis.unit else ""
        lines.append(f"Y axis: {axis.label} {axis.min}..{axis.max}{unit}")
    if result.table:
        lines.append(render_table(result.table))
    text = "\n".join(line.strip() for line in lines if line.strip())
    data = result.model_dump(mode="json")
    return [Observation(source_id, "", "chart", text, result.confidence, "chart", data)]


class ChartAdapter(StageAdapter):
    name = "chart"

    def jobs(self, inputs: RequestInputs, planned: set[str]) -> list[StageJob]:
        return media_jobs(self.name, inputs, InputKind.IMAGE)

    async def run(self, job: StageJob, call: StageCall) -> StageOutput:
        media = job.media
        payload = MediaRequest(data=media.data, mime=media.mime, filename=media.filename)
        body = {**payload.model_dump(exclude_none=True), "min_confidence": CHART_MIN_CONFIDENCE}
        # one call per image: the deployment classifies and, for a chart, parses
        raw, record = await call(body, method="read", source=job.source_id, bytes=media.size)
        reading = self.parse(ChartReading, raw)
        record.summary["chart_confidence"] = reading.verdict.confidence
        result = reading.result
        if result is None or not reading.verdict.is_chart:
            record.summary["confidence"] = reading.verdict.confidence
            return StageOutput(then="ocr")  # a scan or a photo, not a chart
        record.summary["confidence"] = result.confidence
        then = "ocr" if result.confidence < OCR_TOO_BELOW else None
        return StageOutput(chart_observations(job.source_id, result), then=then)


def build(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.perception.chart.builder import build_chart_deployment

    return build_chart_deployment(config.perception.chart)
