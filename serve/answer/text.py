"""Text helpers shared by the answerers: normalisation, tokens, numbers, fuzzy matching."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher

STOPWORDS = frozenset(
    """a an and are as at be by do does did for from has have how i in is it its me my of on or
    our please show tell that the their there this to us was we were what when where which who
    whom whose why will with you your can could would should give find get value number
    according listed shown stated mentioned page website site""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:[,\s]\d{3})+|\d+)(?:\.\d+)?")


def normalize(text: str) -> str:
    """Lowercase, strip accents and collapse whitespace."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.lower()).strip()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS]


def parse_number(text: str) -> Decimal | None:
    """The first number in ``text`` (thousands separators and currency symbols allowed)."""
    match = _NUMBER.search(text.replace("\u2212", "-"))
    if not match:
        return None
    raw = match.group(0).replace(",", "").replace(" ", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def similarity(a: str, b: str) -> float:
    """Fuzzy similarity of two short strings in [0, 1]."""
    a, b = normalize(a), normalize(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


def overlap(question_tokens: list[str], label: str) -> float:
    """Share of the label's content tokens present in the question (stems by prefix)."""
    label_tokens = content_tokens(label) or tokens(label)
    if not label_tokens:
        return 0.0
    hits = 0
    for token in label_tokens:
        if any(q == token or (len(token) > 3 and q.startswith(token[:4])) for q in question_tokens):
            hits += 1
    return hits / len(label_tokens)


def format_number(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros (1.50 → 1.5, 2E+3 → 2000)."""
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
