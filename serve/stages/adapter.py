"""The adapter interface: one per stage, between the request's inputs and its deployment.

An adapter says which parts of a request its stage works on (:meth:`StageAdapter.jobs`),
builds the typed payload the deployment takes, and turns the deployment's own protocol model
into :class:`~serve.context.observations.Observation`s (:meth:`StageAdapter.run`). The
:class:`~serve.stages.runner.StageRunner` does the rest: deadlines, the retry, degradation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from serve.context.observations import Observation
from serve.inputs.record import MediaInput, RequestInputs
from serve.observability.record import StageRecord

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class StageJob:
    """One call-worth of work for a stage: a media part, a URL, a code block, a question."""

    stage: str
    source_id: str  # the citation it produces: doc1, img2, url1, code1, "" (retrieve)
    media: MediaInput | None = None
    url: str | None = None
    code: str | None = None
    question: str | None = None
    owner: str | None = None  # whose documents a search may see

    @property
    def label(self) -> str:
        """How a degraded job is named in the trace's ``skipped`` (``ocr:doc1``)."""
        return f"{self.stage}:{self.source_id}" if self.source_id else self.stage

    def for_stage(self, stage: str) -> StageJob:
        """The same input handed to another stage (e.g. a non-chart image to OCR)."""
        return dataclasses.replace(self, stage=stage)


@dataclass
class StageOutput:
    """What a job produced; ``then`` hands the same input on to another stage as well."""

    observations: list[Observation] = field(default_factory=list)
    then: str | None = None


class StageCall:
    """Calls the job's deployment under a trace record; adapters only see this."""

    def __init__(
        self,
        call: Callable[[str | None, dict[str, Any], dict[str, Any]], Awaitable[tuple]],
    ) -> None:
        self._call = call

    async def __call__(
        self, payload: BaseModel | dict[str, Any], *, method: str | None = None, **summary: Any
    ) -> tuple[dict[str, Any], StageRecord]:
        """The deployment's result (a dict) and the trace record of the call."""
        body = payload.model_dump(exclude_none=True) if isinstance(payload, BaseModel) else payload
        return await self._call(method, body, summary)


class StageAdapter:
    """Base class of the per-stage adapters (plain classes, unit-testable without Ray)."""

    name: ClassVar[str]

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings  # the stage's deployment settings (limits it enforces)

    def jobs(self, inputs: RequestInputs, planned: set[str]) -> list[StageJob]:
        """The jobs this stage has in a request whose plan runs ``planned``."""
        return []

    async def run(self, job: StageJob, call: StageCall) -> StageOutput:
        raise NotImplementedError

    @staticmethod
    def parse(model: type[Model], result: Any) -> Model:
        """The deployment's result as its protocol model (deployments return plain dicts)."""
        return result if isinstance(result, model) else model.model_validate(result)


def media_jobs(stage: str, inputs: RequestInputs, *kinds: Any) -> list[StageJob]:
    return [StageJob(stage, m.source_id, media=m) for m in inputs.media_of(*kinds)]
