"""The chat completion service: plan → stages → answer or escalate → respond.

A plain class (no Ray, no HTTP) so it can be unit-tested with fake stage clients; the ingress
deployment wires it to DeploymentHandles and FastAPI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from deployments.common.errors import InputRejected
from deployments.llm.protocol import GenerationChunk, GenerationRequest
from serve.actions.requests import find_targets
from serve.actions.runner import ActionRunner
from serve.answer.controller import SmallStack
from serve.answer.intent import Intent
from serve.api.errors import APIError, BadRequest, NotFound, Overloaded, PayloadTooLarge
from serve.api.protocol import (
    AssistantMessage,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatCompletionResponse,
    Choice,
    Delta,
    InterfazeMeta,
    InterfazeUsage,
    ModelCard,
    ModelList,
    StreamChoice,
    Usage,
)
from serve.config.schema import STAGE_KINDS, AppConfig, PromptFormat, StageKind
from serve.context.distill import distill
from serve.context.observations import Observation
from serve.context.prompt import build_prompt
from serve.context.tokens import counter_for
from serve.gateway.context import RequestContext
from serve.gateway.gateway import Gateway
from serve.gateway.integration import filter_stages
from serve.gateway.pricing import CostEstimator
from serve.llm.client import LLMClient
from serve.observability.metrics import RouterMetrics
from serve.observability.trace import SharedTraceStore, Trace, TraceStore
from serve.perception.media import collect_media
from serve.perception.runner import PerceptionRunner
from serve.planner.planner import Plan, Planner
from serve.stages.client import StageClient, rejection_to_api_error


@dataclass
class Outcome:
    """What the answer stage produced, filled in while chunks stream."""

    text: list[str] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    answerer: str | None = None
    sources: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    intent: Intent | None = None  # set by the small stack; None: raw context (llm_only)


logger = logging.getLogger(__name__)


def local_model_dir(config: AppConfig) -> str | None:
    """The LLM's local folder (for its tokenizer), when the model is a packaged one."""
    from deployments.llm.local_model import is_local_source, is_prepared, local_model_dir

    source = config.llm.model_source
    if is_local_source(source):
        folder = local_model_dir(source, config.data_path())
        return str(folder) if is_prepared(folder) else None
    return source if Path(source).is_dir() else None


def last_user_text(messages: list) -> str:
    """The text of the last user message: the question the small stack answers."""
    for message in reversed(messages):
        if message.role == "user" and message.text().strip():
            return message.text()
    return ""


class ChatService:
    """Serves ``/v1/chat/completions`` for the whole small-models-first pipeline."""

    def __init__(
        self,
        config: AppConfig,
        llm: LLMClient | None,
        *,
        stages: dict[str, StageClient] | None = None,
        metrics: RouterMetrics | None = None,
        traces: TraceStore | SharedTraceStore | None = None,
        gateway: Gateway | None = None,
    ) -> None:
        self.config = config
        self.llm = llm
        self.stages = dict(stages or {})
        self.gateway = gateway
        self.metrics = metrics or RouterMetrics()
        self.traces = traces or TraceStore(config.router.trace_retention, config.router.trace_ttl_s)
        perception = {
            n: c for n, c in self.stages.items() if STAGE_KINDS.get(n) is StageKind.PERCEPTION
        }
        self.perception = PerceptionRunner(perception)
        actions = {n: c for n, c in self.stages.items() if STAGE_KINDS.get(n) is StageKind.ACTION}
        self.actions = ActionRunner(actions)
        available = set(self.stages) | ({"llm"} if llm is not None else set())
        self.planner = Planner(config.routing, available)
        self.small_stack = SmallStack()
        self._start_intent_classifier()
        self.count_tokens = counter_for(local_model_dir(config))

    def _start_intent_classifier(self) -> None:
        """Build the embedding intent classifier in the background (rules serve meanwhile).

        It shares the gateway's MiniLM embedder when there is one.
        """
        import threading

        def build() -> None:
            try:
                from serve.answer.intent import IntentEmbedder

                guard = self.gateway.hook("input_guard") if self.gateway else None
                encoder = getattr(getattr(guard, "detector", None), "embedder", None)
                if encoder is None:
                    from serve.gateway.injection import MiniLMEmbedder

                    encoder = MiniLMEmbedder()
                self.small_stack.intent_embedder = IntentEmbedder(encoder)
            except Exception:  # the rules still classify; never take the router down
                logger.exception("intent classifier unavailable; using rules only")

        if self.config.router.intent_embeddings:
            threading.Thread(target=build, name="intent-classifier", daemon=True).start()

    # ----------------------------------------------------------------- models
    def list_models(self) -> ModelList:
        cards = [
            ModelCard(
                id=self.config.model_name,
                description="Small models first: perception + tools, the LLM only when needed.",
            )
        ]
        if self.llm is not None:
            cards.append(
                ModelCard(
                    id=self.config.llm.model_id,
                    description="The final LLM alone (no small-model stack): a baseline.",
                )
            )
        return ModelList(data=cards)

    def _resolve_model(self, model: str) -> bool:
        """True when ``model`` asks for the bare LLM; raises 404 for unknown names."""
        if model == self.config.model_name:
            return False
        if self.llm is not None and model == self.config.llm.model_id:
            return True
        known = [card.id for card in self.list_models().data]
        raise NotFound(
            f"model {model!r} does not exist; available: {known}",
            code="model_not_found",
            param="model",
        )

    def _check_limits(self, body: ChatCompletionRequest) -> None:
        limits = self.config.router
        if len(body.messages) > limits.max_messages:
            raise PayloadTooLarge(
                f"{len(body.messages)} messages exceed the limit of {limits.max_messages}",
                code="too_many_messages",
                param="messages",
            )
        parts = sum(len(m.content) for m in body.messages if isinstance(m.content, list))
        if parts > limits.max_content_parts:
            raise PayloadTooLarge(
                f"{parts} content parts exceed the limit of {limits.max_content_parts}",
                code="too_many_content_parts",
                param="messages",
            )
        if not any(m.role == "user" and m.content for m in body.messages):
            raise BadRequest("messages must include a user message with content", param="messages")

    # --------------------------------------------------------------- pipeline
    def _start(
        self, body: ChatCompletionRequest, request_id: str, ctx: RequestContext | None = None
    ) -> tuple[Trace, Plan]:
        trace = Trace(trace_id=request_id, model=body.model)
        llm_only = self._resolve_model(body.model)
        self._check_limits(body)
        with trace.stage("plan") as record:
            plan = self.planner.plan(body.messages, llm_only=llm_only)
            record.summary.update(route=plan.route, stages=plan.stages, skipped=plan.skipped)
        plan.stages, denied = filter_stages(ctx, plan.stages)  # per-key tools, input guard
        plan.skipped.update(denied)
        trace.route, trace.plan, trace.skipped = plan.route, plan.stages, plan.skipped
        trace.inputs = plan.inventory.part_counts
        return trace, plan

    async def _perceive(self, body: ChatCompletionRequest, trace: Trace, plan: Plan) -> list:
        """Decode the media parts and run the perception stages the plan names."""
        if not any(STAGE_KINDS[s] is StageKind.PERCEPTION for s in plan.stages):
            return []
        try:
            items = collect_media(body.messages, max_bytes=self.config.router.max_media_bytes)
        except InputRejected as exc:
            raise rejection_to_api_error(exc) from None
        if not items:
            return []
        result = await self.perception.run(items, trace)
        trace.skipped.update(result.degraded)
        return result.observations

    async def _act(self, body: ChatCompletionRequest, trace: Trace, plan: Plan) -> list:
        """Browse the URLs, run the code and retrieve passages the plan calls for."""
        if not any(STAGE_KINDS[s] is StageKind.ACTION for s in plan.stages):
            return []
        targets = find_targets(body.messages)
        result = await self.actions.run(plan.stages, targets, last_user_text(body.messages), trace)
        trace.skipped.update(result.degraded)
        return result.observations

    async def _screen(self, observations: list, trace: Trace, plan: Plan, ctx) -> list:
        """Extracted text goes through the input guard: injected instructions lose tools."""
        if ctx is None or self.gateway is None or not observations:
            return observations
        screen = await self.gateway.on_observations(ctx, observations)
        plan.stages, denied = filter_stages(ctx, plan.stages)
        trace.skipped.update(denied)
        return screen.observations

    async def _answer(
        self,
        body: ChatCompletionRequest,
        trace: Trace,
        plan: Plan,
        outcome: Outcome,
        ctx: RequestContext | None = None,
    ) -> AsyncIterator[str]:
        """Yield answer text; escalates to the LLM when the small stack is not confident."""
        perceived = await self._perceive(body, trace, plan)
        outcome.observations = await self._screen(perceived, trace, plan, ctx)
        acted = await self._act(body, trace, plan)
        outcome.observations += await self._screen(acted, trace, plan, ctx)
        if not plan.llm_only:
            answer = await self._small_stack(body, trace, plan, outcome)
            if answer is not None:
                outcome.text.append(answer)
                outcome.finish_reason = "stop"
                yield answer
                return
        else:
            trace.escalation_reason = "llm_only model requested"
        if not plan.uses_llm or self.llm is None:
            raise Overloaded(
                "the LLM deployment is not available and the small stack had no confident "
                f"answer ({trace.escalation_reason})",
                code="llm_unavailable",
                retry_after=30,
            )
        trace.escalated = True
        async for text in self._generate(body, trace, outcome):
            yield text

    async def _generate(
        self, body: ChatCompletionRequest, trace: Trace, outcome: Outcome, stage: str = "llm"
    ) -> AsyncIterator[str]:
        """The LLM's answer from the distilled context (``stage`` names it in the trace)."""
        llm_settings = self.config.llm
        with trace.stage("context") as record:
            if outcome.intent is None:  # the llm_only baseline reads the raw stage outputs
                blocks = [o.render() for o in outcome.observations]
            else:
                distilled = distill(
                    last_user_text(body.messages),
                    outcome.observations,
                    keep_full_text=outcome.intent is Intent.GENERATE,
                    count=self.count_tokens,
                )
                blocks = distilled.blocks
                record.summary.update(distilled.summary())
            parts = build_prompt(
                body.messages,
                template=llm_settings.prompt_format is PromptFormat.TEMPLATE,
                budget_tokens=llm_settings.context_tokens,
                context_blocks=blocks,
                count=self.count_tokens,
            )
            record.summary.update(
                dropped_messages=parts.dropped_messages,
                observations=len(outcome.observations),
                dropped_blocks=parts.dropped_blocks,
                truncated_blocks=parts.truncated_blocks,
                prompt_tokens=parts.tokens,
            )
        request = GenerationRequest(
            request_id=trace.trace_id,
            prompt=parts.prompt,
            messages=parts.messages,
            max_tokens=body.token_limit() or llm_settings.default_max_tokens,
            temperature=body.temperature,
            top_p=body.top_p,
            top_k=body.top_k,
            stop=body.stop_list() + ([] if body.response_format else parts.stops),
            seed=body.seed,
            response_format=(
                body.response_format.model_dump(exclude_none=True)
                if body.response_format and body.response_format.type != "text"
                else None
            ),
        )
        timeout_s = self.config.routing.timeouts.for_stage("llm")
        with trace.stage(stage, model=llm_settings.model_id) as record:
            first = True
            async for chunk in self.llm.stream(request, timeout_s=timeout_s):
                if first and chunk.text:
                    record.summary["first_token_ms"] = round(
                        trace.elapsed_ms() - record.started_ms, 3
                    )
                    first = False
                self._absorb(chunk, outcome)
                if chunk.text:
                    yield chunk.text
            record.summary.update(
                prompt_tokens=outcome.prompt_tokens, completion_tokens=outcome.completion_tokens
            )

    async def _small_stack(
        self, body: ChatCompletionRequest, trace: Trace, plan: Plan, outcome: Outcome
    ) -> str | None:
        """The small stack's answer text when it is confident enough, else None."""
        question = last_user_text(body.messages)
        with trace.stage("answer") as record:
            if self.small_stack.needs_embedder(question, outcome.observations):  # MiniLM
                decision = await asyncio.to_thread(
                    self.small_stack.decide, question, outcome.observations
                )
            else:
                decision = self.small_stack.decide(question, outcome.observations)
            outcome.intent = decision.intent
            trace.confidence = round(decision.confidence, 4)
            record.summary.update(
                intent=decision.intent.value,
                reason=decision.reason,
                candidates=[
                    {"answerer": a.answerer, "confidence": a.confidence, "text": a.text[:80]}
                    for a in decision.candidates
                ],
            )
        answer = decision.answer
        if answer is None:
            trace.escalation_reason = decision.reason
            return None
        if answer.confidence < plan.escalation_threshold:
            trace.escalation_reason = (
                f"{answer.answerer} confidence {answer.confidence:.2f} is below the "
                f"{plan.route} threshold {plan.escalation_threshold:.2f}"
            )
            return None
        if body.response_format and body.response_format.type == "json_schema":
            trace.escalation_reason = "json_schema output needs the LLM's structured decoding"
            return None
        outcome.answerer, outcome.sources = answer.answerer, answer.sources
        if body.response_format and body.response_format.type == "json_object":
            return json.dumps({"answer": answer.text, "sources": answer.sources})
        return answer.text

    @staticmethod
    def _absorb(chunk: GenerationChunk, outcome: Outcome) -> None:
        if chunk.text:
            outcome.text.append(chunk.text)
        if chunk.finish_reason:
            outcome.finish_reason = chunk.finish_reason
        if chunk.usage:
            outcome.prompt_tokens = chunk.usage.get("prompt_tokens", 0)
            outcome.completion_tokens = chunk.usage.get("completion_tokens", 0)

    def _meta(self, trace: Trace, outcome: Outcome) -> InterfazeMeta:
        return InterfazeMeta(
            escalated=trace.escalated,
            route=[s.name for s in trace.stages],
            confidence=trace.confidence,
            trace_id=trace.trace_id,
            usage=InterfazeUsage(
                llm_prompt_tokens=outcome.prompt_tokens,
                llm_completion_tokens=outcome.completion_tokens,
            ),
            timings_ms=trace.timings_ms(),
            answerer=outcome.answerer,
            sources=outcome.sources or sorted({o.citation for o in outcome.observations}),
        )

    async def _finish(
        self,
        trace: Trace,
        outcome: Outcome,
        status: int,
        error: str | None,
        ctx: RequestContext | None = None,
    ) -> None:
        trace.status, trace.error = status, error
        if ctx is not None and self.gateway is not None:
            await self.gateway.on_complete(
                ctx,
                status=status,
                trace=trace,
                error=error,
                prompt_tokens=outcome.prompt_tokens,
                completion_tokens=outcome.completion_tokens,
            )
        self.traces.put(trace)
        self.metrics.record_request(
            route=trace.route or "unplanned",
            model=trace.model,
            status=status,
            latency_ms=trace.elapsed_ms(),
            escalated=trace.escalated,
            stage_ms={s.name: s.duration_ms for s in trace.stages},
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            cost_usd=self._cost(trace, outcome),
            answerer=outcome.answerer,
        )

    def _cost(self, trace: Trace, outcome: Outcome) -> float:
        """Estimated cost: LLM tokens at the gateway's prices plus a flat cost per stage."""
        estimator = CostEstimator(self.config.gateway.limits)
        stages = [s.name for s in trace.stages if s.name not in ("plan", "answer", "context")]
        return estimator.llm_cost(
            self.config.llm.model_id if trace.escalated else None,
            outcome.prompt_tokens,
            outcome.completion_tokens,
        ) + estimator.stage_cost(stages)

    @staticmethod
    def _usage(outcome: Outcome) -> Usage:
        return Usage(
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            total_tokens=outcome.prompt_tokens + outcome.completion_tokens,
        )

    async def get_trace(self, trace_id: str) -> dict:
        trace = await self.traces.aget(trace_id)
        if trace is None:
            raise NotFound(
                f"trace {trace_id!r} not found (expired, evicted, or never recorded)",
                code="trace_not_found",
            )
        return trace

    # ------------------------------------------------------------ entrypoints
    async def complete(
        self, body: ChatCompletionRequest, request_id: str, ctx: RequestContext | None = None
    ) -> ChatCompletionResponse:
        """Non-streaming chat completion."""
        outcome = Outcome()
        trace: Trace | None = None
        try:
            trace, plan = self._start(body, request_id, ctx)
            async for _ in self._answer(body, trace, plan, outcome, ctx):
                pass
            text = "".join(outcome.text)
            if ctx is not None and self.gateway is not None:
                if trace.escalated and self.gateway.needs_retry(ctx, text):
                    outcome.text.clear()  # one more generation under the same deadline
                    async for _ in self._generate(body, trace, outcome, "llm_retry"):
                        pass
                    text = "".join(outcome.text)
                text = await self.gateway.on_response(ctx, text)
        except APIError as exc:
            if trace is not None:
                await self._finish(trace, outcome, exc.status, exc.message, ctx)
            raise
        response = ChatCompletionResponse(
            id=f"chatcmpl-{request_id}",
            model=body.model,
            choices=[
                Choice(
                    message=AssistantMessage(content=text),
                    finish_reason=outcome.finish_reason or "stop",
                )
            ],
            usage=self._usage(outcome),
            interfaze=self._meta(trace, outcome),
        )
        await self._finish(trace, outcome, 200, None, ctx)
        return response

    async def stream(
        self, body: ChatCompletionRequest, request_id: str, ctx: RequestContext | None = None
    ) -> AsyncIterator[str]:
        """Streaming chat completion as SSE lines.

        Planning and the first answer chunk happen before this returns, so errors known up
        front still get their HTTP status; later errors become an SSE error event.
        """
        outcome = Outcome()
        trace, plan = self._start(body, request_id, ctx)
        pieces = self._answer(body, trace, plan, outcome, ctx)
        try:
            first = await anext(pieces, None)
        except APIError as exc:
            await self._finish(trace, outcome, exc.status, exc.message, ctx)
            raise
        return self._sse(body, request_id, trace, outcome, first, pieces, ctx)

    async def _sse(
        self,
        body: ChatCompletionRequest,
        request_id: str,
        trace: Trace,
        outcome: Outcome,
        first: str | None,
        pieces: AsyncIterator[str],
        ctx: RequestContext | None,
    ) -> AsyncIterator[str]:
        chunk_id = f"chatcmpl-{request_id}"
        created = int(time.time())
        redactor = self.gateway.stream_redactor(ctx) if ctx is not None and self.gateway else None

        def event(choices: list[StreamChoice], **extra) -> str:
            chunk = ChatCompletionChunk(
                id=chunk_id, created=created, model=body.model, choices=choices, **extra
            )
            return f"data: {chunk.model_dump_json(exclude_none=True)}\n\n"

        def delta(text: str) -> str | None:
            safe = redactor.feed(text) if redactor else text
            return event([StreamChoice(delta=Delta(content=safe))]) if safe else None

        status, error = 200, None
        try:
            yield event([StreamChoice(delta=Delta(role="assistant", content=""))])
            if first is not None and (chunk := delta(first)):
                yield chunk
            async for text in pieces:
                if chunk := delta(text):
                    yield chunk
            if redactor and (rest := redactor.flush()):
                yield event([StreamChoice(delta=Delta(content=rest))])
            yield event(
                [StreamChoice(delta=Delta(), finish_reason=outcome.finish_reason or "stop")],
                interfaze=self._meta(trace, outcome),
            )
            if body.stream_options and body.stream_options.include_usage:
                yield event([], usage=self._usage(outcome))
        except APIError as exc:
            status, error = exc.status, exc.message
            yield f"data: {json.dumps(exc.body().model_dump())}\n\n"
        except BaseException as exc:  # client disconnect (cancellation) or a bug
            status, error = 499, type(exc).__name__
            raise
        finally:
            await pieces.aclose()
            await self._finish(trace, outcome, status, error, ctx)
        yield "data: [DONE]\n\n"
