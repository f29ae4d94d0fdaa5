"""The small-stack controller: run the answerers, keep the most confident answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from serve.answer.base import Answer, Answerer
from serve.answer.charts import ChartAnswerer
from serve.answer.compute import ComputeAnswerer
from serve.answer.execution import ExecutionAnswerer
from serve.answer.fields import FieldAnswerer, amount_value
from serve.answer.intent import Intent, classify, classify_by_rules
from serve.answer.passages import TEXT_KINDS, FactAnswerer, PassageAnswerer, TranscriptAnswerer
from serve.answer.readings import gate
from serve.answer.tables import TableAnswerer
from serve.answer.text import normalize
from serve.answer.types import (
    NAME_TYPES,
    AnswerType,
    TypeEmbedder,
    answer_type_matches,
    predict_type,
)
from serve.context.observations import Observation

INTENT_CACHE_SIZE = 4096
# A candidate whose text is not of the type the question asks for ("which company" answered
# with a date) is capped here: well below every route's escalation threshold (0.65-0.75).
TYPE_MISMATCH_CAP = 0.3
# A sentence or line of a document page given for a typed value (an amount, a date, a name):
# the fields and tables answerers read values off documents; a line is for the LLM to read.
LINE_FOR_VALUE_CAP = 0.6

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
    expected_type: AnswerType = AnswerType.FREE_TEXT

    @property
    def confidence(self) -> float:
        return self.answer.confidence if self.answer else 0.0


def share_disputes(candidates: list[Answer]) -> None:
    """A value the document itself contradicts (the fields answerer's ``disputed``: the payment
    or another total line says otherwise) is no surer when another answerer reads it too."""
    for disputed in [a for a in candidates if a.data.get("disputed")]:
        value = amount_value(disputed.text)
        if value is None:
            continue
        for other in candidates:
            if other is not disputed and amount_value(other.text) == value:
                other.confidence = min(other.confidence, disputed.confidence)


def default_answerers() -> list[Answerer]:
    return [
        ExecutionAnswerer(),
        ComputeAnswerer(),
        TranscriptAnswerer(),
        ChartAnswerer(),
        TableAnswerer(),
        FieldAnswerer(),
        FactAnswerer(),
        PassageAnswerer(),
    ]


def _document_page(observation: Observation) -> bool:
    """A page of a PDF or scan (not a web page: there a sentence is the answer)."""
    return observation.kind == "page" and observation.stage == "ocr"


def check_type(answer: Answer, expected: AnswerType) -> bool:
    """Whether ``answer`` is of the expected type; if not, cap its confidence and say why."""
    if answer_type_matches(expected, answer.text):
        return True
    answer.confidence = min(answer.confidence, TYPE_MISMATCH_CAP)
    answer.data["type_mismatch"] = f"expected {expected.value}, got {answer.text[:40]!r}"
    return False


class SmallStack:
    """Chooses the best small-stack answer, or explains why the LLM is needed."""

    def __init__(self, answerers: list[Answerer] | None = None, intent_embedder=None) -> None:
        self.answerers = answerers or default_answerers()
        self._intent_embedder = None
        self.intent_embedder = intent_embedder  # set once the router's embedder is ready
        self._intent_cache: dict[str, Intent] = {}
        self._type_cache: dict[str, AnswerType] = {}  # with the embedding vote only
        self.check_readings = True  # cap OCR'd answers by their tokens' reading (readings.py)

    def decide(self, question: str, observations: list[Observation]) -> Decision:
        ruled = classify_by_rules(question)
        if ruled is Intent.GENERATE:
            return Decision(ruled, None, reason="the question asks for generation")
        expected = self.expected_type(question)
        candidates: list[Answer] = []
        for answerer in self.answerers:
            ceiling = getattr(answerer, "max_confidence", 1.0)
            if candidates and max(a.confidence for a in candidates) >= ceiling:
                continue  # it could not win (ties go to the earlier answerer): save its cost
            answer = answerer.answer(question, observations)
            if answer is None:
                continue
            if answer.answerer == "compute" and (
                _ID_TOKEN.search(question) or (observations and answer.confidence < 0.95)
            ):
                answer.confidence = min(answer.confidence, 0.3)
            check_type(answer, expected)
            if (
                answer.answerer == PassageAnswerer.name
                and expected is not AnswerType.FREE_TEXT
                and any(_document_page(o) and o.citation in answer.sources for o in observations)
            ):  # a document's whole line ("Tax (8%)  3.492.93 EUR") is not the value asked
                answer.confidence = min(answer.confidence, LINE_FOR_VALUE_CAP)
            if (
                answer.answerer == TableAnswerer.name
                and answer.data.get("op") == "cell"
                and expected in NAME_TYPES
            ):  # "who issued" read off a grid cell ("Issued 02.02.2023" x "Billed to"): the
                # parties are the fields answerer's, with their labels and letterheads
                answer.confidence = min(answer.confidence, LINE_FOR_VALUE_CAP)
            if self.check_readings:
                gate(answer, observations)  # no surer than its own words were read
            candidates.append(answer)
        share_disputes(candidates)
        intent = ruled or self._intent(question, observations, candidates)
        if intent is Intent.GENERATE:
            return Decision(intent, None, candidates, "the question asks for generation", expected)
        if not candidates:
            reason = "no answerer matched" if observations else "no evidence and no computation"
            return Decision(intent, None, reason=reason, expected_type=expected)
        best = max(candidates, key=lambda a: a.confidence)
        reason = f"best: {best.answerer}"
        if "type_mismatch" in best.data:
            reason += f" ({best.data['type_mismatch']})"
        return Decision(intent, best, candidates, reason, expected)

    def expected_type(self, question: str) -> AnswerType:
        """The answer type the question asks for (cues, then the embedding vote); the vote is
        cached per question (the pipeline may decide twice: before and after a library search)."""
        if self.type_embedder is None:
            return predict_type(question).type
        key = normalize(question)
        found = self._type_cache.get(key)
        if found is None:
            found = self._type_cache[key] = predict_type(question, self.type_embedder).type
            if len(self._type_cache) > INTENT_CACHE_SIZE:
                self._type_cache.pop(next(iter(self._type_cache)))
        return found

    @property
    def intent_embedder(self):
        return self._intent_embedder

    @intent_embedder.setter
    def intent_embedder(self, embedder) -> None:
        """The intent classifier; its sentence encoder also scores passages."""
        self._intent_embedder = embedder
        encoder = getattr(embedder, "encoder", None)
        self.type_embedder = TypeEmbedder(encoder) if encoder is not None else None
        for answerer in self.answerers:
            if isinstance(answerer, PassageAnswerer):
                answerer.encoder = encoder

    def needs_embedder(self, question: str, observations: list[Observation] = ()) -> bool:
        """Whether ``decide`` may run the sentence encoder (worth a worker thread)."""
        if self.intent_embedder is None:
            return False
        if self.type_embedder is not None and not predict_type(question).decisive:
            return True
        return classify_by_rules(question) is None or any(
            o.kind in TEXT_KINDS for o in observations
        )

    def _intent(
        self, question: str, observations: list[Observation], candidates: list[Answer]
    ) -> Intent:
        """The embedding classifier's intent, skipped when the question is plain arithmetic
        (an exact computation is a lookup whatever the phrasing); cached per question."""
        if self.intent_embedder is None:
            return Intent.LOOKUP
        if not observations and any(
            a.answerer == "compute" and a.confidence >= 0.95 for a in candidates
        ):
            return Intent.LOOKUP
        key = normalize(question)
        intent = self._intent_cache.get(key)
        if intent is None:
            intent = classify(question, self.intent_embedder)
            self._intent_cache[key] = intent
            if len(self._intent_cache) > INTENT_CACHE_SIZE:
                self._intent_cache.pop(next(iter(self._intent_cache)))
        return intent
