"""How surely an answer's own words were read off an OCR'd page (issue #12).

An answer read from a scan is only as sure as the tokens it is made of: a page read at 0.93
on average may have read the one amount asked for at 0.40, and a second reading of that
amount (``word_checks`` of the OCR blocks, :mod:`deployments.perception.ocr.verify`) may
disagree. :func:`value_reading` finds the answer's text among the page's tokens and returns
the lowest engine confidence of those tokens and whether a second reading disputes one of
them; :func:`gate` caps the answer's confidence accordingly. Text-layer pages (exact),
answers not written on the page as such (a computed sum) and answers whose figures arithmetic
confirms (a total that is subtotal + tax, an item row whose quantity x price is its amount)
are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from serve.answer.base import Answer
from serve.context.observations import Observation

# An answer with a token whose second reading disagrees: well under every route threshold.
DISPUTED_CAP = 0.4
# An answer is no surer than its least sure token, scaled: Tesseract reads clean print at
# 0.9-0.97, so a token at the route threshold or below caps the answer below it.
TOKEN_WEIGHT = 1.0


@dataclass(frozen=True)
class Reading:
    """How the tokens making up one occurrence of an answer on a page were read."""

    confidence: float  # the lowest engine confidence of the tokens
    disputed: bool  # a second reading of one of them disagreed
    checked: bool  # a second reading was made of at least one of them and none disagreed
    tokens: tuple[str, ...]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _occurrences(answer: str, block: dict) -> list[Reading]:
    tokens = str(block.get("text", "")).split()
    confidences = block.get("word_confidences")
    if not tokens or not confidences or len(confidences) != len(tokens):
        return []
    checks = block.get("word_checks") or [None] * len(tokens)
    if len(checks) != len(tokens):
        checks = [None] * len(tokens)
    starts, at = [], 0
    for token in tokens:
        starts.append(at)
        at += len(token) + 1
    joined = " ".join(tokens).lower()
    found = []
    for match in re.finditer(re.escape(answer), joined):
        inside = [
            i
            for i, start in enumerate(starts)
            if start < match.end() and start + len(tokens[i]) > match.start()
        ]
        if not inside:
            continue
        found.append(
            Reading(
                confidence=min(float(confidences[i]) for i in inside),
                disputed=any(checks[i] is False for i in inside),
                checked=any(checks[i] is True for i in inside)
                and not any(checks[i] is False for i in inside),
                tokens=tuple(tokens[i] for i in inside),
            )
        )
    return found


def value_reading(text: str, observations: list[Observation]) -> Reading | None:
    """The best-read occurrence of ``text`` on the OCR'd pages of ``observations`` (one
    without a disputed token first, then the surest), or None when it is not written on any
    OCR'd page line as such."""
    answer = _squash(text)
    if not answer:
        return None
    found: list[Reading] = []
    for observation in observations:
        if observation.kind != "page" or observation.data.get("source") != "ocr":
            continue
        for block in observation.data.get("blocks") or []:
            if isinstance(block, dict) and answer in _squash(str(block.get("text", ""))):
                found += _occurrences(answer, block)
    if not found:
        return None
    return max(found, key=lambda r: (not r.disputed, r.confidence))


def gate(answer: Answer, observations: list[Observation]) -> Reading | None:
    """Cap ``answer``'s confidence by how its tokens were read (see the module docstring);
    the reading is recorded in ``answer.data['reading']``."""
    reading = value_reading(answer.text, observations)
    if reading is None:
        return None
    before = answer.confidence
    if answer.data.get("checks") or answer.data.get("verified"):
        # Arithmetic already confirms the figures as read (subtotal + tax = total, quantity x
        # price = amount): a third reading that agrees beats one that does not.
        answer.data["reading"] = {"tokens": list(reading.tokens), "arithmetic": True,
                                  "disputed": reading.disputed}  # fmt: skip
        return reading
    if reading.disputed:
        answer.confidence = min(answer.confidence, DISPUTED_CAP)
    else:
        answer.confidence = min(answer.confidence, TOKEN_WEIGHT * reading.confidence)
    answer.confidence = round(answer.confidence, 3)
    answer.data["reading"] = {
        "tokens": list(reading.tokens),
        "min_token_confidence": reading.confidence,
        "disputed": reading.disputed,
        "checked": reading.checked,
        "capped_from": before if answer.confidence < before else None,
    }
    return reading
