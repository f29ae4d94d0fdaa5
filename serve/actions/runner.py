"""Run the action stages a request needs (browse, execute, retrieve), in parallel."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from serve.actions import observe
from serve.actions.requests import ActionTargets
from serve.context.observations import Observation
from serve.observability.trace import Trace
from serve.stages.client import StageClient, StageUnavailable


@dataclass
class ActionOutcome:
    observations: list[Observation] = field(default_factory=list)
    degraded: dict[str, str] = field(default_factory=dict)


class ActionRunner:
    """Browses the URLs, runs the code, retrieves passages for the question."""

    def __init__(self, clients: dict[str, StageClient], *, retrieve_top_k: int = 5) -> None:
        self.clients = clients
        self.retrieve_top_k = retrieve_top_k

    async def run(
        self, stages: list[str], targets: ActionTargets, question: str, trace: Trace
    ) -> ActionOutcome:
        jobs: list[tuple[str, object]] = []
        if "browse" in stages and "browse" in self.clients:
            for index, url in enumerate(targets.urls, start=1):
                jobs.append((f"browse:url{index}", self._browse(f"url{index}", url, trace)))
        if "execute" in stages and "execute" in self.clients:
            for index, code in enumerate(targets.code, start=1):
                jobs.append((f"execute:code{index}", self._execute(f"code{index}", code, trace)))
        if "retrieve" in stages and "retrieve" in self.clients and question.strip():
            jobs.append(("retrieve", self._retrieve(question, trace)))
        outcome = ActionOutcome()
        if not jobs:
            return outcome
        results = await asyncio.gather(*(job for _, job in jobs), return_exceptions=True)
        for (label, _), result in zip(jobs, results, strict=True):
            if isinstance(result, StageUnavailable):
                outcome.degraded[label] = result.reason
            elif isinstance(result, BaseException):
                raise result
            else:
                outcome.observations.extend(result)
        return outcome

    async def _browse(self, source_id: str, url: str, trace: Trace) -> list[Observation]:
        with trace.stage("browse", source=source_id, url=url) as record:
            result = await self.clients["browse"].call({"url": url, "render_js": True})
            record.summary.update(status=result.get("status"), chars=len(result.get("text") or ""))
        return observe.from_page(source_id, result)

    async def _execute(self, source_id: str, code: str, trace: Trace) -> list[Observation]:
        with trace.stage("execute", source=source_id, code_chars=len(code)) as record:
            result = await self.clients["execute"].call({"code": code})
            record.summary.update(
                exit_code=result.get("exit_code"), limits_hit=result.get("limits_hit")
            )
        return observe.from_execution(source_id, code, result)

    async def _retrieve(self, question: str, trace: Trace) -> list[Observation]:
        with trace.stage("retrieve") as record:
            result = await self.clients["retrieve"].call(
                {"query": question, "top_k": self.retrieve_top_k}
            )
            record.summary["hits"] = len(result.get("hits") or [])
        return observe.from_hits(result)
