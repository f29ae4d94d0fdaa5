"""Questions that need a program: written, run in the ``execute`` sandbox, cross-checked.

Runs after the small stack found no confident answer, for text questions whose plan may use
the sandbox (a key or an injection that lost ``execute`` loses this too). The solver's writers
(the grammar writer; the LLM where configured) and its two-sample agreement check live in
:mod:`serve.answer.programs`; each sandbox run shows in the trace as an ``execute`` stage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from serve.answer.base import Answer
from serve.answer.programs import build_program_solver
from serve.inputs.record import RequestInputs
from serve.observability.record import RequestRecord
from serve.pipeline.planner import Plan
from serve.stages.client import StageClient, StageUnavailable

EXECUTE = "execute"
Generate = Callable[[list[dict[str, str]], float, int], Awaitable[str]]


class ProgramStep:
    """Tries the program solver for one request; the sandbox is the ``execute`` deployment."""

    def __init__(self, execute: StageClient, generate: Generate | None = None) -> None:
        self.execute = execute
        self.generate = generate

    def applies(self, inputs: RequestInputs, plan: Plan) -> bool:
        return (
            EXECUTE in plan.stages
            and bool(inputs.question.strip())
            and not inputs.media
            and not inputs.urls
            and not inputs.code
        )

    async def answer(
        self, inputs: RequestInputs, record: RequestRecord, plan: Plan
    ) -> Answer | None:
        """The agreed answer, or None (the reason is added to ``record.escalation_reason``)."""
        if not self.applies(inputs, plan):
            return None

        async def run_program(code: str) -> dict[str, Any]:
            with record.stage(EXECUTE, source="program", code_chars=len(code)) as step:
                try:
                    result = await self.execute.call({"code": code})
                except StageUnavailable as exc:
                    step.summary["reason"] = exc.reason
                    raise RuntimeError(exc.reason) from None
                step.summary.update(exit_code=result.get("exit_code"))
                return result

        solver = build_program_solver(run_program, self.generate)
        with record.stage("program") as step:
            solution = await solver.solve(inputs.question)
            step.summary.update(
                reason=solution.reason,
                attempts=[
                    {"writer": a.writer, "values": a.values, "reason": a.reason}
                    for a in solution.attempts
                ],
            )
        answer = solution.answer
        if answer is None or answer.confidence < plan.escalation_threshold:
            record.escalation_reason = f"{record.escalation_reason}; program: {solution.reason}"
            return None
        record.answerer, record.sources = answer.answerer, list(answer.sources)
        record.confidence = round(answer.confidence, 4)
        record.observations.append(program_observation(answer))
        return answer


def program_observation(answer: Answer) -> Any:
    """The program that computed the answer, as evidence (the playground shows it)."""
    from serve.context.observations import Observation

    code = answer.data.get("code", "")
    text = f"program ({answer.data.get('writer')}):\n{code}\nprinted: {answer.text}"
    data = {
        "code": code,
        "stdout": answer.text,
        "exit_code": 0,
        "writer": answer.data.get("writer"),
    }
    return Observation("program", "", "execution", text, answer.confidence, "execute", data)
