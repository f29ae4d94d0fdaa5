"""Tables: line items (quantity, unit price, line amount of a named item), cell lookups, and
highest/lowest/sum/count over a column.

Line items are read from item tables and from receipt lines ("2 x 3.50   7.00"). Which column
is the quantity, the unit price and the amount is settled by arithmetic when the rows allow it
(quantity × price = amount on most rows, whatever the headers say or the order of the
columns), else by the header words; the question picks the column by its wording and type.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

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
# Column roles of item tables by header words (arithmetic overrides them when it can).
ROLE_HEADERS = {
    "qty": ("qty", "quantity", "quantities", "units", "pcs", "pieces", "hours", "hrs", "ordered",
            "shipped", "delivered", "count", "nos", "no. of", "backorder", "received"),
    "unit_price": ("unit price", "price", "rate", "each", "unit cost", "u.price", "u/price",
                   "unit", "cost", "price/unit", "unit rate"),
    "amount": ("amount", "total", "line total", "extended", "net", "gross", "value", "sum",
               "subtotal", "amt", "charge", "line charge"),
}  # fmt: skip
_QTY_Q = re.compile(r"\b(how many|quantity|qty|units|pieces|count|number of)\b")
_PRICE_Q = re.compile(
    r"\b(unit price|price per|per unit|each|a single|one|rate|unit cost|price for a|cost per)\b"
)
_AMOUNT_Q = re.compile(
    r"\b(line total|amount (charged|for)|in total for|total for|line amount|charged for|"
    r"extended|total (price|cost) (of|for))\b"
)
# A question about one line of an item table (not a document total).
ITEM_WORDING = re.compile(
    r"(?<![\w-])(line total|line amount|unit price|price per unit|per unit|unit cost"
    r"|price for a single|how many units of|apiece"
    r"|(?:how much|what) (?:is|are|does|do|did|was|were) (?:each|one|a single))\b"
)
_RECEIPT_ITEM = re.compile(
    r"(?P<qty>\d+(?:\.\d+)?)\s*(?:[xX×*@]|pcs?\s*[xX@])\s*(?P<unit_price>\d[\d,]*\.\d{2})"
    r"\s+(?P<amount>\d[\d,]*\.\d{2})\b"
)


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


# A cell lookup whose question also names another row's label ("Total" for "the total tax",
# with a "Tax" row below) is not sure which row is asked for.
RIVAL_ROW_FACTOR = 0.6


def answer_table(question: str, rows: list[list[str]]) -> tuple[str, float, dict] | None:
    """(answer, score, details) for one table whose first row is the header."""
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    header = [str(c or "") for c in rows[0]]
    if _label_value_rows(header):
        return None  # "Subtotal | 30,109.52" on top: label/value rows, the fields' job
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
                if _is_numeric_cell(label) or not label.strip():
                    return None  # the row's first cell is a figure (a quantity), not its name
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
    # The words that named the row do not name the column ("Shipping pallets" is no "Shipped").
    row_words = set(content_tokens(body[row][0]))
    column, column_score = _best_index([t for t in q if t not in row_words], header)
    if column is None or column == 0:
        if len(header) == 2:
            column, column_score = 1, 0.6
        else:
            return None
    cell = body[row][column] if column < len(body[row]) else ""
    if not cell:
        return None
    score = 0.5 + 0.25 * row_score + 0.25 * column_score
    named = set(content_tokens(body[row][0])) | set(content_tokens(header[column]))
    others = {t for i, r in enumerate(body) if i != row for t in content_tokens(r[0]) if len(t) > 2}
    if any(t in others and t not in named for t in content_tokens(question)):
        score *= RIVAL_ROW_FACTOR  # "the total tax": the question also names another row
    if _summary_label(body[row][0]):
        # "Total" in a tax summary is one of several totals on the page: the document
        # fields, with their arithmetic checks, say which is the total asked for.
        score = min(score, 0.6)
    return cell, score, {"op": "cell", "row": body[row][0], "column": header[column]}


# ----------------------------------------------------------------------------- line items


@dataclass
class LineItem:
    """One item of an item table or receipt: its description and role → cell text."""

    description: str
    cells: dict[str, str]
    source: Observation
    headers: dict[str, str] = field(default_factory=dict)  # role or header → cell text
    verified: bool = False  # quantity × unit price = amount on this row / table


def _number(text: str) -> Decimal | None:
    cleaned = re.sub(r"[^\d.,-]", "", text)
    if not re.search(r"\d", cleaned):
        return None
    if re.fullmatch(r"-?\d{1,3}(?:\.\d{3})+,\d{1,2}", cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _is_numeric_cell(text: str) -> bool:
    stripped = re.sub(r"[$€£¥₹%]|\b[A-Z]{2,3}\b", "", text).strip()
    return bool(stripped) and re.fullmatch(r"-?[\d.,\s]+", stripped) is not None


def _label_value_rows(header: list[str]) -> bool:
    """A first row with a figure beside its label is data: the table has no header."""
    return any(_is_numeric_cell(str(c or "")) for c in header[1:])


def _role_of_header(header: str) -> str | None:
    text = normalize(header).strip(" .:")
    for role in ("amount", "unit_price", "qty"):  # "unit price" before "unit", "qty"
        for word in ROLE_HEADERS[role]:
            if text == word:
                return role
    for role in ("unit_price", "qty", "amount"):
        for word in ROLE_HEADERS[role]:
            if " " in word and word in text:
                return role
    return None


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= max(Decimal("0.011"), abs(b) * Decimal("0.005"))


def _arithmetic_roles(
    body: list[list[str]], numeric: list[int], header: list[str] | None = None
) -> dict[str, int] | None:
    """Columns (qty, unit_price, amount) with qty × price = amount on most rows; else, with
    a header, a fourth (``factor``: days, hours) in qty × factor × price = amount."""
    best, best_hits = None, 0
    for q, p, a in itertools.permutations(numeric, 3):
        hits = 0
        for row in body:
            values = [_number(row[c]) if c < len(row) else None for c in (q, p, a)]
            if None not in values and values[2] != 0 and _close(values[0] * values[1], values[2]):
                hits += 1
        # A quantity is the smaller factor by convention when both fit (2 × 3.50 = 3.50 × 2).
        if hits > best_hits or (hits == best_hits and best and q < p and best["qty"] > q):
            best, best_hits = {"qty": q, "unit_price": p, "amount": a}, hits
    if best is None or best_hits < max(1, round(0.6 * len(body))):
        return _arithmetic_with_factor(body, numeric, header)
    q_values = [_number(r[best["qty"]]) for r in body if best["qty"] < len(r)]
    p_values = [_number(r[best["unit_price"]]) for r in body if best["unit_price"] < len(r)]
    if sum(1 for v in q_values if v is not None and v != v.to_integral_value()) > sum(
        1 for v in p_values if v is not None and v != v.to_integral_value()
    ):
        best["qty"], best["unit_price"] = best["unit_price"], best["qty"]
    return best


def _arithmetic_with_factor(
    body: list[list[str]], numeric: list[int], header: list[str] | None
) -> dict[str, int] | None:
    """qty × factor × unit price = amount ("Qty | Days | Rate / day | Charge") on most rows;
    the header says which of the two counts is the quantity."""
    if header is None or len(numeric) < 4:
        return None
    named_qty = [c for c in numeric if _role_of_header(header[c]) == "qty"]
    if len(named_qty) != 1:
        return None
    [q] = named_qty
    for f, p, a in itertools.permutations([c for c in numeric if c != q], 3):
        hits = 0
        for row in body:
            values = [_number(row[c]) if c < len(row) else None for c in (q, f, p, a)]
            if None not in values and values[3] != 0:
                hits += _close(values[0] * values[1] * values[2], values[3])
        if hits >= max(1, round(0.6 * len(body))):
            return {"qty": q, "factor": f, "unit_price": p, "amount": a}
    return None


def table_items(observation: Observation) -> list[LineItem]:
    """Line items of an item table: rows with a description and numbers under a header."""
    rows = [[str(c or "").strip() for c in row] for row in observation.data.get("rows") or []]
    if len(rows) < 2 or len(rows[0]) < 2:
        return []
    header, body = rows[0], rows[1:]
    if _label_value_rows(header):
        return []  # "Subtotal | 17,744.52" on top: summary rows, not items
    width = len(header)
    body = [r + [""] * (width - len(r)) for r in body]
    body = [r for r in body if not any(_summary_label(c) for c in r if c)]  # totals rows
    numeric = [
        c for c in range(width)
        if sum(_is_numeric_cell(r[c]) for r in body if r[c]) >= max(1, 0.6 * len(body))
    ]  # fmt: skip
    texts = [c for c in range(width) if c not in numeric]
    if not texts or not numeric:
        return []
    describe = max(texts, key=lambda c: sum(len(re.findall(r"[A-Za-z]", r[c])) for r in body))
    roles = {h: c for c, h in ((c, _role_of_header(header[c])) for c in numeric) if h}
    verified = False
    arithmetic = _arithmetic_roles(body, numeric, header) if len(numeric) >= 3 else None
    if arithmetic:
        roles, verified = arithmetic, True
    items = []
    for row in body:
        description = row[describe]
        if not description or not any(row[c] for c in numeric) or _summary_label(description):
            continue
        cells = {role: row[c] for role, c in roles.items() if row[c]}
        headers = {normalize(header[c]): row[c] for c in numeric if row[c] and header[c]}
        ok = verified and _row_checks(cells)
        items.append(LineItem(description, cells, observation, headers, ok))
    if items and not any("qty" in i.cells for i in items):
        _leading_quantities(items)
    return items


def _leading_quantities(items: list[LineItem]) -> None:
    """ "8 Desk lamp LED" in one cell (quantity and description not split into columns): the
    leading number is the quantity when quantity × price = amount confirms it on every row."""
    split = [re.match(r"^(\d+(?:\.\d+)?)\s+(\S.*)$", item.description) for item in items]
    if not all(split):
        return
    trial = [{**item.cells, "qty": m.group(1)} for item, m in zip(items, split, strict=True)]
    if not all(_row_checks(cells) for cells in trial):
        return
    for item, match, cells in zip(items, split, trial, strict=True):
        item.description, item.cells, item.verified = match.group(2), cells, True


def _row_checks(cells: dict[str, str]) -> bool:
    """quantity × unit price = amount, to the cent, or within the unit price's rounding (half a
    cent per unit): "3 x 15.26 = 45.66" is a misread, though only 0.3% off."""
    qty, unit, amount = (_number(cells.get(k, "")) for k in ("qty", "unit_price", "amount"))
    if qty is None or unit is None or amount is None:
        return False
    if "factor" in cells:  # "2 x 7 days x 41.24": the count of days or hours multiplies too
        factor = _number(cells["factor"])
        if factor is None:
            return False
        qty = qty * factor
    return abs(qty * unit - amount) <= max(Decimal("0.011"), abs(qty) * Decimal("0.005"))


def _summary_label(text: str) -> bool:
    return bool(
        re.match(r"^(sub ?-?total|total|tax|vat|gst|grand|balance|discount|rounding|net"
                 r"|amount (due|payable|owing)|to pay)\b", normalize(text))
        or re.fullmatch(r"(?:[a-z]+ ){0,2}total\W*", normalize(text))  # "Order total"
    )  # fmt: skip


# "3 x Orange juice 7.64 22.92": the count, the item, its unit price and its amount.
_COUNT_FIRST_ITEM = re.compile(
    r"^(?P<qty>\d{1,4}(?:\.\d+)?)\s*[xX×]\s+(?P<description>[A-Za-z][^\d\n]*?[A-Za-z)])\s+"
    r"\D{0,4}(?P<unit_price>\d[\d,]*\.\d{2})\s+\D{0,4}(?P<amount>\d[\d,]*\.\d{2})\b"
)


# A till's count line under its item: "4 @ 3.37" (the item line above holds the amount).
_AT_PRICE = re.compile(
    r"^(?P<qty>\d{1,4}(?:\.\d+)?)\s*@\s*\D{0,4}(?P<unit_price>\d[\d,]*\.\d{2})\s*$"
)
_PRICED_LINE = re.compile(
    r"^(?P<description>[A-Za-z][^\d\n]*?[A-Za-z)])\s+\D{0,4}(?P<amount>\d[\d,]*\.\d{2})"
    r"(?:\s+[A-Z*]{1,2})?\s*$"
)


def receipt_items(observation: Observation) -> list[LineItem]:
    """Items written as "<description> 2 x 3.50 7.00" (or with the description above), or
    as "2 x <description> 3.50 7.00"."""
    lines = [line.strip() for line in observation.text.splitlines()]
    items = []
    for index, line in enumerate(lines):
        line = re.sub(r"\s*[.·_]{4,}\s*", " ", line)  # dot leaders: "Copper wire ..... 20 x"
        line = re.sub(r"(?<=\d)\s*=\s*(?=\D{0,4}\d)", " ", line)  # "20 x 497.57 = 9,951.40"
        line = re.sub(r"(?<=\d) ?([.,]) ?(?=\d\d\b)", r"\1", line.replace("\t", " "))  # "37. 68"
        line = re.sub(r"(?<=\d)\s*[xX×]{1,2}\s*(?=\d)", " x ", line)  # "2 xX 17.46", "4x 18.15"
        at_price = _AT_PRICE.match(line)
        if at_price and index > 0:  # "CHICKEN RICE 13.48 A" over "4 @ 3.37"
            above = _PRICED_LINE.match(lines[index - 1].replace("\t", " "))
            if above:
                cells = {"qty": at_price.group("qty"), "unit_price": at_price.group("unit_price"),
                         "amount": above.group("amount")}  # fmt: skip
                items.append(LineItem(above.group("description").strip(), cells, observation,
                                      {}, _row_checks(cells)))  # fmt: skip
            continue
        match = _RECEIPT_ITEM.search(line)
        if not match:
            match = _COUNT_FIRST_ITEM.match(line)  # "3 x Orange juice 7.64 22.92"
            if match:
                cells = {k: match.group(k) for k in ("qty", "unit_price", "amount")}
                items.append(LineItem(match.group("description").strip(), cells, observation,
                                      {}, _row_checks(cells)))  # fmt: skip
            continue
        description = line[: match.start()].strip(" \t-:")
        if not re.search(r"[A-Za-z]{2}", description) and index > 0:
            description = lines[index - 1].strip()
        if not re.search(r"[A-Za-z]{2}", description):
            continue
        cells = {k: match.group(k) for k in ("qty", "unit_price", "amount")}
        items.append(LineItem(description, cells, observation, {}, _row_checks(cells)))
    return items


def _quoted(question: str) -> list[str]:
    return re.findall(r"['\"‘“]([^'\"’”]{2,80})['\"’”]", question)


def _match(question: str, description: str) -> float:
    """How surely the question names this item (a quoted name, or its words)."""
    desc = normalize(description)
    for quoted in _quoted(question):
        if normalize(quoted) == desc:
            return 1.0
        if normalize(quoted) in desc or desc in normalize(quoted):
            return 0.85
    words = [t for t in content_tokens(description) if len(t) > 1]
    if not words:
        return 0.0
    asked = set(content_tokens(question))
    hits = sum(1 for w in words if w in asked)
    return hits / len(words) if hits == len(words) else 0.6 * hits / len(words)


def all_items(observations: list[Observation]) -> list[LineItem]:
    items: list[LineItem] = []
    for observation in observations:
        if observation.kind == "table":
            items += table_items(observation)
        elif observation.kind in ("page", "text"):
            items += receipt_items(observation)
    return items


def mentions_table_item(question: str, observations: list[Observation]) -> bool:
    """Whether the question names a line item of a table or receipt on the page."""
    return any(_match(question, item.description) >= 0.99 for item in all_items(observations))


def _wanted_role(question: str, item: LineItem) -> tuple[str | None, float]:
    """The column the question asks for, by its wording; among several quantity columns
    (Ordered / Shipped) the one whose header the question names."""
    lowered = normalize(question)
    asked = set(content_tokens(question)) - set(content_tokens(item.description))
    if _AMOUNT_Q.search(lowered) or (
        re.search(r"\bhow much\b", lowered) and re.search(r"\bin total\b", lowered)
    ):
        return "amount", 1.0  # "how much for <item> in total": the line's amount
    if _PRICE_Q.search(lowered):
        return "unit_price", 1.0
    if _QTY_Q.search(lowered):
        for header in item.headers:
            words = [w for w in re.findall(r"[a-z]+", header) if len(w) > 3]
            if _role_of_header(header) == "qty" and words and all(w in asked for w in words):
                return f"header:{header}", 1.0
        return "qty", 1.0
    if re.search(r"\b(price|cost|how much)\b", lowered):
        return "unit_price", 0.65
    return None, 0.0


# An item row read by OCR whose quantity × unit price ≠ amount: one of its figures is misread.
UNCHECKED_OCR_FACTOR = 0.75


def _from_pixels(source: Observation, observations: list[Observation]) -> bool:
    """Whether ``source`` was recognised from an image (its own page, or the page a table
    observation was cut from, says ``source: ocr``; a PDF text layer says ``text_layer``)."""
    if "source" in source.data:
        return source.data["source"] == "ocr"
    return any(
        o.kind == "page"
        and o.source_id == source.source_id
        and o.data.get("page") == source.data.get("page")
        and o.data.get("source") == "ocr"
        for o in observations
    )


def answer_item(question: str, observations: list[Observation]) -> Answer | None:
    """The quantity / unit price / amount of the line item the question names."""
    scored = [(_match(question, item.description), item) for item in all_items(observations)]
    scored = [(s, i) for s, i in scored if s >= 0.99 or (s >= 0.85 and _quoted(question))]
    if not scored:
        return None
    scored.sort(key=lambda si: -si[0])
    match, item = scored[0]
    same = [i for s, i in scored if s == match and normalize(i.description) != normalize(
        item.description)]  # fmt: skip
    role, role_conf = _wanted_role(question, item)
    if role is None:
        return None
    if role.startswith("header:"):
        cell = item.headers.get(role.split(":", 1)[1], "")
    else:
        cell = item.cells.get(role, "")
    if not cell:
        return None
    qty_headers = [h for h in item.headers if _role_of_header(h) == "qty"]
    confidence = role_conf * (0.97 if item.verified else 0.85) * min(match, 1.0)
    if not item.verified and _from_pixels(item.source, observations):
        confidence *= UNCHECKED_OCR_FACTOR  # digits read from pixels, no arithmetic behind them
    if role == "qty" and len(qty_headers) > 1:
        confidence *= 0.6  # several quantity columns (ordered/shipped) and none named
    if same:
        confidence *= 0.6  # two different items match the question as well
    confidence *= min(item.source.confidence, 1.0)
    return Answer(
        text=cell.strip(),
        confidence=round(confidence, 3),
        answerer=TableAnswerer.name,
        sources=[item.source.citation],
        data={"op": "item", "item": item.description, "column": role, "verified": item.verified},
    )


class TableAnswerer:
    """Answers from tables found on document pages (OCR / PDF table extraction)."""

    name = "table"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        item = answer_item(question, observations)
        if item is not None:
            return item
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
