"""Document pages as lines of segments, and the typed values and labels found in them.

A page observation's text has one visual row per line; a tab marks a wide gap (a column
break, a label far from its value). Each line keeps its block's height when the OCR result
gives boxes, so headings can be told from body text.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from serve.answer.text import normalize
from serve.answer.types import AnswerType, answer_type_matches
from serve.context.observations import Observation

PAGE_KINDS = ("page", "text", "passage")
# Segments of a line: tabs, wide gaps, and dot leaders ("Invoice number ........ INV-4471").
_SPLIT = re.compile(r"\t+| {3,}|\s*[.·]{4,}\s*|\s*[_]{4,}\s*")


@dataclass
class Line:
    """One visual row of a page: its segments, position and (when known) text height."""

    text: str
    segments: list[str]
    index: int
    page: Observation
    height: float | None = None
    confidence: float | None = None  # the OCR's, when blocks match the lines
    top: float | None = None  # where on the page (share of its height, 0 = top edge)

    @property
    def sureness(self) -> float:
        """How surely the line was read: its own OCR confidence, else the page's."""
        if self.confidence is not None:
            return min(self.confidence, 1.0)
        return min(self.page.confidence, 1.0)

    @property
    def first_page(self) -> bool:
        return self.page.data.get("page", 1) in (1, None)


def page_lines(observation: Observation) -> list[Line]:
    """The lines of a page observation, with block heights when blocks match the lines."""
    raw = [line.strip() for line in observation.text.splitlines()]
    blocks = observation.data.get("blocks") or []
    heights: list[float | None] = [None] * len(raw)
    sureness: list[float | None] = [None] * len(raw)
    tops: list[float | None] = [None] * len(raw)
    page_height = observation.data.get("height")
    if len(blocks) == len(raw):
        for i, block in enumerate(blocks):
            if not isinstance(block, dict):
                continue
            box = block.get("bbox")
            if box:
                heights[i] = float(box[3]) - float(box[1])
                if page_height:
                    tops[i] = float(box[1]) / float(page_height)
            if block.get("confidence") is not None:
                sureness[i] = float(block["confidence"])
    lines = []
    for index, text in enumerate(raw):
        if not text:
            continue
        segments = [s.strip() for s in _SPLIT.split(text) if s.strip()]
        line = Line(text, segments, index, observation, heights[index], sureness[index])
        line.top = tops[index]
        lines.append(line)
    return lines


def pages_of(observations: list[Observation]) -> list[list[Line]]:
    return [page_lines(o) for o in observations if o.kind in PAGE_KINDS and o.text.strip()]


_DESCENDERS = re.compile(r"[gjpqy,;()\[\]{}|]")


def median_height(lines: list[Line]) -> float | None:
    """The typical line height, from lines without descenders (so that an all-capitals
    heading and a body line are measured alike: cap or ascender height)."""
    heights = [line.height for line in lines if line.height and not _DESCENDERS.search(line.text)]
    heights = heights or [line.height for line in lines if line.height]
    return statistics.median(heights) if heights else None


def line_height(line: Line) -> float | None:
    """A line's height comparable with :func:`median_height` (descenders discounted)."""
    if not line.height:
        return None
    return line.height * (0.8 if _DESCENDERS.search(line.text) else 1.0)


# ----------------------------------------------------------------------------- typed spans

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE_SPAN = re.compile(
    rf"(?<![\w/.-])(?:\d{{4}}([-/.])\d{{1,2}}\1\d{{1,2}}"
    rf"|\d{{1,2}}([-/.])\d{{1,2}}\2\d{{2,4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ -](?:{_MONTHS})\.?,?[ -]\d{{2,4}}"
    rf"|(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})(?![\w/-])",
    re.IGNORECASE,
)
_CODES = r"USD|EUR|GBP|RM|MYR|SGD|AUD|CAD|CHF|JPY|INR|IDR|Rp"
_CURRENCY = rf"(?:[$€£¥₹]|\b(?:{_CODES})\b\.?)"
# A number starts after a currency sign or code ("RM1.38", "$ 5") or after no word character.
_START = rf"(?:(?:[$€£¥₹]|\b(?:{_CODES})\.?)\s?|(?<![\w.,-]))"
AMOUNT_SPAN = re.compile(
    rf"{_START}-?(?:\d{{1,3}}(?:[,.' ]\d{{3}})+|\d+)(?:[.,]\d{{1,2}})?"
    rf"(?![\w]|[.,-]\d)(?:\s?{_CURRENCY})?",
    re.IGNORECASE,
)
MONEY_SPAN = re.compile(
    rf"{_START}-?(?:\d{{1,3}}(?:,\d{{3}})+|\d*)[.,]\d{{2}}(?![\w]|[.,-]\d)(?:\s?{_CURRENCY})?",
    re.IGNORECASE,
)
ID_SPAN = re.compile(r"(?<![\w#/-])#?(?=[\w/#-]*\d)[A-Za-z0-9][\w/#.-]*[A-Za-z0-9](?![\w/-])")


# A date whose year runs into the time after it: "30-04-201819:50:14", "24 Mar 1809:12:41"
# (no year is followed by a colon, so the year is the digits before the time's hour).
_GLUED_TIME = re.compile(
    rf"((?:\d{{1,2}}([-/.])\d{{1,2}}\2|\d{{1,2}}[ -](?:{_MONTHS})\.?[ -])(?:\d{{4}}|\d{{2}}))"
    rf"(?=\d{{1,2}}:\d\d)",
    re.IGNORECASE,
)


def unglue_time(text: str) -> str:
    """A date and its time read as one token ("30-04-201819:50:14") pulled apart."""
    return _GLUED_TIME.sub(r"\1 ", text)


def despace(text: str) -> str:
    """Letter-spaced print read as single characters ("R M 1. 3 8" → "RM1.38")."""
    return re.sub(
        r"(?<!\S)(?:\S{1,2} ){2,}\S{1,2}(?!\S)", lambda m: m.group(0).replace(" ", ""), text
    )


def typed_span(value: str, kind: AnswerType) -> str | None:
    """The part of ``value`` that is of type ``kind`` (a date in "due 1 Jul 2026", the last
    amount of "2 x 3.50 7.00"); the value itself for names and free text; None if none."""
    value = re.sub(r"\s+", " ", value).strip(" :;,|")
    if not value:
        return None
    if kind is AnswerType.DATE:
        match = DATE_SPAN.search(unglue_time(value))
        return match.group(0) if match else None
    if kind is AnswerType.AMOUNT:
        value = despace(value)
        value = re.sub(r"[@(]?\d+(?:\.\d+)?\s?%\)?", " ", value)  # rates are not sums
        value = re.sub(r"(?<=\d) ?([.,]) ?(?=\d)", r"\1", value)  # OCR's "205. 97"
        value = re.sub(r"^(\D*\d{1,6}) (\d\d)(?!\S)", r"\1.\2", value)  # "10 94": point lost
        found = MONEY_SPAN.findall(value) or AMOUNT_SPAN.findall(value)
        return found[-1].strip() if found else None
    if kind is AnswerType.QUANTITY:
        found = AMOUNT_SPAN.findall(value)
        return found[0].strip() if found and answer_type_matches(kind, found[0]) else None
    if kind is AnswerType.IDENTIFIER:
        grouped = re.fullmatch(r"\d{2,6}(?: \d{2,6}){1,4}", value.strip())
        if grouped:  # "314 800 9620": an account number printed in groups is one code
            return grouped.group(0)
        # "26 Jun 2020" holds no "26", "$12,847.59" no "12": dates and sums are not codes.
        dates = [m.span() for m in DATE_SPAN.finditer(value)]
        dates += [m.span() for m in MONEY_SPAN.finditer(value)]
        for match in ID_SPAN.finditer(value):
            token = match.group(0)
            inside = any(a <= match.start() and match.end() <= b for a, b in dates)
            if answer_type_matches(kind, token) and not DATE_SPAN.fullmatch(token) and not inside:
                return token
        return None
    return value if answer_type_matches(kind, value) else None


# ----------------------------------------------------------------------------- labels

# Words that make up field labels on business documents.
LABEL_VOCABULARY = frozenset(
    """invoice inv bill receipt statement order purchase po delivery note quote quotation
    no no. number num nr # id ref reference code account acct customer client date dated
    issued issue due payment pay by terms term total subtotal sub grand net nett gross amount
    amt balance closing opening tax vat gst sales rate discount rounding rounded cash change
    tendered paid payable to from seller vendor supplier buyer billed ship sold deliver recipient
    consignee attention attn remit merchant cashier table pax time tel phone fax email e-mail
    page of qty quantity price unit units description item items hours service charge charges
    fee fees deposit document doc reg registration incl excl inclusive exclusive before after
    summary period usage bill-to ship-to adjustment adj rm usd eur gbp sgd myr aud""".split()
)


def label_words(text: str) -> list[str]:
    return re.findall(r"[a-z#]+\.?|#", normalize(text).rstrip(":"))


_STEMS = tuple(sorted(w for w in LABEL_VOCABULARY if len(w) >= 4))


def _known_label_word(word: str) -> bool:
    """A label word, or a form of one ("excluded" of "excl", "totals" of "total")."""
    word = word.rstrip(".")
    return word in LABEL_VOCABULARY or (len(word) >= 4 and word.startswith(_STEMS))


def is_label(text: str) -> bool:
    """A field label: "Invoice No.", "BILL TO", "Due date:", "NUMBER" (not a value)."""
    # "VAT 20%", "GST06%", "VAT at 10%", "Tax @ 8%": the rate is part of the label
    stripped = re.sub(r"(?:\bat\s+|@\s*)?[(]?\d+(?:\.\d+)?\s?%\)?", "", text).strip()
    if not stripped or len(stripped) > 40 or re.search(r"\d", stripped.rstrip(":")):
        return False
    words = label_words(stripped)
    if not words or len(words) > 5:
        return False
    known = sum(_known_label_word(w) for w in words)
    if stripped.endswith(":") and len(words) <= 4:
        return True
    return known == len(words) or (known >= 1 and len(words) <= 2 and stripped.isupper())


def split_label(segment: str) -> tuple[str, str] | None:
    """``Key: Value`` or ``Key # Value`` in one segment → (key, value); value may be empty."""
    match = re.match(r"^([^:：]{1,40}?)\s*[:：]\s*(.*)$", segment)
    if match and re.search(r"[A-Za-z]", match.group(1)):
        key = match.group(1).strip()
        if not re.fullmatch(r"\d{1,2}", key):  # "10:40" is a time, not a key
            return key, match.group(2).strip()
    return None
