"""OCR: PDFs (text layer or OCR) and images that are not charts → page and table observations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployments.common.media import MediaRequest
from deployments.perception.ocr.protocol import OcrResult
from serve.context.observations import Observation, render_table
from serve.inputs.record import RequestInputs
from serve.stages.adapter import StageAdapter, StageCall, StageJob, StageOutput, media_jobs
from serve.stages.spec import InputKind

if TYPE_CHECKING:
    from serve.config.schema import AppConfig


def ocr_observations(
    source_id: str, result: OcrResult | dict[str, Any], *, image: bool = False
) -> list[Observation]:
    """One page observation per page and one table observation per table.

    A single image reads like a one-page document whose locators drop the page number.
    """
    result = StageAdapter.parse(OcrResult, result)
    observations: list[Observation] = []
    for page in result.pages:
        where = "" if image else f"p.{page.number}"
        text = (page.text or "\n".join(b.text for b in page.blocks if b.text)).strip()
        if text:
            data = {
                "page": page.number,
                "source": page.source,
                "width": page.width,
                "height": page.height,
                "unit": page.unit,
                "blocks": [b.model_dump(exclude_none=True, exclude={"words"}) for b in page.blocks],
            }
            observations.append(
                Observation(source_id, where, "page", text, page.confidence, "ocr", data)
            )
        for index, table in enumerate(page.tables, start=1):
            if table.rows:
                locator = f"table {index} {where}".strip()
                observations.append(
                    Observation(
                        source_id,
                        locator,
                        "table",
                        render_table(table.rows),
                        page.confidence,
                        "ocr",
                        {"page": page.number, "rows": table.rows},
                    )
                )
    return observations


class OcrAdapter(StageAdapter):
    name = "ocr"

    def jobs(self, inputs: RequestInputs, planned: set[str]) -> list[StageJob]:
        kinds = [InputKind.PDF] if "chart" in planned else [InputKind.PDF, InputKind.IMAGE]
        return media_jobs(self.name, inputs, *kinds)

    async def run(self, job: StageJob, call: StageCall) -> StageOutput:
        media = job.media
        payload = MediaRequest(data=media.data, mime=media.mime, filename=media.filename)
        raw, record = await call(payload, source=job.source_id, bytes=media.size)
        result = self.parse(OcrResult, raw)
        record.summary["confidence"] = result.confidence
        image = media.kind is InputKind.IMAGE
        return StageOutput(ocr_observations(job.source_id, result, image=image))


def build(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.perception.ocr.builder import build_ocr_deployment

    return build_ocr_deployment(config.perception.ocr)
