"""Entities and relations: the compact state distilled from observations, each with its source.

Relations are (subject, predicate, value) triples read from structure the stages already
found: "Key: Value" lines of documents and pages, table cells (row label, column header),
chart points (series, category). Entities are typed spans — amounts, percentages, dates,
times, identifiers, e-mail addresses, URLs — merged across sources. Both are extracted with
rules (no model), so they are cheap enough to run on every escalated request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from serve.context.observations import Observation

MAX_RELATIONS_PER_OBSERVATION = 200
MAX_ENTITIES_PER_OBSERVATION = 100

_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ./#&()'-]{0,40}?)\s*[:=]\s*(\S.{0,119}?)\s*$")
_ENTITY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("url", re.compile(r"\bhttps?://[^\s<>\"')\]]+")),
    (
        "amount",
        re.compile(
            r"(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|JPY|CHF|"
            r"dollars|euros|pounds)\b)"
        ),
    ),
    ("percent", re.compile(r"\b\d+(?:\.\d+)?\s?(?:%|percent\b)")),
    (
        "date",
        re.compile(
            r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
            r"Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2}(?:st|nd|rd|"
            r"th)? (?:of )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*,? "
            r"\d{4})\b"
        ),
    ),
    ("time", re.compile(r"\b\d{1,2}:\d{2}(?:\s?[ap]\.?m\.?)?\b", re.IGNORECASE)),
    ("identifier", re.compile(r"\b[A-Z]{2,}[-/#]?\d[\w-]*\d\b|\b[A-Z]{2,}-\w+-\d+\b")),
]


@dataclass(frozen=True)
class Relation:
    """``subject`` —``predicate``→ ``value``, found at ``source``."""

    subject: str
    predicate: str
    value: str
    source: str
    confidence: float

    def render(self) -> str:
        return f"{self.source} | {self.subject} | {self.predicate} | {self.value}"


@dataclass
class Entity:
    """A typed span and every source it appears in."""

    text: str
    type: str
    sources: list[str] = field(default_factory=list)


def relations_from(observation: Observation) -> list[Relation]:
    """The triples one observation states explicitly."""
    source, confidence = observation.citation, observation.confidence
    subject = observation.source_id
    found: list[Relation] = []
    if observation.kind == "table":
        found = _table_relations(observation.data.get("rows") or [], source, confidence)
    elif observation.kind == "chart":
        found = _chart_relations(observation.data, source, confidence)
    elif observation.kind in ("page", "text", "passage", "transcript"):
        for line in observation.text.splitlines():
            match = _KEY_VALUE.match(line)
            if match and not match.group(1).lower().startswith(("http", "www")):
                key, value = match.group(1).strip(), match.group(2).strip()
                if len(key.split()) <= 6:
                    found.append(Relation(subject, key, value, source, confidence))
    return found[:MAX_RELATIONS_PER_OBSERVATION]


def _table_relations(rows: list[list], source: str, confidence: float) -> list[Relation]:
    if len(rows) < 2:
        return []
    header = [str(cell or "").strip() for cell in rows[0]]
    found = []
    for row in rows[1:]:
        cells = [str(cell or "").strip() for cell in row]
        if not cells or not cells[0]:
            continue
        for column, value in enumerate(cells[1:], start=1):
            if value and column < len(header) and header[column]:
                found.append(Relation(cells[0], header[column], value, source, confidence))
    return found


def _chart_relations(data: dict, source: str, confidence: float) -> list[Relation]:
    labels = [str(label) for label in data.get("x_labels") or []]
    unit = (data.get("y_axis") or {}).get("unit") or ""
    found = []
    for series in data.get("series") or []:
        name = series.get("name") or "value"
        for index, value in enumerate(series.get("values") or []):
            if value is None:
                continue
            label = labels[index] if index < len(labels) else str(index + 1)
            shown = f"{value}{unit}" if unit == "%" else f"{value} {unit}".strip()
            found.append(Relation(label, name, shown, source, confidence))
    return found


def entities_from(observations: list[Observation]) -> list[Entity]:
    """Typed spans across all observations, merged by (type, text), in order of appearance."""
    merged: dict[tuple[str, str], Entity] = {}
    for observation in observations:
        text = observation.text
        if observation.kind == "table":
            rows = observation.data.get("rows") or []
            text = "\n".join(" | ".join(str(c or "") for c in row) for row in rows)
        seen = 0
        claimed: list[tuple[int, int]] = []
        for kind, pattern in _ENTITY_PATTERNS:
            for match in pattern.finditer(text):
                span = match.span()
                if any(start < span[1] and span[0] < end for start, end in claimed):
                    continue  # inside an e-mail, URL or amount already taken
                claimed.append(span)
                value = match.group(0).strip().rstrip(".,;")
                entity = merged.setdefault((kind, value), Entity(value, kind))
                if observation.citation not in entity.sources:
                    entity.sources.append(observation.citation)
                seen += 1
                if seen >= MAX_ENTITIES_PER_OBSERVATION:
                    break
            if seen >= MAX_ENTITIES_PER_OBSERVATION:
                break
    return list(merged.values())
