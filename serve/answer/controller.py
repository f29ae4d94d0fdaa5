"""The small-stack controller: run the answerers, keep the most confident answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from serve.answer.base import Answer, Answerer
from serve.answer.charts import ChartAnswerer
from serve.answer.compute import ComputeAnswerer
from serve.answer.execution import ExecutionAnswerer
from serve.answer.fields import FieldAnswerer
from serve.answer.intent import Intent, classify
from serve.answer.passages import PassageAnswerer, TranscriptAnswerer
from serve.answer.tables import TableAnswerer
from serve.context.observations import Observation

# "2024-001" or "12/05/2024" written as one token are identifiers and dates, not subtractions
# or divisions; "122 / 16", "122/16" and "122 divided by 16" are arithmetic.
_ID_TOKEN = re.compile(r"(?<![\w.])\d+(?:-\d+)+(?![\w.])|(?<![\w.])\d+(?:/\d+){2,}(?![\w.])")


@dataclass
class Decision:
    """What the small stack concluded for one question."""

    intent: Intent
    answer: Answer | None
    candidates: list[Answer] = field(default_factory=list)
    reason: str = ""

    @property
    def confidence(self) -> float:
        return self.answer.confidence if self.answer else 0.0


def default_answerers() -> list[Answerer]:
    return [
        ExecutionAnswerer(),
        ComputeAnswerer(),
        TranscriptAnswerer(),
        ChartAnswerer(),
        TableAnswerer(),
        FieldAnswerer(),
        PassageAnswerer(),
    ]


class SmallStack:
    """Chooses the best small-stack answer, or explains why the LLM is needed."""

    def __init__(self, answerers: list[Answerer] | None = None, intent_embedder=None) -> None:
        self.answerers = answerers or default_answerers()
        self.intent_embedder = intent_embedder  # set once the router's embedder is ready

    def decide(self, question: str, observations: list[Observation]) -> Decision:
        intent = classify(question, self.intent_embedder)
        if intent is Intent.GENERATE:
            return Decision(intent, None, reason="the question asks for generation")
        candidates: list[Answer] = []
        for answerer in self.answerers:
            answer = answerer.answer(question, observations)
            if answer is None:
                continue
            if answer.answerer == "compute" and (
                _ID_TOKEN.search(question) or (observations and answer.confidence < 0.95)
            ):
                answer.confidence = min(answer.confidence, 0.3)
            candidates.append(answer)
        if not candidates:
            reason = "no answerer matched" if observations else "no evidence and no computation"
            return Decision(intent, None, reason=reason)
        best = max(candidates, key=lambda a: a.confidence)
        return Decision(intent, best, candidates, reason=f"best: {best.answerer}")
