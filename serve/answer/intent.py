"""Question intent: does it need generation (the LLM), or can a lookup/computation answer it?"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path

import numpy as np

from serve.answer.text import normalize

DATA = Path(__file__).parent / "data" / "intents.jsonl"


class Intent(StrEnum):
    GENERATE = "generate"  # explain, write, summarise, open questions → the LLM
    TRANSCRIBE = "transcribe"
    LOOKUP = "lookup"  # fields, cells, chart values, passages, arithmetic


_GENERATE = re.compile(
    r"^(explain|why|describe|write|draft|compose|summari[sz]e|translate|rewrite|paraphrase|"
    r"brainstorm|suggest|recommend|imagine|create|generate|discuss|argue|elaborate)\b"
    r"|\b(summary|summari[sz]e|in your own words|tell me (a|about)|what do you think|pros and cons"
    r"|a (poem|story|essay|haiku|email|letter)|how (does|do|would|could|should) .+ work)\b"
)
_TRANSCRIBE = re.compile(r"\btranscri\w*\b|\bverbatim\b|\bword for word\b")


def classify_by_rules(question: str) -> Intent | None:
    """High-precision rules; None when no rule fires."""
    text = normalize(question)
    if _TRANSCRIBE.search(text):
        return Intent.TRANSCRIBE
    if _GENERATE.search(text):
        return Intent.GENERATE
    return None


def classify(question: str, embedder: IntentEmbedder | None = None) -> Intent:
    """Rules first; then the embedding classifier when one is ready; the default is a lookup."""
    ruled = classify_by_rules(question)
    if ruled is not None:
        return ruled
    if embedder is not None:
        guess = embedder.predict(question)
        if guess is not None:
            return guess
    return Intent.LOOKUP


class IntentEmbedder:
    """Nearest-centroid intent classifier on sentence embeddings of a labelled set.

    The set ships in ``serve/answer/data/intents.jsonl``; the embedder is any object with
    ``encode(list[str]) -> unit-normalised rows`` (MiniLM in the router, shared with the
    gateway). It answers only when the best class wins by ``margin``.
    """

    def __init__(self, encoder, *, margin: float = 0.05, path: Path | None = None) -> None:
        self.encoder = encoder
        self.margin = margin
        examples = [
            json.loads(line) for line in (path or DATA).read_text().splitlines() if line.strip()
        ]
        self.labels = sorted({e["label"] for e in examples})
        vectors = np.asarray(self.encoder.encode([e["text"] for e in examples]))
        centroids = []
        for label in self.labels:
            rows = vectors[[i for i, e in enumerate(examples) if e["label"] == label]]
            centroid = rows.mean(axis=0)
            centroids.append(centroid / (np.linalg.norm(centroid) or 1.0))
        self.centroids = np.stack(centroids)

    def scores(self, question: str) -> dict[str, float]:
        vector = np.asarray(self.encoder.encode([question]))[0]
        return dict(zip(self.labels, (self.centroids @ vector).tolist(), strict=True))

    def predict(self, question: str) -> Intent | None:
        ranked = sorted(self.scores(question).items(), key=lambda kv: -kv[1])
        (best, top), (_, second) = ranked[0], ranked[1]
        return Intent(best) if top - second >= self.margin else None
