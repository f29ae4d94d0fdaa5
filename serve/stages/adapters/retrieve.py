"""Retrieval: the question → the closest indexed passages, each citing its document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployments.actions.retrieve.protocol import SearchPayload, SearchResult
from deployments.actions.retrieve.schema import LEGACY_OWNER
from serve.context.observations import Observation
from serve.inputs.record import RequestInputs
from serve.stages.adapter import StageAdapter, StageCall, StageJob, StageOutput

if TYPE_CHECKING:
    from serve.config.schema import AppConfig

TOP_K = 5
DEFAULT_MAX_QUERY = 4000


def passage_observations(result: SearchResult | dict[str, Any]) -> list[Observation]:
    """Retrieved chunks, each citing its source document, page and character offsets."""
    result = StageAdapter.parse(SearchResult, result)
    observations = []
    for index, hit in enumerate(result.hits, start=1):
        locator = f"p.{hit.page}" if hit.page else ""
        locator = f"{locator} chars {hit.start}-{hit.end}".strip()
        # Cosine similarity is not a probability: 0.5+ is already a close match.
        confidence = max(0.0, min(1.0, 0.4 + 0.6 * hit.score))
        observations.append(
            Observation(
                hit.source or f"kb{index}",
                locator,
                "passage",
                hit.text,
                confidence,
                "retrieve",
                hit.model_dump(mode="json"),
            )
        )
    return observations


def search_query(question: str, max_chars: int) -> str:
    """The question as a search query within the store's limit.

    A long message (a pasted document with an instruction) keeps its beginning and its end,
    where instructions are, rather than failing the whole request with a 413.
    """
    question = question.strip()
    if len(question) <= max_chars:
        return question
    half = (max_chars - 3) // 2
    return f"{question[:half]} … {question[-half:]}"


class RetrieveAdapter(StageAdapter):
    name = "retrieve"

    def jobs(self, inputs: RequestInputs, planned: set[str]) -> list[StageJob]:
        if not inputs.question.strip():
            return []
        max_chars = self.settings.max_query_chars if self.settings else DEFAULT_MAX_QUERY
        owner = inputs.owner or LEGACY_OWNER
        return [
            StageJob(self.name, "", question=search_query(inputs.question, max_chars), owner=owner)
        ]

    async def run(self, job: StageJob, call: StageCall) -> StageOutput:
        raw, record = await call(
            SearchPayload(query=job.question, top_k=TOP_K, filters={"owner": job.owner})
        )
        result = self.parse(SearchResult, raw)
        record.summary["hits"] = len(result.hits)
        return StageOutput(passage_observations(result))


def build(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.actions.retrieve.builder import build_retrieve_deployment

    return build_retrieve_deployment(config.actions.retrieve, config.data_path(), bound["embed"])
