"""A second, independent reading of a clip whose value words were heard unsurely (issue #12).

A fact taken from a transcript ("which city", "the order number", "what time") is only as sure
as the words that carry it, and Whisper's word probabilities are a weak guide: a spelled-out
number's first word scores 0.03 when the model merely hesitated between "272" and "two
hundred seventy-two", while a misheard name can score 0.5. A second model of another size
(Whisper base after tiny.en) decodes the same samples again; the answerers compare the values
the two readings give (:mod:`serve.answer.passages`): a value both readings hold is trusted, a
value they disagree on is not.

Only clips with an unsure *value word* (a word with a digit, a number word or a capitalised
word, below ``second_reading_below``) are read twice (``second_reading_when: unsure``), or
every clip (``always``). The second reading decodes in the first reading's language, with the
same prompt, so a multilingual model does not drift into another language on noisy audio.
"""

from __future__ import annotations

import re
from dataclasses import replace
from time import perf_counter

import numpy as np

from deployments.perception.asr.backends import AsrBackend, DecodeOptions, load_backend
from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.protocol import SecondReading, Segment

_NUMBER_WORDS = frozenset(
    """zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred thousand million first second third fourth fifth sixth seventh eighth ninth
    tenth twelfth twentieth thirtieth""".split()
)
# Capitalised words that carry no value (sentence openers, pronouns, greetings).
_PLAIN_CAPITALS = frozenset(
    """i i'm i'll i've i'd hi hello hey good the a an this that it it's we our you your please
    thanks thank so and but yes no okay ok my he she they""".split()
)


def is_value_word(word: str) -> bool:
    """A word that may carry a fact: a digit, a number word, or a capitalised name."""
    text = word.strip()
    if any(c.isdigit() for c in text):
        return True
    parts = re.findall(r"[a-z]+", text.lower())
    if any(p in _NUMBER_WORDS for p in parts):
        return True
    bare = re.sub(r"[^\w'’]", "", text)
    return bare[:1].isupper() and bare.lower() not in _PLAIN_CAPITALS


def unsure_value_words(segments: list[Segment], below: float) -> list[str]:
    """The value words heard below ``below``; with no word probabilities, the text of the
    segments whose own confidence is below it."""
    found: list[str] = []
    for segment in segments:
        if segment.words is None:
            if segment.text and segment.confidence < below:
                found.append(segment.text)
            continue
        found += [
            w.word.strip() for w in segment.words if w.probability < below and is_value_word(w.word)
        ]
    return found


class SecondReader:
    """The second model, loaded once with the replica; reads a clip again when asked."""

    def __init__(self, settings: AsrSettings, backend: AsrBackend | None = None) -> None:
        self.settings = settings
        if backend is None:
            second = settings.model_copy(update={"model": settings.second_reading_model})
            backend = load_backend(second)
        self.backend = backend

    def reasons(self, segments: list[Segment]) -> list[str] | None:
        """Why the clip is read again (the unsure value words, or ``always``); None: it
        is not."""
        if not any(s.text for s in segments):
            return None
        if self.settings.second_reading_when == "always":
            return ["always"]
        unsure = unsure_value_words(segments, self.settings.second_reading_below)
        return unsure or None

    def read(
        self,
        samples: np.ndarray,
        options: DecodeOptions,
        language: str,
        segments: list[Segment],
    ) -> SecondReading | None:
        """The second reading of ``samples`` when the first one's ``segments`` call for it
        and the second model can decode ``language``; else None."""
        reasons = self.reasons(segments)
        if reasons is None or (language != "en" and not self.backend.multilingual):
            return None
        started = perf_counter()
        result = self.backend.transcribe(samples, replace(options, language=language))
        kept = [s for s in result.segments if s.text]
        return SecondReading(
            model=self.backend.model_name,
            text=" ".join(s.text for s in kept).strip(),
            segments=kept,
            reasons=reasons[:20],
            transcribe_ms=round((perf_counter() - started) * 1000, 1),
        )
