"""Run the planned stages' jobs in parallel: deadline and retry per call, degrade on failure."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from deployments.common.errors import Overloaded, UpstreamError
from serve.context.observations import Observation
from serve.inputs.record import RequestInputs
from serve.observability.record import STAGE_DEGRADED, STAGE_TIMEOUT, RequestRecord
from serve.stages.adapter import StageAdapter, StageCall, StageJob
from serve.stages.client import StageClient, StageUnavailable
from serve.stages.registry import SPECS


class StageRunner:
    """Owns one adapter and one client per deployed pipeline stage."""

    def __init__(self, clients: dict[str, StageClient], config: Any = None) -> None:
        self.clients = dict(clients)
        self.adapters: dict[str, StageAdapter] = {
            name: SPECS[name].adapter(SPECS[name].settings(config) if config else None)
            for name in self.clients
            if name in SPECS and SPECS[name].adapter is not None
        }

    def available(self) -> set[str]:
        return set(self.adapters)

    async def run(
        self, stages: Iterable[str], inputs: RequestInputs, record: RequestRecord
    ) -> list[Observation]:
        """Observations of every job of ``stages``; failed jobs are noted in ``record.skipped``.

        A client error (4xx: bad input) is raised for the whole request. A media part no stage
        could read makes the request a retryable 503 (the answer would ignore the document);
        a failed action (a page, a run, a search) is answered around and named in the answer's
        metadata (``interfaze.degraded``).
        """
        planned = [s for s in stages if s in self.adapters]
        jobs = [job for name in planned for job in self.adapters[name].jobs(inputs, set(planned))]
        if not jobs:
            return []
        results = await asyncio.gather(
            *(self._job(job, record) for job in jobs), return_exceptions=True
        )
        observations: list[Observation] = []
        unread: list[str] = []
        for job, result in zip(jobs, results, strict=True):
            if isinstance(result, StageUnavailable):
                label = (
                    job.label if job.stage == result.stage else f"{result.stage}:{job.source_id}"
                )
                record.degrade(label, result.reason)
                if job.media is not None:
                    unread.append(f"{job.source_id} ({result.stage} {result.reason})")
            elif isinstance(result, BaseException):
                raise result
            else:
                observations.extend(result)
        if unread:  # answering without the document would be answering something else
            raise Overloaded(
                f"could not read {', '.join(unread)}; retry shortly",
                code="stage_unavailable",
                retry_after=5,
            )
        return observations

    async def _job(self, job: StageJob, record: RequestRecord) -> list[Observation]:
        output = await self.adapters[job.stage].run(job, self._call(job, record))
        observations = list(output.observations)
        if output.then is None:
            return observations
        follow = job.for_stage(output.then)
        try:
            if output.then not in self.adapters:
                raise StageUnavailable(
                    output.then, "not deployed", UpstreamError(f"no {output.then} stage")
                )
            observations += await self._job(follow, record)
        except StageUnavailable as exc:
            if not observations:
                raise
            record.degrade(follow.label, exc.reason)  # keep what the first stage found
        return observations

    def _call(self, job: StageJob, record: RequestRecord) -> StageCall:
        client = self.clients[job.stage]

        async def call(
            method: str | None, payload: dict[str, Any], summary: dict[str, Any]
        ) -> tuple[Any, Any]:
            with record.stage(job.stage, **summary) as stage_record:
                try:
                    result = await client.call(payload, method=method)
                except StageUnavailable as exc:
                    stage_record.status = STAGE_TIMEOUT if exc.timed_out else STAGE_DEGRADED
                    stage_record.summary["reason"] = exc.reason
                    raise
            return result, stage_record

        return StageCall(call)
