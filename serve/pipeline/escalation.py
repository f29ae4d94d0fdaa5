"""Escalation: the distilled context, fitted to the LLM's budget, then the LLM's stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from deployments.llm.config import LLMSettings, PromptFormat
from deployments.llm.protocol import GenerationChunk, GenerationRequest
from serve.api.protocol import ChatCompletionRequest
from serve.context.distill import distill
from serve.context.prompt import build_prompt
from serve.llm.client import LLMClient
from serve.observability.record import RequestRecord


class Escalation:
    """Builds the LLM request from the record's observations and streams its answer."""

    def __init__(
        self,
        llm: LLMClient,
        settings: LLMSettings,
        *,
        timeout_s: float,
        count_tokens: Callable[[str], int],
    ) -> None:
        self.llm = llm
        self.settings = settings
        self.timeout_s = timeout_s
        self.count_tokens = count_tokens

    def request(
        self, body: ChatCompletionRequest, question: str, record: RequestRecord, *, raw: bool
    ) -> GenerationRequest:
        """The generation request; ``raw`` gives the LLM the stage outputs undistilled."""
        with record.stage("context") as step:
            if raw:  # the llm_only baseline reads the raw stage outputs
                blocks = [o.render() for o in record.observations]
            else:
                distilled = distill(
                    question,
                    record.observations,
                    keep_full_text=record.intent == "generate",
                    count=self.count_tokens,
                    reading=record.reading,
                )
                blocks = distilled.blocks
                step.summary.update(distilled.summary())
            parts = build_prompt(
                body.messages,
                template=self.settings.prompt_format is PromptFormat.TEMPLATE,
                budget_tokens=self.settings.context_tokens,
                context_blocks=blocks,
                count=self.count_tokens,
                default_system=self.settings.system_prompt,
            )
            step.summary.update(
                dropped_messages=parts.dropped_messages,
                observations=len(record.observations),
                dropped_blocks=parts.dropped_blocks,
                truncated_blocks=parts.truncated_blocks,
                prompt_tokens=parts.tokens,
            )
            if parts.question_cut:
                step.summary["question_tokens_cut"] = parts.question_cut
        tool_choice = body.tool_choice
        return GenerationRequest(
            request_id=record.request_id,
            prompt=parts.prompt,
            messages=parts.messages,
            max_tokens=body.token_limit() or self.settings.default_max_tokens,
            logprobs=body.logprobs,
            top_logprobs=body.top_logprobs,
            template_stops=[] if body.response_format or body.wants_tools else parts.stops,
            **body.sampling(),
            response_format=(
                body.response_format.model_dump(exclude_none=True)
                if body.response_format and body.response_format.type != "text"
                else None
            ),
            tools=[t.model_dump(exclude_none=True) for t in body.tools] if body.tools else None,
            tool_choice=(
                tool_choice.model_dump() if hasattr(tool_choice, "model_dump") else tool_choice
            ),
            parallel_tool_calls=body.parallel_tool_calls,
        )

    async def stream(
        self, request: GenerationRequest, record: RequestRecord, *, step: str = "llm"
    ) -> AsyncIterator[GenerationChunk]:
        """The LLM's deltas; text, tokens, finish reasons and timings land in ``record``."""
        record.escalated = True
        record.llm_model = self.settings.model_id
        with record.stage(step, model=self.settings.model_id) as stage:
            first = True
            async for chunk in self.llm.stream(request, timeout_s=self.timeout_s):
                if first and (chunk.text or chunk.tool_calls):
                    stage.summary["first_token_ms"] = round(
                        record.elapsed_ms() - stage.started_ms, 3
                    )
                    first = False
                absorb(chunk, record)
                if chunk.kind == "delta":
                    yield chunk
            stage.summary.update(
                prompt_tokens=record.prompt_tokens, completion_tokens=record.completion_tokens
            )


def absorb(chunk: GenerationChunk, record: RequestRecord) -> None:
    """Fold one chunk into the record (its choice's text, tool calls, logprobs, finish)."""
    if chunk.usage:
        record.prompt_tokens = chunk.usage.get("prompt_tokens", 0)
        record.completion_tokens = chunk.usage.get("completion_tokens", 0)
    if chunk.kind != "delta":
        return
    choice = record.choice(chunk.index)
    if chunk.text:
        choice.text.append(chunk.text)
    if chunk.tool_calls:
        choice.add_tool_calls(chunk.tool_calls)
    if chunk.logprobs:
        choice.logprobs.extend(chunk.logprobs)
    if chunk.finish_reason:
        choice.finish_reason = chunk.finish_reason
