"""Table cell lookup: row label × column header, plus highest/lowest/sum over a column."""

from __future__ import annotations

import re
from decimal import Decimal

from serve.answer.base import Answer
from serve.answer.text import content_tokens, format_number, normalize, overlap, parse_number
from serve.context.observations import Observation

_MAX = re.compile(r"\b(highest|largest|most|maximum|max|biggest|top|greatest|peak)\b")
_MIN = re.compile(r"\b(lowest|smallest|least|minimum|min|fewest|bottom)\b")
_SUM = re.compile(r"\b(sum|total of|add up|combined)\b")
_COUNT = re.compile(r"\bhow many (rows|items|lines|entries|products)\b")


# Header words and the ways questions ask for them.
HEADER_SYNONYMS = {
    "qty": ("quantity", "units", "pieces", "pcs", "count", "many"),
    "quantity": ("qty", "units", "pieces", "pcs", "count", "many"),
    "amount": ("cost", "price", "total", "value", "much"),
    "price": ("cost", "unit", "much", "rate"),
    "total": ("amount", "sum", "cost"),
    "description": ("item", "product", "service"),
    "item": ("description", "product", "service"),
}


def expand(question_tokens: list[str]) -> list[str]:
    """Question tokens plus the header words they stand for."""
    expanded = list(question_tokens)
    for header, synonyms in HEADER_SYNONYMS.items():
        if any(t in synonyms for t in question_tokens):
            expanded.append(header)
    return expanded


def _best_index(question_tokens: list[str], labels: list[str]) -> tuple[int | None, float]:
    scored = [(overlap(question_tokens, label), i) for i, label in enumerate(labels) if label]
    if not scored:
        return None, 0.0
    score, index = max(scored)
    return (index, score) if score > 0 else (None, 0.0)


def _numeric_column(rows: list[list[str]], column: int) -> list[tuple[int, Decimal]]:
    values = []
    for r, row in enumerate(rows):
        if column < len(row):
            number = parse_number(str(row[column]))
            if number is not None:
                values.append((r, number))
    return values


def answer_table(question: str, rows: list[list[str]]) -> tuple[str, float, dict] | None:
    """(answer, score, details) for one table whose first row is the header."""
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    header = [str(c or "") for c in rows[0]]
    body = [[str(c or "") for c in row] for row in rows[1:]]
    q = expand(content_tokens(question) + (["many"] if "how many" in normalize(question) else []))
    column, column_score = _best_index(q, header)
    row, row_score = _best_index(q, [r[0] for r in body])
    lowered = normalize(question)
    if _COUNT.search(lowered):
        return str(len(body)), 0.85, {"op": "count"}
    numeric_columns = [c for c in range(1, len(header)) if len(_numeric_column(body, c)) >= 2]
    if column is None or column == 0:
        column = numeric_columns[-1] if numeric_columns and row is None else column
    for pattern, op in ((_MAX, "max"), (_MIN, "min")):
        if pattern.search(lowered) and column is not None and column > 0:
            values = _numeric_column(body, column)
            if len(values) >= 2:
                pick = (
                    max(values, key=lambda v: v[1])
                    if op == "max"
                    else min(values, key=lambda v: v[1])
                )
                label = body[pick[0]][0]
                return (
                    label,
                    0.75 + 0.2 * column_score,
                    {"op": op, "column": header[column], "value": str(pick[1])},
                )
    if _SUM.search(lowered) and column is not None and column > 0 and row is None:
        values = _numeric_column(body, column)
        if len(values) >= 2:
            total = sum((v for _, v in values), Decimal(0))
            return (
                format_number(total),
                0.7 + 0.2 * column_score,
                {"op": "sum", "column": header[column]},
            )
    if row is None or row_score < 0.5:
        return None
    if column is None or column == 0:
        if len(header) == 2:
            column, column_score = 1, 0.6
        else:
            return None
    cell = body[row][column] if column < len(body[row]) else ""
    if not cell:
        return None
    score = 0.5 + 0.25 * row_score + 0.25 * column_score
    return cell, score, {"op": "cell", "row": body[row][0], "column": header[column]}


class TableAnswerer:
    """Answers from tables found on document pages (OCR / PDF table extraction)."""

    name = "table"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        best: tuple[float, str, Observation, dict] | None = None
        for observation in observations:
            rows = observation.data.get("rows") if observation.kind == "table" else None
            if not rows:
                continue
            found = answer_table(question, rows)
            if found and (best is None or found[1] > best[0]):
                best = (found[1], found[0], observation, found[2])
        if best is None:
            return None
        score, text, observation, details = best
        return Answer(
            text=text,
            confidence=round(min(score, 1.0) * observation.confidence, 3),
            answerer=self.name,
            sources=[observation.citation],
            data=details,
        )
