"""Browsing: URLs in the question → the page's main text and tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployments.actions.browse.protocol import BrowseRequest, PageResult
from serve.context.observations import Observation, render_table
from serve.inputs.record import RequestInputs
from serve.stages.adapter import StageAdapter, StageCall, StageJob, StageOutput

if TYPE_CHECKING:
    from serve.config.schema import AppConfig

PAGE_CONFIDENCE = 0.9  # a rendered page says what it says; extraction is what may miss


def page_observations(source_id: str, result: PageResult | dict[str, Any]) -> list[Observation]:
    """The page's main text as one observation, plus one per table."""
    result = StageAdapter.parse(PageResult, result)
    url = result.final_url or result.url
    title, text = result.title, result.text.strip()
    observations = []
    if text or title:
        body = f"{title}\n{text}".strip() if title and title not in text[:200] else text
        data = {"url": url, "title": title, "status": result.status}
        observations.append(
            Observation(source_id, url, "passage", body, PAGE_CONFIDENCE, "browse", data)
        )
    for index, table in enumerate(result.tables, start=1):
        if table.rows:
            observations.append(
                Observation(
                    source_id,
                    f"{url} table {index}",
                    "table",
                    render_table(table.rows),
                    PAGE_CONFIDENCE,
                    "browse",
                    {"rows": table.rows, "url": url},
                )
            )
    return observations


class BrowseAdapter(StageAdapter):
    name = "browse"

    def jobs(self, inputs: RequestInputs, planned: set[str]) -> list[StageJob]:
        return [
            StageJob(self.name, f"url{index}", url=url)
            for index, url in enumerate(inputs.urls, start=1)
        ]

    async def run(self, job: StageJob, call: StageCall) -> StageOutput:
        raw, record = await call(
            BrowseRequest(url=job.url, render_js=True), source=job.source_id, url=job.url
        )
        result = self.parse(PageResult, raw)
        record.summary.update(status=result.status, chars=len(result.text))
        return StageOutput(page_observations(job.source_id, result))


def build(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.actions.browse.builder import build_browse_deployment

    return build_browse_deployment(config.actions.browse)
