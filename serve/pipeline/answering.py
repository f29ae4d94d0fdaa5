"""The small stack's turn: answer from the observations, or say why the LLM is needed."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from deployments.common.threads import lower_this_thread_priority
from serve.answer.base import Answer
from serve.answer.controller import SmallStack
from serve.api.protocol import ChatCompletionRequest
from serve.observability.record import RequestRecord
from serve.pipeline.planner import Plan

logger = logging.getLogger(__name__)

# An unsure answer above this (and of the asked-for type) goes to the LLM as a lead to check.
READING_FLOOR = 0.3


class SmallStackStep:
    """Runs :class:`SmallStack` (in a worker thread when it may embed) under the trace."""

    def __init__(self, small_stack: SmallStack | None = None) -> None:
        self.small_stack = small_stack or SmallStack()

    def start_intent_classifier(self, encoder: Callable[[], Any]) -> threading.Thread:
        """Build the embedding intent classifier in the background (rules serve meanwhile).

        ``encoder`` returns the sentence encoder to share (the gateway's MiniLM, say).
        """

        def build() -> None:
            lower_this_thread_priority()  # a warm-up: the LLM engine's start comes first
            try:
                from serve.answer.intent import IntentEmbedder

                self.small_stack.intent_embedder = IntentEmbedder(encoder())
            except Exception:  # the rules still classify; never take the router down
                logger.exception("intent classifier unavailable; using rules only")

        thread = threading.Thread(target=build, name="intent-classifier", daemon=True)
        thread.start()
        return thread

    async def answer(
        self, body: ChatCompletionRequest, question: str, record: RequestRecord, plan: Plan
    ) -> Answer | None:
        """The confident answer, or None with ``record.escalation_reason`` set."""
        stack = self.small_stack
        with record.stage("answer") as step:
            if stack.needs_embedder(question, record.observations):  # MiniLM: off the loop
                decision = await asyncio.to_thread(stack.decide, question, record.observations)
            else:
                decision = stack.decide(question, record.observations)
            record.intent = decision.intent.value
            record.confidence = round(decision.confidence, 4)
            step.summary.update(
                intent=decision.intent.value,
                reason=decision.reason,
                candidates=[
                    {"answerer": a.answerer, "confidence": a.confidence, "text": a.text[:80]}
                    for a in decision.candidates
                ],
            )
        answer = decision.answer
        if answer is None:
            record.escalation_reason = decision.reason
            return None
        if answer.confidence < plan.escalation_threshold:
            if answer.confidence > READING_FLOOR and "type_mismatch" not in answer.data:
                record.reading = {
                    "text": answer.text,
                    "confidence": answer.confidence,
                    "answerer": answer.answerer,
                    "sources": list(answer.sources),
                }
            record.escalation_reason = (
                f"{answer.answerer} confidence {answer.confidence:.2f} is below the "
                f"{plan.route} threshold {plan.escalation_threshold:.2f}"
            )
            return None
        record.answerer, record.sources = answer.answerer, list(answer.sources)
        return answer
