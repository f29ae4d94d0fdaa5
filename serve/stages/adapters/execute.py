"""Sandboxed execution: code the question asks to run → its output and exit status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployments.actions.execute.protocol import ExecutionResult
from serve.context.observations import Observation
from serve.inputs.record import RequestInputs
from serve.stages.adapter import StageAdapter, StageCall, StageJob, StageOutput

if TYPE_CHECKING:
    from serve.config.schema import AppConfig


def execution_observations(
    source_id: str, code: str, result: ExecutionResult | dict[str, Any]
) -> list[Observation]:
    """What the sandbox printed, with its exit status and the limits it hit."""
    result = StageAdapter.parse(ExecutionResult, result)
    ok = result.exit_code == 0 and not result.limits_hit
    lines = [f"exit code {result.exit_code}"]
    if result.limits_hit:
        lines.append(f"limits hit: {', '.join(result.limits_hit)}")
    lines.append(f"stdout:\n{result.stdout}" if result.stdout else "stdout: (empty)")
    if result.stderr:
        lines.append(f"stderr:\n{result.stderr[-2000:]}")
    data = {"code": code, **result.model_dump(mode="json")}
    confidence = 1.0 if ok else 0.3
    return [Observation(source_id, "", "execution", "\n".join(lines), confidence, "execute", data)]


class ExecuteAdapter(StageAdapter):
    name = "execute"

    def jobs(self, inputs: RequestInputs, planned: set[str]) -> list[StageJob]:
        return [
            StageJob(self.name, f"code{index}", code=code)
            for index, code in enumerate(inputs.code, start=1)
        ]

    async def run(self, job: StageJob, call: StageCall) -> StageOutput:
        raw, record = await call(
            {"code": job.code}, source=job.source_id, code_chars=len(job.code or "")
        )
        result = self.parse(ExecutionResult, raw)
        record.summary.update(exit_code=result.exit_code, limits_hit=result.limits_hit)
        return StageOutput(execution_observations(job.source_id, job.code or "", result))


def build(config: AppConfig, bound: dict[str, Any]) -> Any:
    from deployments.actions.execute.builder import build_execute_deployment

    return build_execute_deployment(config.actions.execute)
