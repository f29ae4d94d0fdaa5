"""Extractive answers: the passage sentence that best matches the question (lexical BM25)."""

from __future__ import annotations

import math
import re
from collections import Counter

from serve.answer.base import Answer
from serve.answer.text import content_tokens, normalize
from serve.context.observations import Observation
from serve.planner.inputs import URL_PATTERN

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_TRANSCRIBE = re.compile(
    r"\b(transcri\w*|what (?:does|did|is|was) (?:the |this )?(?:audio|recording|speaker|clip|voice"
    r"|file|message) (?:say|said)|what (?:is|was) said|word for word|verbatim)\b"
)
TEXT_KINDS = ("page", "text", "passage", "transcript")
RERANK_CANDIDATES = 6
_QUANTITY = re.compile(r"\bhow (many|much|long|old|far|often)\b")
_DIGIT = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|dozen|single|double)\b",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    return [re.sub(r"^\[\d\d:\d\d\.\d-\d\d:\d\d\.\d\]\s*", "", p) for p in parts]


def _stem(token: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def rank_sentences(
    question: str, observations: list[Observation]
) -> list[tuple[float, str, Observation]]:
    """BM25 scores of every sentence of the text observations for the question."""
    query = [_stem(t) for t in content_tokens(URL_PATTERN.sub(" ", question))]
    if not query:
        return []
    sentences = [
        (sentence, obs)
        for obs in observations
        if obs.kind in TEXT_KINDS
        for sentence in split_sentences(obs.text)
        if len(sentence) > 2
    ]
    if not sentences:
        return []
    docs = [[_stem(t) for t in content_tokens(s)] for s, _ in sentences]
    avg_len = sum(len(d) for d in docs) / len(docs) or 1.0
    df = Counter(t for d in docs for t in set(d))
    n = len(docs)
    scored = []
    for (sentence, obs), doc in zip(sentences, docs, strict=True):
        counts = Counter(doc)
        score = 0.0
        for term in set(query):
            if term not in counts:
                continue
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            tf = counts[term]
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(doc) / avg_len))
        if score > 0:
            scored.append((score, sentence, obs))
    scored.sort(key=lambda item: -item[0])
    return scored


class TranscriptAnswerer:
    """ "Transcribe this" → the transcript itself, with the ASR confidence."""

    name = "transcript"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        transcripts = [o for o in observations if o.kind == "transcript"]
        if not transcripts or not _TRANSCRIBE.search(normalize(question)):
            return None
        text = "\n".join(str(o.data.get("text") or o.text).strip() for o in transcripts)
        confidence = min(o.confidence for o in transcripts)
        return Answer(text, round(confidence, 3), self.name, [o.citation for o in transcripts], {})


def question_terms(question: str) -> set[str]:
    """Content terms of the question, without the word a "how ..." phrase asks about."""
    text = re.sub(
        r"\bhow (long|much|many|old|far|often|big|large|tall)\b",
        "how",
        normalize(URL_PATTERN.sub(" ", question)),
    )
    return {_stem(t) for t in content_tokens(text)}


def _lexically_clear(question: str, ranked: list[tuple[float, str, Observation]]) -> bool:
    """The BM25 winner holds every question term and leads clearly: no need to embed."""
    query = question_terms(question)
    score, sentence, _ = ranked[0]
    covered = query <= {_stem(t) for t in content_tokens(sentence)}
    return covered and score > 0 and (score - ranked[1][0]) / score >= 0.25


class PassageAnswerer:
    """Answers with the best-matching sentence; confidence from coverage and margin.

    Sentences are ranked lexically (BM25); with a sentence ``encoder`` (MiniLM in the router)
    the top candidates are re-ranked by an equal blend of normalised BM25 and the cosine
    similarity of their embeddings with the question's, so a paraphrase can win over a
    sentence that merely repeats the question's words.
    """

    name = "extractive"
    max_confidence = 0.9

    def __init__(self, encoder=None) -> None:
        self.encoder = encoder

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        ranked = rank_sentences(question, observations)
        if not ranked:
            return None
        if self.encoder is not None and len(ranked) > 1 and not _lexically_clear(question, ranked):
            ranked = self._rerank(question, ranked)
        score, sentence, obs = ranked[0]
        query = question_terms(question)
        covered = query & {_stem(t) for t in content_tokens(sentence)}
        coverage = len(covered) / max(len(query), 1)
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        margin = max(0.0, (score - runner_up) / score) if score else 0.0
        confidence = obs.confidence * (0.45 + 0.4 * coverage + 0.15 * margin)
        if _QUANTITY.search(normalize(question)) and not _DIGIT.search(sentence):
            confidence *= 0.6  # a "how many/much/long" question needs a number in the answer
        return Answer(
            sentence,
            round(min(confidence, self.max_confidence), 3),
            self.name,
            [obs.citation],
            {"coverage": round(coverage, 3), "score": round(score, 3)},
        )

    def _rerank(
        self, question: str, ranked: list[tuple[float, str, Observation]]
    ) -> list[tuple[float, str, Observation]]:
        top = ranked[:RERANK_CANDIDATES]
        try:
            vectors = self.encoder.encode([URL_PATTERN.sub(" ", question)] + [s for _, s, _ in top])
        except Exception:  # the lexical ranking stands
            return ranked
        query, rows = vectors[0], vectors[1:]
        best = top[0][0] or 1.0
        blended = [
            (0.5 * score / best + 0.5 * float(row @ query), (score, sentence, obs))
            for (score, sentence, obs), row in zip(top, rows, strict=True)
        ]
        blended.sort(key=lambda item: -item[0])
        return [item for _, item in blended] + ranked[RERANK_CANDIDATES:]
