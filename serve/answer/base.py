"""The answer type and the answerer interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from serve.context.observations import Observation


@dataclass
class Answer:
    """A small-stack answer: text for the user, a calibrated confidence, and its sources."""

    text: str
    confidence: float
    answerer: str
    sources: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


class Answerer(Protocol):
    """Answers one family of questions from observations, or returns None."""

    name: str

    def answer(self, question: str, observations: list[Observation]) -> Answer | None: ...
