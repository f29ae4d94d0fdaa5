"""Is a short factual answer right? An accepted answer named, and no rejected one."""

from __future__ import annotations

import re
import unicodedata

from loadtest.knowledge.questions import Question


def normalize(text: str) -> str:
    """Lower case, accents and thousands separators removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return re.sub(r"\s+", " ", text).strip()


def mentions(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words (both already normalised)."""
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


def is_correct(question: Question, answer: str) -> bool:
    """An accepted answer is named and no rejected one is (hedges count as wrong)."""
    text = normalize(answer)
    if any(mentions(text, normalize(r)) for r in question.rejected):
        return False
    return any(mentions(text, normalize(a)) for a in question.accepted)
