"""Transcript normaliser for word error rate: spelled and written numbers compare equal.

"twelve" and "12", "$5" and "five dollars", "1,250" and "one thousand two hundred and fifty",
"3rd" and "third", "15%" and "fifteen percent" all normalise to the same tokens (digits), after
lower-casing and dropping punctuation. Used by the ASR benchmark and tests; small and
English-only, in the spirit of Whisper's English normaliser.
"""

from __future__ import annotations

import re
import unicodedata

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
CARDINALS: dict[str, int] = {word: n for n, word in enumerate(_UNITS)}
CARDINALS.update({word: 20 + 10 * n for n, word in enumerate(_TENS)})
SCALES: dict[str, int] = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
}
_ORDINAL_UNITS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
ORDINALS: dict[str, int] = {word: n for n, word in enumerate(_ORDINAL_UNITS)}
ORDINALS.update({word[:-1] + "ieth": 20 + 10 * n for n, word in enumerate(_TENS)})
ORDINALS.update({"hundredth": 100, "thousandth": 1_000, "millionth": 1_000_000})

_CURRENCIES = {"$": "dollars", "€": "euros", "£": "pounds"}
_SINGULAR_UNITS = {"dollar": "dollars", "cent": "cents", "euro": "euros", "pound": "pounds"}
_SPELLINGS = {"okay": "ok", "per": "per", "mister": "mr", "doctor": "dr", "versus": "vs"}

_MONEY = re.compile(r"([$€£])\s?(\d[\d,]*(?:\.\d+)?)(?:\s+(thousand|million|billion)\b)?")
_DIGIT_SCALE = re.compile(r"\b(\d+(?:\.\d+)?)\s+(thousand|million|billion)\b")
_DIGIT_GROUP_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_ORDINAL_SUFFIX = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_CLOCK = re.compile(r"\b(\d{1,2})[:.](\d{2})\s*([ap])\.?\s?m\b\.?|\b(\d{1,2}):(\d{2})\b")
_MERIDIEM = re.compile(r"\b([ap])\.\s?m\b\.?")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)*")


def _scaled(number: str, scale: str | None) -> str:
    if not scale:
        return number
    value = float(number) * SCALES[scale]
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _money(match: re.Match[str]) -> str:
    unit = _CURRENCIES[match.group(1)]
    amount = match.group(2).replace(",", "")
    if match.group(3):
        return f"{_scaled(amount, match.group(3))} {unit}"
    whole, _, fraction = amount.partition(".")
    if len(fraction) == 2:
        cents = int(fraction)
        if int(whole) == 0:
            return f"{cents} cents"
        return f"{int(whole)} {unit} {cents} cents" if cents else f"{int(whole)} {unit}"
    return f"{amount} {unit}"


def _clock(match: re.Match[str]) -> str:
    """'10:30', '10.30 a.m.' -> '10 30' / '10 30 am'."""
    if match.group(4):
        return f"{match.group(4)} {match.group(5)}"
    return f"{match.group(1)} {match.group(2)} {match.group(3)}m"


def _rewrite_written_forms(text: str) -> str:
    text = _DIGIT_GROUP_COMMA.sub("", text)
    text = _MONEY.sub(_money, text)
    text = _DIGIT_SCALE.sub(lambda m: _scaled(m.group(1), m.group(2)), text)
    text = _ORDINAL_SUFFIX.sub(r"\1", text)
    text = _CLOCK.sub(_clock, text)
    text = _MERIDIEM.sub(r"\1m", text)
    text = text.replace("%", " percent ")
    return re.sub(r"(?<=\w)-(?=\w)", " ", text)


class _NumberParser:
    """Turns runs of number words into digits; everything else passes through."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.out: list[str] = []
        self.spelled_pairs: set[int] = set()  # output positions of spelled 10..99 groups

    def run(self) -> list[str]:
        i = 0
        while i < len(self.tokens):
            i = self._number_at(i) if self._starts_number(i) else self._word_at(i)
        return self._join_year_pairs()

    def _starts_number(self, i: int) -> bool:
        token = self.tokens[i]
        if token in CARDINALS or token in ORDINALS:
            return True
        return token == "a" and self._peek(i + 1) in ("hundred", "thousand")

    def _peek(self, i: int) -> str | None:
        return self.tokens[i] if i < len(self.tokens) else None

    def _word_at(self, i: int) -> int:
        self.out.append(self.tokens[i])
        return i + 1

    def _number_at(self, i: int) -> int:
        total, current, last, used_scale = 0, 0, None, False
        while i < len(self.tokens):
            token = self.tokens[i]
            if token == "a" and last is None:
                current, last = 1, "unit"
            elif token in ORDINALS:
                value = ORDINALS[token]
                if (last in ("unit", "teen") and value < 100) or (
                    last == "tens" and 10 <= value < 100
                ):
                    break
                current = (current or 1) * value if value >= 100 else current + value
                i, last = i + 1, "ordinal"
                break
            elif token in CARDINALS:
                value = CARDINALS[token]
                kind = "tens" if value >= 20 else ("teen" if value >= 10 else "unit")
                if last in ("unit", "teen") or (last == "tens" and kind != "unit"):
                    break
                current += value
                last = kind
            elif token in SCALES and last is not None:
                used_scale = True
                if token == "hundred":
                    current = (current or 1) * 100
                else:
                    total += (current or 1) * SCALES[token]
                    current = 0
                last = "scale"
            elif token == "and" and last == "scale" and self._continues_number(i + 1):
                pass
            elif token == "point" and last is not None and self._peek(i + 1) in CARDINALS:
                i, fraction = self._fraction(i + 1)
                scale = self._peek(i) if self._peek(i) in SCALES else None
                self.out.append(_scaled(f"{total + current}.{fraction}", scale))
                return i + 1 if scale else i
            else:
                break
            i += 1
        value = total + current
        if not used_scale and last != "ordinal" and 10 <= value <= 99:
            self.spelled_pairs.add(len(self.out))
        self.out.append(str(value))
        return i

    def _continues_number(self, i: int) -> bool:
        token = self._peek(i)
        return token in CARDINALS or token in ORDINALS

    def _fraction(self, i: int) -> tuple[int, str]:
        digits = []
        while i < len(self.tokens) and CARDINALS.get(self.tokens[i], 10) < 10:
            digits.append(str(CARDINALS[self.tokens[i]]))
            i += 1
        return i, "".join(digits) or "0"

    def _join_year_pairs(self) -> list[str]:
        """'nineteen eighty four' -> 1984, 'twenty twenty four' -> 2024; not clock times
        ('ten thirty', 'eleven thirty am')."""
        joined: list[str] = []
        k = 0
        while k < len(self.out):
            if self._is_year_pair(k):
                joined.append(str(int(self.out[k]) * 100 + int(self.out[k + 1])))
                k += 2
                continue
            joined.append(self.out[k])
            k += 1
        return joined

    def _is_year_pair(self, k: int) -> bool:
        if k not in self.spelled_pairs or k + 1 not in self.spelled_pairs:
            return False
        following = self.out[k + 2] if k + 2 < len(self.out) else None
        return self.out[k] in ("19", "20") and following not in ("am", "pm", "o'clock")


def _money_words(tokens: list[str]) -> list[str]:
    """'5 dollar and 20 cent' -> '5 dollars 20 cents'."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        token = _SINGULAR_UNITS.get(token, token)
        if (
            token == "and"
            and out
            and out[-1] in ("dollars", "euros", "pounds")
            and i + 2 < len(tokens)
            and tokens[i + 2] in ("cents", "cent", "pence")
        ):
            continue
        out.append(token)
    return out


def normalize_transcript(text: str) -> str:
    """Lower-case words and digits, numbers canonical, punctuation gone."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    text = _rewrite_written_forms(text)
    tokens = _TOKEN.findall(text)
    tokens = _NumberParser(tokens).run()
    tokens = _money_words(tokens)
    return " ".join(_SPELLINGS.get(token, token) for token in tokens)
