"""Extractive answers from transcripts and pages: the transcript itself, the best-matching
sentence (BM25, MiniLM re-rank), and typed values ("which city" → a place) taken from them."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from serve.answer.agreement import combine, second_reading
from serve.answer.base import Answer
from serve.answer.entities import Span, digit_text, find_spans
from serve.answer.text import STOPWORDS, content_tokens, normalize
from serve.answer.types import AnswerType, expected_type
from serve.context.observations import Observation
from serve.inputs.text import URL_PATTERN

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_TRANSCRIBE = re.compile(
    r"\b(transcri\w*|what (?:does|did|is|was) (?:the |this )?(?:audio|recording|speaker|clip|voice"
    r"|file|message) (?:say|said)|what (?:is|was) said|word for word|verbatim)\b"
)
TEXT_KINDS = ("page", "text", "passage", "transcript")
RERANK_CANDIDATES = 6
_QUANTITY = re.compile(
    r"\bhow (many|much|long|old|far|often)\b|\b(number|no|code|reference|id|amount|total)\b"
)
_DIGIT = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|dozen|single|double)\b",
    re.IGNORECASE,
)


def _has_value_number(sentence: str) -> bool:
    """A count, amount or identifier in the sentence (a time or a date is not one)."""
    if not _DIGIT.search(sentence):
        return False
    kinds = (AnswerType.QUANTITY, AnswerType.AMOUNT, AnswerType.IDENTIFIER)
    return any(find_spans(sentence, kind) for kind in kinds)


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
        trust = sentence_evidence(obs, sentence) if obs.kind == "transcript" else 1.0
        confidence = obs.confidence * trust * (0.45 + 0.4 * coverage + 0.15 * margin)
        if _QUANTITY.search(normalize(question)) and not _has_value_number(sentence):
            confidence *= 0.6  # "how many", "which number": the answer needs a number
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


# ------------------------------------------------------------------------------ facts
EXTRACTABLE = frozenset(
    {
        AnswerType.PLACE,
        AnswerType.PERSON,
        AnswerType.ORGANISATION,
        AnswerType.TIME,
        AnswerType.DATE,
        AnswerType.AMOUNT,
        AnswerType.QUANTITY,
        AnswerType.IDENTIFIER,
    }
)
# Words that name the type asked for ("which *city*") say nothing about where the value is.
_TYPE_WORDS = frozenset(
    """city town place location where name who called caller company business firm time hour
    date day when much many number amount total cost price quantity mention mentioned message
    voicemail recording audio call speaker person give say said""".split()
)
_WEEKDAY_QUESTION = re.compile(r"\bday of the week\b|\bweekday\b|\bwhich day\b(?! of the month)")
_HOW_MANY_NOUN = re.compile(r"\bhow many ([a-z]+)")
# "how many items": a count of anything mentioned, whatever its noun
_GENERIC_COUNT_NOUNS = frozenset("items things units pieces products goods articles".split())
LOCAL_WINDOW = 48  # characters either side of a span that count as its context
# Transcripts, browsed pages and retrieved passages. OCR'd document pages ("page") are left to
# the field and table answerers, which read their layout (labels, columns).
FACT_KINDS = ("transcript", "passage", "text")


@dataclass
class _Candidate:
    span: Span
    sentence: str
    obs: Observation
    score: float
    evidence: float  # how far the text it stands in can be trusted (ASR segment confidence)


# Whisper's mean token probability on clean speech is ~0.7-0.9; garbled segments (noise, a
# phone line, numbers misheard) fall to 0.2-0.5. A segment at or above this is fully trusted.
TRUSTED_SEGMENT = 0.7


# A recognised word this probable is trusted; misheard names and numbers sit at 0.15-0.3.
TRUSTED_WORD = 0.5


def word_evidence(obs: Observation, raw: str) -> float | None:
    """Trust in the words of a value (``raw``, as the transcript writes it) from the ASR's
    word probabilities, when the transcript has them: the least probable of its words, scaled
    so that TRUSTED_WORD and above count fully. None without word probabilities."""
    words = [
        w
        for segment in obs.data.get("segments") or []
        for w in segment.get("words") or []
        if str(w.get("word", "")).strip()
    ]
    wanted = re.findall(r"[a-z0-9]+", raw.lower())
    if not words or not wanted:
        return None
    tokens = [re.findall(r"[a-z0-9]+", str(w["word"]).lower()) for w in words]
    for start in range(len(words)):
        covered, probabilities, index = [], [], start
        while index < len(words) and len(covered) < len(wanted):
            covered += tokens[index]
            probabilities.append(float(words[index].get("probability", 1.0)))
            index += 1
        if covered[: len(wanted)] == wanted:
            return min(1.0, min(probabilities) / TRUSTED_WORD)
    return None


def sentence_evidence(obs: Observation, sentence: str) -> float:
    """Trust in the text of ``sentence``: for a transcript, the lowest confidence of the ASR
    segments it overlaps, scaled so that TRUSTED_SEGMENT and above count fully; for other
    observations, their own confidence scaled the same way from 0.5 up."""
    segments = [s for s in (obs.data.get("segments") or []) if str(s.get("text", "")).strip()]
    if obs.kind != "transcript" or not segments:
        return min(1.0, 0.7 + 0.3 * obs.confidence)
    joined, spans = "", []
    for segment in segments:
        text = str(segment["text"]).strip()
        spans.append((len(joined), len(joined) + len(text), float(segment.get("confidence", 0))))
        joined += text + " "
    probe = sentence.strip()[:40]
    start = joined.find(probe)
    if start < 0:
        return min(1.0, min(c for _, _, c in spans) / TRUSTED_SEGMENT)
    end = start + len(sentence.strip())
    overlapping = [c for a, b, c in spans if a < end and start < b] or [spans[0][2]]
    return min(1.0, min(overlapping) / TRUSTED_SEGMENT)


def _stems(text: str) -> set[str]:
    return {_stem(t) for t in content_tokens(text)}


class FactAnswerer:
    """Extractive typed answers: the value of the type the question asks for ("which city" → a
    place, "what time" → a time), taken from transcripts, browsed pages and passages.

    Candidates are typed spans (:mod:`serve.answer.entities`) in every sentence; each is scored
    by its type certainty, how well its sentence matches the question (BM25) and how many
    question words stand near it. Confidence is high when one value is the only one of its type
    or leads clearly, and it is scaled by the trust in the text it stands in (the confidence of
    the ASR segments of its sentence; a page's own confidence).
    """

    name = "fact"
    max_confidence = 0.95

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        kind = expected_type(question)
        texts = [o for o in observations if o.kind in FACT_KINDS]
        if kind not in EXTRACTABLE or not texts:
            return None
        first = self._choose(question, kind, texts)
        seconds = [r for r in map(second_reading, texts) if r is not None]
        if not seconds:
            return first
        # the clip was read again by another model: trust what both readings hold
        return combine(first, self._choose(question, kind, seconds), self.max_confidence)

    def _choose(self, question: str, kind: AnswerType, texts: list[Observation]) -> Answer | None:
        """The best value of ``kind`` in ``texts``; ``data['content']`` is its confidence
        before the trust in its words (``data['trust']``)."""
        candidates = self._candidates(question, kind, texts)
        if not candidates:
            return None
        best_by_value: dict[str, _Candidate] = {}
        for candidate in candidates:
            key = normalize(candidate.span.value)
            if key not in best_by_value or candidate.score > best_by_value[key].score:
                best_by_value[key] = candidate
        ranked = sorted(best_by_value.values(), key=lambda c: -c.score)
        best = ranked[0]
        if len(ranked) == 1:
            base = 0.97
        else:
            margin = (best.score - ranked[1].score) / best.score if best.score else 0.0
            base = 0.5 + 0.45 * min(1.0, margin / 0.4)
        content = base * best.span.certainty
        confidence = content * best.evidence
        return Answer(
            best.span.value,
            round(min(confidence, self.max_confidence), 3),
            self.name,
            [best.obs.citation],
            {
                "type": kind.value,
                "sentence": best.sentence[:200],
                "candidates": [c.span.value for c in ranked[:5]],
                "content": round(content, 3),
                "trust": round(best.evidence, 3),
            },
        )

    def _candidates(
        self, question: str, kind: AnswerType, texts: list[Observation]
    ) -> list[_Candidate]:
        ranked = rank_sentences(question, texts)
        top = ranked[0][0] if ranked else 0.0
        relevance = {(id(o), s): score / top for score, s, o in ranked} if top else {}
        terms = question_terms(question) - {_stem(w) for w in _TYPE_WORDS}
        asked = normalize(question)
        weekday_only = kind is AnswerType.DATE and bool(_WEEKDAY_QUESTION.search(asked))
        noun = _HOW_MANY_NOUN.search(asked)
        # "how many are ready": a verb or another function word names no counted noun
        generic = (
            noun is None
            or noun.group(1) in _TYPE_WORDS | _GENERIC_COUNT_NOUNS
            or noun.group(1) in STOPWORDS
        )
        wanted_noun = "" if generic else _stem(noun.group(1))
        candidates = []
        for obs in texts:
            # a transcript's plain text: ASR segments may cut a sentence ("8404 | dollars")
            plain = str(obs.data.get("text") or "") if obs.kind == "transcript" else ""
            for sentence in split_sentences(plain or obs.text):
                text = digit_text(sentence)
                evidence = sentence_evidence(obs, sentence)
                for span in find_spans(sentence, kind):
                    certainty = span.certainty
                    if kind is AnswerType.DATE and (span.detail == "weekday") != weekday_only:
                        if weekday_only:
                            continue
                        certainty *= 0.6  # a date question answered with a weekday
                    if wanted_noun and span.detail:
                        certainty *= 1.0 if _stem(span.detail) == wanted_noun else 0.7
                    window = text[max(0, span.start - LOCAL_WINDOW) : span.end + LOCAL_WINDOW]
                    local = len(terms & _stems(window)) / len(terms) if terms else 0.0
                    rel = relevance.get((id(obs), sentence), 0.0)
                    score = certainty * (0.6 + 0.25 * rel + 0.15 * local)
                    span = Span(span.value, span.start, span.end, span.kind, certainty, span.detail)
                    trust = evidence
                    words = word_evidence(obs, text[span.start : span.end])
                    if words is not None:  # the value's own words, where the ASR gives them
                        trust = min(1.0, words * (0.5 + 0.5 * evidence))
                    candidates.append(_Candidate(span, sentence, obs, score, trust))
        return candidates
