"""A small semantic parser: arithmetic and counting questions → a query over a grammar.

Sets of positive integers (integers, primes, squares, cubes, Fibonacci and triangular numbers,
multiples) with adjectives (odd, even, prime, n-digit), ranges ("from a to b", "below n",
"at most n") and filters ("divisible by k or m", "that are not prime"); aggregates over them
(sum, product, mean, max, min, optionally of their squares/cubes), counts, and the k-th element;
functions of exact integers (factorial, gcd/lcm, binomial, digit sums and counts, prime
factors, divisors, primality); and date questions (days/weeks between, weekday, shifts).

The grammar must consume the whole question (fillers such as "what is" aside): a word it does
not know means no parse, never a guess. An ambiguous date (03/04/2024) gives two readings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from serve.answer.compute import ComputeError, evaluate, rewrite
from serve.answer.text import ordinal_value, words_to_numbers


class NoParse(ValueError):
    """The question is not in the grammar."""


_MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november "
        "december".split(),
        start=1,
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = [
    # (regex, function of the match -> list of readings (y, m, d))
    (
        re.compile(rf"\b({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b"),
        lambda m: [(int(m[3]), _MONTHS[m[1]], int(m[2]))],
    ),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH_RE})\.?,? (\d{{4}})\b"),
        lambda m: [(int(m[3]), _MONTHS[m[2]], int(m[1]))],
    ),
    (
        re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"),
        lambda m: [(int(m[1]), int(m[2]), int(m[3]))],
    ),
    (
        re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"),
        lambda m: [(int(m[3]), int(m[1]), int(m[2])), (int(m[3]), int(m[2]), int(m[1]))],
    ),
]


def _valid_dates(readings: list[tuple[int, int, int]]) -> list[dt.date]:
    out = []
    for year, month, day in readings:
        try:
            date = dt.date(year, month, day)
        except ValueError:
            continue
        if date not in out:
            out.append(date)
    return out


def _take_dates(text: str) -> tuple[str, list[list[dt.date]]]:
    """Replace every date with ``@dN``; returns the text and each date's readings."""
    found: list[list[dt.date]] = []

    def sub(pattern_fn):
        pattern, fn = pattern_fn

        def repl(match: re.Match[str]) -> str:
            readings = _valid_dates(fn(match))
            if not readings:
                raise NoParse(f"not a date: {match.group(0)}")
            found.append(readings)
            return f"@d{len(found) - 1}"

        return pattern, repl

    for pattern, repl in map(sub, _DATE_PATTERNS):
        text = pattern.sub(repl, text)
    return text, found


_LEAD = re.compile(
    r"^(?:(?:ok|so|please|hey|now)[, ]+)*(?:(?:can|could|would) you (?:please )?"
    r"(?:tell me|calculate|compute|find|work out|determine|give me)|please|tell me|"
    r"calculate|compute|find|determine|evaluate|work out|give me|i need|i want to know|"
    r"what(?:'s| is| are| was| will be| would be)|whats|which is)?\s*"
    r"(?:(?:exactly|precisely)\s+)?(?:the (?:value|result|answer) of\s+)?"
)
_TRAIL = re.compile(
    r"\s*(?:,?\s*(?:exactly|please|in total|altogether|in all|inclusive|inclusively|"
    r"precisely))*\s*[?.!]*\s*$"
)


_SCALES = {"thousand": 1000, "million": 10**6, "billion": 10**9}


def _scaled(match: re.Match[str]) -> str:
    value = Fraction(match.group(1)) * _SCALES[match.group(2)]
    return str(value.numerator) if value.denominator == 1 else match.group(0)


def normalize_question(question: str) -> str:
    """Lower case, numbers as digits, no thousands separators or leading/trailing fillers."""
    text = question.lower().strip().replace("’", "'")
    text = re.sub(r"[\u2013\u2014]", "-", text)
    text = words_to_numbers(text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = re.sub(r"\b(\d+(?:\.\d+)?) (thousand|million|billion)\b", _scaled, text)
    text = re.sub(r"\s+", " ", text).strip()
    text = _TRAIL.sub("", text)
    text = _LEAD.sub("", text, count=1)
    return _TRAIL.sub("", text).strip()


# ---------------------------------------------------------------- numbers (exact integers)
_FUNCTION_PHRASES = [
    (re.compile(r"^(?:the )?factorial of (.+)$"), "factorial"),
    (re.compile(r"^(.+?) factorial$"), "factorial"),
    (re.compile(r"^(\d+) ?!$"), "factorial"),
]


def parse_integer(text: str) -> tuple[str, Any]:
    """An exact integer expression: a number, arithmetic, or a factorial of one.

    Returns a small AST: ("int", value) or ("factorial", ast)."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return ("int", int(text))
    for pattern, kind in _FUNCTION_PHRASES:
        match = pattern.fullmatch(text)
        if match:
            return (kind, parse_integer(match.group(1)))
    if not re.search(r"\d", text):
        raise NoParse(f"not a number: {text!r}")
    expr = rewrite(text).strip()
    if re.search(r"[a-z]", re.sub(r"\b(sqrt|cbrt|abs)\b", "", expr)):
        raise NoParse(f"not arithmetic: {text!r}")
    try:
        value = evaluate(expr)
    except (ComputeError, SyntaxError, ZeroDivisionError, ValueError, OverflowError) as exc:
        raise NoParse(str(exc)) from None
    if value.denominator != 1:
        raise NoParse("not an integer")
    return ("int", value.numerator)


# ------------------------------------------------------------------------------ sets
@dataclass
class SetSpec:
    """A set of positive integers: a base sequence, filters, bounds and an optional limit."""

    base: str = "integers"  # integers | primes | squares | cubes | fibonacci | triangular
    filters: list[tuple[str, Any]] = field(default_factory=list)  # (kind, arg)
    lo: int | None = None  # inclusive
    hi: int | None = None  # inclusive
    limit: int | None = None  # the first N
    distinct: bool = False  # Fibonacci: the value 1 once, not twice


_NUM = r"(\d+)"
_BASE_NOUNS = [
    (r"prime numbers|primes", "primes"),
    (r"perfect squares|square numbers|squares", "squares"),
    (r"perfect cubes|cube numbers|cubes", "cubes"),
    (r"fibonacci numbers|terms of the fibonacci sequence|fibonacci terms", "fibonacci"),
    (r"triangular numbers|triangle numbers", "triangular"),
    (
        r"positive integers|positive whole numbers|natural numbers|whole numbers|integers|numbers"
        r"|positive numbers",
        "integers",
    ),
]
_SINGULAR_NOUNS = [
    (r"prime number|prime", "primes"),
    (r"perfect square|square number|square", "squares"),
    (r"perfect cube|cube number|cube", "cubes"),
    (
        r"fibonacci number|term of the fibonacci sequence|term in the fibonacci sequence|"
        r"fibonacci term|number in the fibonacci sequence|fibonacci",
        "fibonacci",
    ),
    (r"triangular number|triangle number", "triangular"),
    (r"positive integer|natural number|whole number|integer|number", "integers"),
]
_ADJECTIVES = [
    (r"prime", ("prime", None)),
    (r"odd", ("odd", None)),
    (r"even", ("even", None)),
    (r"composite", ("composite", None)),
    (r"positive", None),
    (r"(\d)-digit", "digits"),
    (r"palindromic", ("palindrome", None)),
]
_MULTIPLES = re.compile(rf"^(?:the )?multiples of {_NUM}((?:(?:,| or| and| or of)+ ?\d+)*)")
_RANGES = [
    (re.compile(rf"^(?:from|starting at|starting from) {_NUM} (?:to|through|until|up to) {_NUM}"),
     lambda m: (int(m[1]), int(m[2]))),
    (re.compile(rf"^between {_NUM} and {_NUM}"), lambda m: (int(m[1]), int(m[2]))),
    (re.compile(rf"^in the range (?:of |from )?{_NUM} (?:to|through|-) {_NUM}"),
     lambda m: (int(m[1]), int(m[2]))),
    (re.compile(rf"^{_NUM} (?:to|through) {_NUM}"), lambda m: (int(m[1]), int(m[2]))),
    (re.compile(rf"^(?:that are |which are )?(?:less than or equal to|at most|not exceeding|"
                rf"up to|no (?:more|greater|larger) than|not greater than|<=) {_NUM}"),
     lambda m: (None, int(m[1]))),
    (re.compile(rf"^(?:that are |which are )?(?:below|under|less than|smaller than|lower than|"
                rf"<) {_NUM}"),
     lambda m: (None, int(m[1]) - 1)),
    (re.compile(rf"^(?:that are |which are )?(?:greater than or equal to|at least|>=|"
                rf"no (?:less|smaller) than) {_NUM}"),
     lambda m: (int(m[1]), None)),
    (re.compile(rf"^(?:that are |which are )?(?:above|over|greater than|more than|larger than|"
                rf"bigger than|>) {_NUM}"),
     lambda m: (int(m[1]) + 1, None)),
]  # fmt: skip
_FILTER_INTRO = r"(?:(?:that|which|who) (?:are|is) |are |is |that |which )?"
_FILTERS = [
    (re.compile(rf"^{_FILTER_INTRO}(not )?(?:evenly )?divisible by {_NUM}"
                rf"((?:(?:,| or| and)+ (?:by )?\d+)*)"), "divisible"),
    (re.compile(rf"^{_FILTER_INTRO}(not )?(?:a )?multiples? of {_NUM}((?:(?:,| or| and)+ \d+)*)"),
     "divisible"),
    (re.compile(rf"^{_FILTER_INTRO}(not )?(prime|odd|even|composite|palindromes?|palindromic|"
                r"perfect squares?)(?: numbers?)?"), "property"),
]  # fmt: skip
_SET_FILLERS = re.compile(
    r"^(?:are there|there are|exist|are|is there|do we have|inclusive|inclusively|in total|"
    r"combined|together|all together|altogether|in all|,|and)\b ?"
)


def _divisor_list(first: str, rest: str) -> tuple[list[int], str]:
    numbers = [int(first), *map(int, re.findall(r"\d+", rest or ""))]
    joiner = "and" if re.search(r"\band\b", rest or "") and " or" not in (rest or "") else "or"
    return numbers, joiner


def parse_set(text: str, *, singular: bool = False) -> SetSpec:
    """A set description, consumed to the end (else NoParse)."""
    spec = SetSpec()
    rest = text.strip()
    rest = re.sub(r"^(?:of )?(?:all )?(?:of )?(?:the )?", "", rest)
    match = re.match(rf"^(?:first|initial) {_NUM} ", rest)
    if match:
        spec.limit = int(match.group(1))
        rest = rest[match.end() :]
    # adjectives before the noun
    while True:
        for pattern, effect in _ADJECTIVES:
            match = re.match(rf"^{pattern} (?=\w)", rest)
            if match:
                if effect == "digits":
                    width = int(match.group(1))
                    spec.lo, spec.hi = 10 ** (width - 1), 10**width - 1
                elif effect is not None:
                    spec.filters.append(effect)
                rest = rest[match.end() :]
                break
        else:
            break
    match = _MULTIPLES.match(rest)
    if match:
        numbers, joiner = _divisor_list(match.group(1), match.group(2))
        spec.filters.append(("divisible", (numbers, joiner, False)))
        rest = rest[match.end() :]
    else:
        nouns = _SINGULAR_NOUNS if singular else _BASE_NOUNS
        for pattern, base in nouns:
            match = re.match(rf"^(?:{pattern})\b", rest)
            if match:
                spec.base = base
                rest = rest[match.end() :]
                break
        else:
            if spec.filters and spec.filters[-1] == ("prime", None):
                spec.filters.pop()  # "the largest prime below 1000": the adjective was the noun
                spec.base = "primes"
            elif not any(pattern.match(rest) for pattern, _ in _RANGES[:4]):
                raise NoParse(f"no set noun in {rest!r}")
            # "the sum of 1 to 100": a bare range is a range of integers
    if ("prime", None) in spec.filters and spec.base == "integers":
        spec.filters.remove(("prime", None))
        spec.base = "primes"
    # ranges, filters and fillers after the noun, in any order
    while rest.strip():
        rest = rest.strip()
        for pattern, bounds in _RANGES:
            match = pattern.match(rest)
            if match:
                lo, hi = bounds(match)
                spec.lo = lo if lo is not None else spec.lo
                spec.hi = hi if hi is not None else spec.hi
                rest = rest[match.end() :]
                break
        else:
            for pattern, kind in _FILTERS:
                match = pattern.match(rest)
                if match:
                    negate = bool(match.group(1))
                    if kind == "divisible":
                        numbers, joiner = _divisor_list(match.group(2), match.group(3))
                        spec.filters.append(("divisible", (numbers, joiner, negate)))
                    else:
                        word = match.group(2).split()[-1].rstrip("s")
                        word = {"palindromic": "palindrome", "square": "square"}.get(word, word)
                        spec.filters.append((f"not_{word}" if negate else word, None))
                    rest = rest[match.end() :]
                    break
            else:
                match = _SET_FILLERS.match(rest)
                if not match or not match.group(0):
                    raise NoParse(f"unparsed words in the set: {rest!r}")
                rest = rest[match.end() :]
    return spec


# --------------------------------------------------------------------------- questions
@dataclass
class Query:
    """What is asked about a set or numbers; ``kind`` selects the program template."""

    kind: str
    spec: SetSpec | None = None
    args: list[Any] = field(default_factory=list)


_AGGREGATES = {
    "sum": "sum", "total": "sum", "product": "product", "average": "mean", "mean": "mean",
    "arithmetic mean": "mean", "largest": "max", "maximum": "max", "biggest": "max",
    "greatest": "max", "smallest": "min", "minimum": "min", "least": "min",
}  # fmt: skip
_AGG_RE = "|".join(sorted(_AGGREGATES, key=len, reverse=True))
_MAPS = {"squares": "square", "cubes": "cube", "square": "square", "cube": "cube"}


_THINGS = r"(?:items|things|objects|elements|people|cards|books|balls|letters|numbers)"
_CHOOSE = [
    re.compile(r"(?:the )?(?:binomial coefficient )?(?P<n>.+?) choose (?P<k>.+)"),
    re.compile(r"(?:the )?(?:binomial coefficient )?c\((?P<n>\d+), ?(?P<k>\d+)\)"),
    re.compile(
        r"(?:the )?(?:number of|how many) (?:different |distinct )?(?:ways|combinations)"
        r" (?:are there )?(?:to|can you|can we|can one|could you|of)"
        rf" (?:choose|select|pick|choosing|selecting|picking) (?P<k>\d+) (?:{_THINGS} )?"
        rf"(?:from|out of|among) (?:a (?:set|group) of )?(?P<n>\d+)(?: {_THINGS})?"
    ),
]


def _queries(text: str, dates: list[list[dt.date]]) -> list[Query]:
    """Every reading of the normalized question (one, or several when a date is ambiguous)."""
    # ---- dates
    match = re.fullmatch(
        r"how many (days|weeks) (?:are there |have passed |passed |elapsed |is it |will it be )?"
        r"(?:between|from) @d(\d+) (?:and|to|until|till) @d(\d+)",
        text,
    )
    if match:
        first, second = dates[int(match[2])], dates[int(match[3])]
        readings = [(a, b) for a, b in zip(_pad(first, second), _pad(second, first), strict=True)]
        return [Query(f"{match[1]}_between", None, list(pair)) for pair in readings]
    match = re.fullmatch(
        r"(?:what|which) day of the week (?:was|is|will be|did|does|falls on|fell on)?\s*"
        r"@d(\d+)(?: (?:fall on|fall|be|on))?|(?:on )?what day (?:was|is|will be) @d(\d+)",
        text,
    )
    if match:
        index = int(match[1] if match[1] is not None else match[2])
        return [Query("weekday", None, [d]) for d in dates[index]]
    match = re.fullmatch(
        r"(?:what|which) (?:date|day) (?:is|was|will it be|will be|would be) (\d+) (days|weeks) "
        r"(after|before|from) @d(\d+)",
        text,
    )
    if match:
        days = int(match[1]) * (7 if match[2] == "weeks" else 1)
        sign = -1 if match[3] == "before" else 1
        return [Query("date_shift", None, [d, sign * days]) for d in dates[int(match[4])]]
    if "@d" in text:
        raise NoParse("a date outside the date questions")
    query = _query(text)
    spec = query.spec
    if (
        spec is not None
        and spec.base == "fibonacci"
        and query.kind in ("count", "aggregate")
        and spec.limit is None
        and (spec.lo or 1) <= 1
    ):  # are 1 and 1 two Fibonacci numbers or one? Both readings; they must agree.
        twin = Query(query.kind, replace(spec, distinct=True), list(query.args))
        return [query, twin]
    return [query]


def _pad(a: list[dt.date], b: list[dt.date]) -> list[dt.date]:
    """Readings of one date aligned with another's (ambiguities give extra readings)."""
    return a + [a[-1]] * max(0, len(b) - len(a))


def _query(text: str) -> Query:
    # ---- number functions
    match = re.fullmatch(
        r"(?:the )?(?:greatest common divisor|greatest common factor|highest common factor|"
        r"gcd|gcf|hcf|(?P<lcm>least common multiple|lowest common multiple|lcm))"
        r" of (?P<args>.+)",
        text,
    )
    if match:
        parts = re.split(r",? and |, ", match["args"])
        if len(parts) < 2:
            raise NoParse("gcd/lcm needs two numbers")
        return Query("lcm" if match["lcm"] else "gcd", None, [parse_integer(p) for p in parts])
    for pattern in _CHOOSE:
        match = pattern.fullmatch(text)
        if match:
            try:
                args = [parse_integer(match["n"]), parse_integer(match["k"])]
            except NoParse:
                continue
            return Query("choose", None, args)
    match = re.fullmatch(
        r"(?:the )?(?:sum of (?:the |all the |all )?digits|digit sum) (?:of|in) (.+)", text
    )
    if match:
        return Query("digit_sum", None, [parse_integer(match[1])])
    match = re.fullmatch(
        r"(?:the )?number of digits (?:of|in) (.+)|how many digits (?:does|do|are there in|are in"
        r"|is|are) (.+?)(?: have| has| contain)?",
        text,
    )
    if match:
        return Query("digit_count", None, [parse_integer(match[1] or match[2])])
    match = re.fullmatch(
        r"(?:the )?(largest|greatest|biggest|highest|smallest|lowest|least) prime (?:factor|"
        r"divisor) of (.+)",
        text,
    )
    if match:
        largest = match[1] in ("largest", "greatest", "biggest", "highest")
        kind = "max_prime_factor" if largest else "min_prime_factor"
        return Query(kind, None, [parse_integer(match[2])])
    match = re.fullmatch(
        r"(?:the )?number of (?:positive )?(?:divisors|factors) (?:of|does) (.+?)(?: have)?|"
        r"how many (?:positive )?(?:divisors|factors) (?:does|do|has) (.+?)(?: have| has)?",
        text,
    )
    if match:
        return Query("divisor_count", None, [parse_integer(match[1] or match[2])])
    match = re.fullmatch(
        r"(?:the )?sum of (?:the |all the |all )?(proper )?(?:positive )?(?:divisors|factors)"
        r" of (.+)",
        text,
    )
    if match:
        return Query("divisor_sum", None, [parse_integer(match[2]), bool(match[1])])
    match = re.fullmatch(r"(?:is|was) (.+?) (?:a )?prime(?: number)?|(?:is|was) (.+?) prime", text)
    if match:
        return Query("is_prime", None, [parse_integer(match[1] or match[2])])
    match = re.fullmatch(r"(?:the )?factorial of (.+)|(.+?) factorial|(\d+) ?!", text)
    if match:
        return Query("value", None, [parse_integer(text)])
    # ---- the k-th element of a set
    match = re.fullmatch(
        r"(?:the )?(\d+(?:st|nd|rd|th)|[a-z]+(?:-[a-z]+)?) (?:term|element|number|member|value)"
        r" (?:of|in) (?:the )?(.+?)(?: sequence| series| list)?",
        text,
    ) or re.fullmatch(r"(?:the )?(\d+(?:st|nd|rd|th)|[a-z]+(?:-[a-z]+)?) (.+)", text)
    if match and ordinal_value(match[1]) is not None:
        k = ordinal_value(match[1])
        body = match[2]
        body = re.sub(r"^fibonacci$", "fibonacci number", body)
        body = re.sub(r"^(?:fibonacci|prime|triangular|square) (?:sequence|series)$",
                      lambda m: m[0].split()[0] + " number", body)  # fmt: skip
        try:
            spec = parse_set(body, singular=True)
        except NoParse:
            spec = parse_set(body)
        if spec.limit is not None:
            raise NoParse("an ordinal and a limit")
        return Query("nth", spec, [k])
    # ---- aggregates and counts over a set
    match = re.fullmatch(
        rf"(?:the )?({_AGG_RE}) (?:value )?(?:of |among |in )?(?:all )?(?:the )?"
        rf"(?:(squares|cubes) of (?:all )?(?:the )?)?(.+)",
        text,
    )
    if match:
        aggregate = _AGGREGATES[match[1]]
        try:
            spec = parse_set(match[3])
        except NoParse:
            if aggregate not in ("max", "min"):
                raise
            spec = parse_set(match[3], singular=True)  # "the largest prime below 1000"
        if aggregate == "min" and not match[2] and spec.hi is None and spec.limit is None:
            return Query("nth", spec, [1])  # every set here is increasing: its first element
        return Query("aggregate", spec, [aggregate, _MAPS.get(match[2] or "")])
    match = re.fullmatch(
        r"(?:how many|count|(?:the )?(?:number|count|amount) of) (?:the |all the |all )?(.+)",
        text,
    )
    if match:
        return Query("count", parse_set(match[1]), [])
    raise NoParse("not in the grammar")


def parse(question: str) -> list[Query]:
    """Every reading of ``question`` in the grammar (raises NoParse when it is not in it)."""
    text = normalize_question(question)
    text, dates = _take_dates(text)
    return _queries(text, dates)
