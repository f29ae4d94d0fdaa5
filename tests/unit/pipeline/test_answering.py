"""The small stack's step: a sure answer is kept, an unsure one becomes the LLM's lead."""

import asyncio

import pytest

from serve.answer.base import Answer
from serve.answer.controller import Decision
from serve.answer.intent import Intent
from serve.api.protocol import ChatCompletionRequest
from serve.observability.record import RequestRecord
from serve.pipeline.answering import SmallStackStep
from serve.pipeline.planner import Plan


class FixedStack:
    def __init__(self, answer: Answer | None) -> None:
        self.answer = answer

    def needs_embedder(self, question, observations) -> bool:
        return False

    def decide(self, question, observations) -> Decision:
        return Decision(Intent.LOOKUP, self.answer, [self.answer] if self.answer else [])


def run(answer: Answer | None) -> tuple[Answer | None, RequestRecord]:
    record = RequestRecord(request_id="r1", model="interfaze")
    body = ChatCompletionRequest(model="interfaze", messages=[{"role": "user", "content": "?"}])
    plan = Plan(route="document", stages=["ocr", "answer", "llm"], escalation_threshold=0.7)
    step = SmallStackStep(FixedStack(answer))
    return asyncio.run(step.answer(body, "What is the total?", record, plan)), record


def test_a_sure_answer_is_returned_without_a_lead():
    answer, record = run(Answer("92.34", 0.95, "document_field", ["doc p.1"]))
    assert answer is not None and answer.text == "92.34"
    assert record.reading is None


@pytest.mark.parametrize(
    ("confidence", "data", "lead"),
    [(0.55, {}, True), (0.3, {}, False), (0.5, {"type_mismatch": "expected amount"}, False)],
)
def test_an_unsure_answer_of_the_right_type_is_the_llms_lead(confidence, data, lead):
    answer, record = run(Answer("92.34", confidence, "document_field", ["doc p.1"], data))
    assert answer is None and "below" in record.escalation_reason
    assert (record.reading is not None) is lead
    if lead:
        assert record.reading == {"text": "92.34", "confidence": confidence,
                                  "answerer": "document_field", "sources": ["doc p.1"]}  # fmt: skip
