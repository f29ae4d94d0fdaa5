"""The pipeline of one chat request: plan → stages → screen → small stack → escalate.

It knows nothing of HTTP: it reads the parsed :class:`RequestInputs`, fills the request's
:class:`RequestRecord` and yields answer text. Gateway checks it needs mid-way (which tools
this key may use, screening extracted text) come through a :class:`Screen`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

from deployments.common.errors import Overloaded
from deployments.llm.protocol import GenerationChunk
from serve.answer.base import Answer
from serve.api.protocol import ChatCompletionRequest
from serve.config.schema import AppConfig
from serve.context.observations import Observation
from serve.context.tokens import approx_tokens
from serve.inputs.record import RequestInputs
from serve.observability.record import ChoiceRecord, RequestRecord
from serve.pipeline.answering import SmallStackStep
from serve.pipeline.escalation import Escalation
from serve.pipeline.planner import Plan, Planner
from serve.pipeline.programs import ProgramStep
from serve.pipeline.rendering import needs_llm, render
from serve.stages.registry import DEFERRED_STAGES, LLM_STAGE
from serve.stages.runner import StageRunner
from serve.stages.spec import StageKind


class Screen(Protocol):
    """The gateway's say in a running request."""

    def denied(self, stages: list[str]) -> dict[str, str]:
        """``{stage: reason}`` for the stages this request may not run."""
        ...

    async def observations(self, observations: list[Observation]) -> list[Observation]:
        """Extracted text after the input guard (injected instructions may deny tools)."""
        ...


class OpenScreen:
    """No gateway: every stage allowed, observations unchanged."""

    def denied(self, stages: list[str]) -> dict[str, str]:
        return {}

    async def observations(self, observations: list[Observation]) -> list[Observation]:
        return observations


class Pipeline:
    """One instance per router replica; :meth:`plan` then :meth:`answer` per request."""

    def __init__(
        self,
        config: AppConfig,
        runner: StageRunner,
        escalation: Escalation | None,
        small_stack: SmallStackStep | None = None,
        *,
        count_tokens: Callable[[str], int] = approx_tokens,
        programs: ProgramStep | None = None,
    ) -> None:
        self.config = config
        self.runner = runner
        self.escalation = escalation
        self.small_stack = small_stack or SmallStackStep()
        self.count_tokens = count_tokens
        self.programs = programs
        available = runner.available() | ({LLM_STAGE} if escalation is not None else set())
        self.planner = Planner(config.routing, available)

    def plan(
        self, inputs: RequestInputs, record: RequestRecord, screen: Screen | None = None
    ) -> Plan:
        """Plan the request (errors known up front raise here, before any streaming)."""
        screen = screen or OpenScreen()
        with record.stage("plan") as step:
            plan = self.planner.plan(inputs, llm_only=record.llm_only)
            step.summary.update(route=plan.route, stages=plan.stages, skipped=plan.skipped)
        plan.drop(screen.denied(plan.stages))
        record.route, record.plan = plan.route, list(plan.stages)
        record.skipped.update(plan.skipped)
        record.inputs = dict(inputs.part_counts)
        return plan

    async def answer(
        self,
        body: ChatCompletionRequest,
        inputs: RequestInputs,
        record: RequestRecord,
        plan: Plan,
        screen: Screen | None = None,
    ) -> AsyncIterator[GenerationChunk]:
        """Yield the answer's deltas: the small stack's when it is confident, else the LLM's.

        Cheapest first: deferred stages (a library search) run only when the small stack has
        no confident answer from the request's own inputs, or the answer needs the LLM.
        """
        screen = screen or OpenScreen()
        deferred = [] if plan.llm_only else [s for s in plan.stages if s in DEFERRED_STAGES]
        for kind in (StageKind.PERCEPTION, StageKind.ACTION):
            await self._run_stages(
                [s for s in plan.of_kind(kind) if s not in deferred], inputs, record, plan, screen
            )
        if deferred:
            answer = await self.small_stack.answer(body, inputs.question, record, plan)
            if answer is not None and needs_llm(body, answer) is None:
                for stage in deferred:
                    record.skipped[stage] = "answered from the request's own inputs"
                for chunk in self._small_answer(body, answer, record):
                    yield chunk
                return
            await self._run_stages(
                [s for s in deferred if s in plan.stages], inputs, record, plan, screen
            )
        if plan.llm_only:
            record.escalation_reason = "llm_only model requested"
        else:
            answer = await self.small_stack.answer(body, inputs.question, record, plan)
            if answer is None and self.programs is not None:
                answer = await self.programs.answer(inputs, record, plan)
            why = needs_llm(body, answer) if answer is not None else None
            if answer is not None and why is None:
                for chunk in self._small_answer(body, answer, record):
                    yield chunk
                return
            if answer is not None:  # confident, but the request wants the LLM's rendering
                record.escalation_reason = why
                record.observations.append(answer_evidence(answer))
        if not plan.uses_llm or self.escalation is None:
            raise Overloaded(
                "the LLM deployment is not available and the small stack had no confident "
                f"answer ({record.escalation_reason})",
                code="llm_unavailable",
                retry_after=30,
            )
        request = self.escalation.request(body, inputs.question, record, raw=plan.llm_only)
        async for chunk in self.escalation.stream(request, record):
            yield chunk

    async def rehearse(
        self, body: ChatCompletionRequest, inputs: RequestInputs, record: RequestRecord, plan: Plan
    ) -> None:
        """Every planned stage (deferred ones included) and the small stack, never the LLM:
        a replica's warm-up, so each stage has served a first call."""
        screen = OpenScreen()
        for kind in (StageKind.PERCEPTION, StageKind.ACTION):
            await self._run_stages(plan.of_kind(kind), inputs, record, plan, screen)
        await self.small_stack.answer(body, inputs.question, record, plan)

    async def _run_stages(
        self,
        stages: list[str],
        inputs: RequestInputs,
        record: RequestRecord,
        plan: Plan,
        screen: Screen,
    ) -> None:
        if not stages:
            return
        found = await self.runner.run(stages, inputs, record)
        if found:
            record.observations += await screen.observations(found)
        plan.drop(screen.denied(plan.stages))  # an injection may have cost the tools
        record.skipped.update(plan.skipped)

    def _small_answer(
        self, body: ChatCompletionRequest, answer: Answer, record: RequestRecord
    ) -> list[GenerationChunk]:
        """The small stack's answer as ``n`` identical choices, honouring the request."""
        rendered = render(body, answer, self.count_tokens)
        record.answer_usage = (prompt_tokens(body, self.count_tokens), rendered.completion_tokens)
        chunks = []
        for index in range(body.n):
            choice = record.choice(index)
            choice.text.append(rendered.text)
            choice.finish_reason = rendered.finish_reason
            chunks.append(
                GenerationChunk(
                    index=index, text=rendered.text, finish_reason=rendered.finish_reason
                )
            )
        return chunks

    async def regenerate(
        self, body: ChatCompletionRequest, inputs: RequestInputs, record: RequestRecord
    ) -> AsyncIterator[GenerationChunk]:
        """One more LLM generation (the output guard's format retry), same record."""
        assert self.escalation is not None
        record.choices = [ChoiceRecord(0)]
        request = self.escalation.request(body, inputs.question, record, raw=record.llm_only)
        async for chunk in self.escalation.stream(request, record, step="llm_retry"):
            yield chunk


def answer_evidence(answer: Answer) -> Observation:
    """A confident small-stack answer, handed to the LLM as evidence with its sources."""
    sources = ", ".join(answer.sources) or "the request"
    text = f"Answer found by {answer.answerer} (from {sources}): {answer.text}"
    return Observation("small-stack", "", "text", text, answer.confidence, answer.answerer)


def prompt_tokens(body: ChatCompletionRequest, count: Callable[[str], int]) -> int:
    """What the request's messages weigh in the LLM's tokens (usage of small-stack answers)."""
    return sum(count(m.text()) + 4 for m in body.messages)
