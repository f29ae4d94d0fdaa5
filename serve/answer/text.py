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


# ----------------------------------------------------------------------------- number words
_UNIT_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TEN_WORDS = {
    w: 10 * i
    for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
    if w != "_"
}
_SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_SCALE_WORDS["trillion"] = 10**12
_ORDINAL_WORDS = {
    "first": "one", "second": "two", "third": "three", "fifth": "five", "eighth": "eight",
    "ninth": "nine", "twelfth": "twelve",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def ordinal_value(word: str) -> int | None:
    """'thirtieth' → 30, 'fifth' → 5, 'sixty-first' → 61, '30th' → 30; else None."""
    word = word.lower()
    match = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", word)
    if match:
        return int(match.group(1))
    parts = word.split("-")
    last = parts[-1]
    if last in _ORDINAL_WORDS:
        base = _ORDINAL_WORDS[last]
    elif last.endswith("ieth") and last[:-4] + "y" in _TEN_WORDS:
        base = last[:-4] + "y"
    elif last.endswith("th") and (last[:-2] in _UNIT_WORDS or last[:-2] in _SCALE_WORDS):
        base = last[:-2]
    else:
        return None
    return _parse_number_words([*parts[:-1], base])


def _parse_number_words(words: list[str]) -> int | None:
    """The value of a well-formed run of number words ("two hundred and five"), else None."""
    total, current, previous = 0, 0, None
    for index, word in enumerate(words):
        if word in ("a", "an"):
            if index != 0 or len(words) < 2 or words[1] not in _SCALE_WORDS:
                return None
            current, previous = 1, "unit"
            continue
        if word == "and":
            if previous != "scale" or index == len(words) - 1:
                return None
            continue
        if word in _UNIT_WORDS or word in _TEN_WORDS:
            value = _UNIT_WORDS.get(word, _TEN_WORDS.get(word, 0))
            if previous == "ten" and not (word in _UNIT_WORDS and 0 < value < 10):
                return None
            if previous in ("unit", "teen"):
                return None
            current += value
            previous = "ten" if word in _TEN_WORDS else "unit" if value < 10 else "teen"
            continue
        scale = _SCALE_WORDS.get(word)
        if scale is None or (previous in (None, "scale") and scale == 100):
            return None
        if scale == 100:
            if current == 0 or current >= 100:
                return None
            current *= 100
        else:
            if current == 0 or previous is None:
                return None
            total += current * scale
            current = 0
        previous = "scale"
    return total + current if previous is not None else None


def _is_number_word(word: str) -> bool:
    return word in _UNIT_WORDS or word in _TEN_WORDS or word in _SCALE_WORDS


def words_to_numbers(text: str) -> str:
    """Replace runs of English number words with digits ("sixty-one" → "61", "two hundred and
    five" → "205", "a thousand" → "1000"); each run is cut into the longest well-formed
    numbers ("one two three" → "1 2 3"). Case is ignored and kept elsewhere."""
    words = []  # (start, end, part) for every hyphen-separated part
    for match in _WORD.finditer(text):
        offset = match.start()
        for part in match.group(0).split("-"):
            words.append((offset, offset + len(part), part.lower()))
            offset += len(part) + 1
    pieces: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        best = None
        j = i
        while j < len(words):
            word = words[j][2]
            if not (_is_number_word(word) or word in ("a", "an", "and")):
                break
            if j > i and text[words[j - 1][1] : words[j][0]].strip(" -"):
                break  # something other than a space or hyphen between them
            value = _parse_number_words([w for _, _, w in words[i : j + 1]])
            if value is not None:
                best = (j, value)
            j += 1
        if best is None:
            i += 1
            continue
        end, value = best
        pieces.append((words[i][0], words[end][1], str(value)))
        i = end + 1
    for start, end, digits in reversed(pieces):
        text = text[:start] + digits + text[end:]
    return text
