"""Document fields: key/value pairs, parties and totals read off OCR'd or text-layer pages.

Everything is typed against the question (:mod:`serve.answer.types`): a pair is a candidate
only when its value holds a value of the expected type ("which company issued" is never
answered with a date), and the typed part is what is returned.

- Pairs in the layouts documents use: ``Key: Value``; a label and a typed value on one line
  ("Invoice No. INV-1", "TOTAL RM 9.00"); a label and its value in two segments of a line
  (a tab marks a wide gap); a label above its value (stacked fields, boxed headers, a row of
  labels over a row of values); two-column tables and the label rows of item tables.
- Names of parties (issuer, seller, buyer): :mod:`serve.answer.parties`.
- Totals: the grand total among the total-like lines, confirmed by arithmetic when the page
  allows (subtotal + tax, cash − change) and less confident when total lines disagree.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from serve.answer.base import Answer
from serve.answer.doclines import (
    AMOUNT_SPAN,
    DATE_SPAN,
    Line,
    despace,
    is_label,
    pages_of,
    split_label,
    typed_span,
    unglue_time,
)
from serve.answer.parties import DOCUMENT_TITLES, find_party, name_like
from serve.answer.tables import ITEM_WORDING, mentions_table_item
from serve.answer.text import STOPWORDS, normalize, parse_number
from serve.answer.types import NAME_TYPES, AnswerType, TypeEmbedder, predict_type
from serve.context.observations import Observation

# Canonical fields: question cues → key aliases seen on documents.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "invoice_number": (
        ("invoice number", "invoice no", "invoice #", "invoice id", "invoice num",
         "number of the invoice", "receipt number", "receipt no", "bill number", "bill no",
         "document number", "reference number", "statement number"),
        ("invoice number", "invoice no", "invoice #", "invoice id", "invoice", "inv no",
         "receipt no", "receipt number", "receipt #", "bill no", "bill number", "document no",
         "doc no", "reference", "ref", "ref no", "no", "number", "#"),
    ),
    "total": (
        ("total", "amount due", "balance due", "grand total", "amount to pay", "how much",
         "owe", "paid", "pay", "payable", "come to", "closing balance"),
        ("total due", "amount due", "grand total", "total amount", "balance due", "total",
         "amount payable", "total payable", "invoice total", "order total", "total incl",
         "nett total", "net total", "rounded total", "total sales", "closing balance",
         "amount", "balance"),
    ),
    "subtotal": (
        ("subtotal", "sub-total", "sub total", "net amount", "before tax", "excluding tax"),
        ("subtotal", "sub total", "sub-total", "net total", "net amount", "total excl",
         "goods", "net"),
    ),
    "tax": (
        ("tax", "vat", "gst", "sales tax", "taxes"),
        ("tax", "vat", "gst", "sales tax", "tax amount", "service tax", "sst"),
    ),
    "due_date": (
        ("due date", "due", "pay by", "payment due", "deadline", "paid by", "be paid", "to pay",
         "pay before", "latest date", "last day", "payable by"),
        ("due date", "payment due", "due", "pay by", "due by", "payable by", "delivery by"),
    ),
    "invoice_date": (
        ("invoice date", "date of the invoice", "issued", "issue date", "when was", "date",
         "dated", "printed", "written", "made out", "drawn up", "day"),
        ("invoice date", "date of issue", "issue date", "issued", "date", "order date",
         "statement date", "bill date", "receipt date", "transaction date", "doc date"),
    ),
    "po_number": (
        ("purchase order", "po number", "po #", "order number", "order no"),
        ("po number", "po #", "po no", "purchase order", "order number", "order no"),
    ),
    "account_number": (
        ("account number", "account no", "account", "customer id", "customer number"),
        ("account number", "account no", "account", "acct no", "customer id", "customer no"),
    ),
    "currency": (("currency",), ("currency",)),
}  # fmt: skip
FIELD_TYPES = {
    "invoice_number": AnswerType.IDENTIFIER,
    "po_number": AnswerType.IDENTIFIER,
    "account_number": AnswerType.IDENTIFIER,
    "total": AnswerType.AMOUNT,
    "subtotal": AnswerType.AMOUNT,
    "tax": AnswerType.AMOUNT,
    "due_date": AnswerType.DATE,
    "invoice_date": AnswerType.DATE,
}
# Cues that only say "an amount/date is wanted": used when no specific field is named.
WEAK_CUES = frozenset(
    {"how much", "owe", "when was", "date", "due", "paid", "pay", "account", "printed", "dated",
     "day"}
)  # fmt: skip
# Words of a question that name the document or nothing at all, not the field asked for.
_QUESTION_NOISE = frozenset(
    """what is the of this that on in a an for was were how which who when invoice receipt bill
    statement document note""".split()
)
_DOCUMENT_NOUNS = frozenset("invoice receipt bill statement document note".split())
_SYNONYMS = {"number": "no", "num": "no", "nr": "no", "#": "no", "qty": "quantity",
             "amt": "amount", "ref": "reference", "inv": "invoice", "tel": "phone",
             "issue": "issued", "acct": "account", "nett": "net", "taxes": "tax"}  # fmt: skip
# A total line that is not the grand total.
_NOT_GRAND = re.compile(
    r"\b(sub|excl|exclusive|before|qty|quantity|items?|count|discount|saving|savings|change|"
    r"cash|tendered|rounding|adj|tax|gst|vat|opening|points?|weight|paid)\b"
)
_GRAND = re.compile(r"\b(grand|nett|incl|inclusive|rounded|payable|due|closing|final|invoice)\b")


@dataclass
class KeyValue:
    key: str
    value: str
    source: Observation
    line: int
    how: str = "inline"
    sureness: float | None = None  # OCR confidence of the line(s) read; None: the page's

    @property
    def read_confidence(self) -> float:
        return min(self.source.confidence if self.sureness is None else self.sureness, 1.0)


@functools.lru_cache(maxsize=8192)  # keys, aliases and questions recur for every pair scored
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_SYNONYMS.get(t, t) for t in re.findall(r"[a-z]+|#", normalize(text)))


def _pairs_on(line: Line) -> list[KeyValue]:
    """The key/value pairs of one line (its date, say, and the label in front of it)."""
    lines = pages_of([line.page])
    page = lines[0] if lines else []
    at = next((i for i, other in enumerate(page) if other.index == line.index), None)
    return [] if at is None else _pairs_of_line(page, at)


def _header_row(lines: list[Line], at: int) -> list[KeyValue] | None:
    """A row of three or more labels over a row of as many values ("Pro forma no. | Date |
    Payment due by" over "2020/159 | 15.04.2025 | 15.05.2025"): each label with the value
    under it, none with its neighbour."""
    line = lines[at]
    cells = line.segments
    if len(cells) < 3 or at + 1 >= len(lines) or any(re.search(r"\d", c) for c in cells):
        return None
    below = lines[at + 1]
    values = below.segments
    if len(values) != len(cells) or _heads_a_column(lines, at, 0):
        return None
    labels = sum(is_label(c) or bool(_NUMBER_LABEL.search(c)) for c in cells)
    figures = sum(bool(re.search(r"\d", v)) for v in values)
    if 2 * labels < len(cells) or 2 * figures < len(values):
        return None
    sureness = min(line.sureness, below.sureness)
    return [
        KeyValue(key, value, line.page, line.index, "header row", sureness)
        for key, value in zip(cells, values, strict=True)
        if key.strip() and value.strip() and not is_label(value)
    ]


_NUMBER_LABEL = re.compile(r"(?:\bno\.?|#|\bnumber|\bref\.?)\s*:?\s*$", re.I)


def _pairs_of_line(lines: list[Line], at: int) -> list[KeyValue]:
    header = _header_row(lines, at)
    if header is not None:
        return header
    line = lines[at]
    page = line.page
    found: list[KeyValue] = []
    segments = line.segments
    for column, segment in enumerate(segments):
        split = split_label(segment)
        if split and split[1]:
            found.append(KeyValue(split[0], split[1], page, line.index, "inline", line.sureness))
        elif split or is_label(segment):
            key = split[0] if split else segment
            priced = _currency_then_amount(segments[column + 1 : column + 3])
            if priced is not None:  # "Total | RM | 100.00": the currency has a cell of its own
                found.append(KeyValue(key, priced, page, line.index, "segments", line.sureness))
            elif column + 1 < len(segments) and not is_label(segments[column + 1]):
                found.append(
                    KeyValue(key, segments[column + 1], page, line.index, "segments", line.sureness)
                )
            elif not _is_title(key):  # "PURCHASE ORDER" over an address labels nothing
                found += _stacked(lines, at, column, key)
        # "Invoice No. INV-1", "TOTAL RM 9.00", "Sales tax 19% RM 22.61": a label, a value.
        text = split[1] if split and split[1] else segment
        typed = _label_then_value(text)
        if typed is not None:
            key = f"{split[0]} {typed[0]}" if split and split[1] else typed[0]
            found.append(KeyValue(key, typed[1], page, line.index, "typed", line.sureness))
    return found


def _is_title(text: str) -> bool:
    """A document title ("INVOICE", "Purchase order"), not a field's label."""
    return normalize(text).rstrip(":").strip(" .#") in DOCUMENT_TITLES


_CURRENCY_WORD = re.compile(r"^(?:[$€£¥₹]|usd|eur|gbp|rm|myr|sgd|aud|cad|inr|rp)$", re.I)


def _currency_then_amount(cells: list[str]) -> str | None:
    """ "RM", "100.00" in two cells: one value, "RM 100.00"."""
    if len(cells) == 2 and _CURRENCY_WORD.match(cells[0].strip()) and re.search(r"\d", cells[1]):
        return f"{cells[0].strip()} {cells[1].strip()}"
    return None


def _label_then_value(text: str) -> tuple[str, str] | None:
    """Words, then the first token with a digit (or a currency before one): (label, value)."""
    date = DATE_SPAN.search(text)
    if date and date.start() > 0:  # "Invoice Date December 1, 2025"
        label = text[: date.start()].strip(" :#-")
        if re.search(r"[A-Za-z]{2}", label) and len(label.split()) <= 6:
            return label, text[date.start() :]
    tokens = text.split()
    for index, token in enumerate(tokens):
        if not re.search(r"\d", token):
            continue
        if re.fullmatch(r"\(?\d+(?:\.\d+)?%\)?:?", token) and index:  # "Tax 19% RM 5.00"
            continue
        start = index - 1 if index and _CURRENCY_WORD.match(tokens[index - 1]) else index
        label = " ".join(tokens[:start]).strip(" :#-")
        if not label or not re.search(r"[A-Za-z]{2}", label) or len(label.split()) > 6:
            return None
        value = " ".join(tokens[start:])
        if re.match(r"#\d", value):  # "Receipt #82723": the number sign belongs to the label
            return f"{label} #", value[1:]
        return label, value
    return None


def _stacked(lines: list[Line], at: int, column: int, key: str) -> list[KeyValue]:
    """A label with its value on the next line: same column when the rows align."""
    if at + 1 >= len(lines):
        return []
    line, below = lines[at], lines[at + 1]
    if _CURRENCY_WORD.match(key.strip()):
        return []  # "RM" over "70.30": a unit, not a label (the line above it is)
    if (
        len(below.segments) == 1
        and _CURRENCY_WORD.match(below.segments[0].strip())
        and at + 2 < len(lines)
        and len(lines[at + 2].segments) == 1
    ):  # "CASH" / "RM" / "70.30": the currency on a line of its own between label and value
        priced = _currency_then_amount([below.segments[0], lines[at + 2].segments[0]])
        if priced is not None:
            sureness = min(line.sureness, below.sureness, lines[at + 2].sureness)
            return [KeyValue(key, priced, line.page, line.index, "stacked", sureness)]
    if len(below.segments) == len(line.segments):
        value = below.segments[column]
    elif len(below.segments) == 1 and len(line.segments) == 1:
        value = below.segments[0]
    else:
        return []
    if is_label(value) or _heads_a_column(lines, at, column):
        return []
    sureness = min(line.sureness, below.sureness)
    return [KeyValue(key, value, line.page, line.index, "stacked", sureness)]


def _heads_a_column(lines: list[Line], at: int, column: int) -> bool:
    """The label over a table column: two or more rows of the header's shape follow, each
    with a value in that column ("Amount" over every line's amount names no single value)."""
    header = lines[at].segments
    if len(header) < 2 or not all(is_label(cell) for cell in header if cell.strip()):
        return False
    rows = 0
    for line in lines[at + 1 : at + 3]:
        cells = line.segments
        if len(cells) != len(header) or not cells[column].strip():
            break
        if any(is_label(cell) for cell in cells):
            break  # labels in the row: a block of fields beside each other, not a table
        rows += 1
    return rows >= 2


def _table_pairs(observation: Observation) -> list[KeyValue]:
    rows = [[str(c or "").strip() for c in row] for row in observation.data.get("rows") or []]
    found: list[KeyValue] = []
    if len(rows) == 2 and all(is_label(c) for c in rows[0] if c):  # labels over values
        for key, value in zip(rows[0], rows[1], strict=False):
            if key and value:
                found.append(KeyValue(key, value, observation, 0, "table header"))
    for index, row in enumerate(rows):
        cells = [c for c in row if c]
        if len(cells) == 3 and _currency_then_amount(cells[1:]) is not None:
            cells = [cells[0], _currency_then_amount(cells[1:])]
        if len(cells) == 2 and re.search(r"[A-Za-z]", cells[0]):
            found.append(KeyValue(cells[0], cells[1], observation, index, "table row"))
    return found


class _PairMemo:
    """The pairs of the observations answered lately: one question reads a page's pairs for
    its field, then again for the amounts that must agree with it (subtotal, tax, total).

    Keyed by the observation's identity, checked through a weak reference (a recycled ``id``
    is a miss); bounded, and locked (answerers run in worker threads)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[weakref.ref, list[KeyValue]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, observation: Observation) -> list[KeyValue]:
        key = id(observation)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is observation:
                self._entries.move_to_end(key)
                return entry[1]
        pairs = _extract_pairs(observation)
        with self._lock:
            self._entries[key] = (weakref.ref(observation), pairs)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return pairs


_PAIRS = _PairMemo()


def extract_pairs(observation: Observation) -> list[KeyValue]:
    """Key/value pairs of a page (or table) observation, in every layout described above
    (computed once per observation; the list is shared: do not change it)."""
    return _PAIRS.get(observation)


def _extract_pairs(observation: Observation) -> list[KeyValue]:
    if observation.kind == "table":
        return _table_pairs(observation)
    lines = pages_of([observation])
    if not lines:
        return []
    page = lines[0]
    return [pair for at in range(len(page)) for pair in _pairs_of_line(page, at)]


# "pre-tax total", "total without VAT", "amount excluding GST": the subtotal, whatever noun.
_TAX_EXCLUDED = re.compile(
    r"\b(?:pre[- ]?tax|untaxed|(?:before|excl\w*\.?|exclusive of|without|ex|net of|less)"
    r"[- ](?:the )?(?:sales )?(?:tax|taxes|vat|gst|sst))\b"
)

# "the final amount", "the full sum": the grand total, though "total" is not said.
_WHOLE_AMOUNT = re.compile(
    r"\b(?:(?:final|overall|full|entire|whole|complete|grand)\s+(?:amount|sum|figure|bill)"
    r"|bottom[- ]line)\b"
)
# "the identifier of this invoice", "the receipt ID": the document's own number.
_DOCUMENT_ID = re.compile(
    r"\b(?:(?:invoice|receipt|bill|statement|document)\s+(?:identifier|id)"
    r"|identifier of (?:the |this )?(?:invoice|receipt|bill|statement|document)"
    r"|number (?:does|is on|on) (?:the |this )?(?:invoice|receipt|bill|statement|document))\b"
)


def field_for_question(question: str, expected: AnswerType) -> tuple[str | None, float]:
    """The canonical field the question names (compatible with its type) and how surely."""
    lowered = normalize(question)
    if expected in (AnswerType.AMOUNT, AnswerType.FREE_TEXT) and _TAX_EXCLUDED.search(lowered):
        return "subtotal", 1.0
    if expected in (AnswerType.AMOUNT, AnswerType.FREE_TEXT) and _WHOLE_AMOUNT.search(lowered):
        return "total", 1.0
    if expected in (AnswerType.IDENTIFIER, AnswerType.FREE_TEXT) and _DOCUMENT_ID.search(lowered):
        return "invoice_number", 1.0
    best, best_rank = None, (False, 0)
    for field, (cues, _) in FIELDS.items():
        kind = FIELD_TYPES.get(field)
        if expected is not AnswerType.FREE_TEXT and kind is not None and kind is not expected:
            continue
        for cue in cues:
            if not re.search(rf"(?<![a-z]){re.escape(cue)}(?![a-z])", lowered):
                continue
            rank = (cue not in WEAK_CUES, len(cue))
            if rank > best_rank:
                best, best_rank = field, rank
    if best is None:
        return None, 0.0
    return best, 1.0 if best_rank[0] else 0.85


@functools.lru_cache(maxsize=8192)
def _alias_score(field: str, key: str) -> float:
    key_norm = " ".join(_tokens(key))
    score = 0.0
    for rank, alias in enumerate(FIELDS[field][1]):
        alias_norm = " ".join(_tokens(alias))
        if key_norm == alias_norm:
            score = max(score, 1.0 - rank * 0.02)
        elif re.search(rf"(^| ){re.escape(alias_norm)}( |$)", key_norm):
            score = max(score, 0.85 - rank * 0.02)
    return score


@functools.lru_cache(maxsize=4096)
def _other_field(field: str | None, key: str) -> bool:
    """The key is exactly another field's alias ("Due date" when the invoice date is asked)."""
    key = read_key(key)
    for name, (_, aliases) in FIELDS.items():
        if name == field:
            continue
        if any(_alias_score(name, key) >= 0.95 for _ in aliases[:1]):
            return field is None or _alias_score(field, key) < 0.95
    return False


# Words of field names that name no field by themselves ("amount", "number"), and words that
# say who or what a document is about rather than which value: never a rival field.
_GENERIC_FIELD_WORDS = frozenset(
    """amount number no value sum figure how much when was pay paid owe date due dated printed
    account customer client buyer seller vendor supplier company""".split()
)
# A key that is only one of these words says what kind of value, not which one.
_BARE_KEYS = frozenset("no number amount value date sum total".split())
# Words of questions that ask nothing in particular.
_QUESTION_FILLER = frozenset(
    """many much whats what's give tell say says read shows show written total listed please
    exactly here there stated printed""".split()
)
# A question asking for a value of this field with one of these words left over asks for
# something else ("the total *tax*", "the total *excluding VAT*", "the tax *rate*").
RIVAL_FACTOR = 0.6  # 0.95 → 0.57: under every route threshold
_RIVAL_EXTRA = frozenset(
    """rate percent percentage excluding excl exclusive before after without discount shipping
    delivery freight handling fee fees deposit phone telephone fax email address iban swift bank
    routing sort currency term terms signed signature""".split()
)


# Names of the document itself ("the purchase order date", "when was the delivery note
# issued"): like "invoice", they say which document, not which value.
_DOCUMENT_NAMES = re.compile(
    r"\b(?:purchase order|sales order|delivery note|credit note|debit note|packing (?:slip|list)"
    r"|pro ?forma|quotation|quote)\b"
)
# "the total including tax": what the value includes, not another value.
_INCLUDED = re.compile(r"\b(?:incl\w*\.?|inclusive of|with|plus)\s+(?:the\s+)?[a-z]+")


@functools.cache
def _field_words() -> dict[str, frozenset[str]]:
    """Every word of each field's cues and aliases."""
    return {
        name: frozenset(t for phrase in cues + aliases for t in _tokens(phrase))
        for name, (cues, aliases) in FIELDS.items()
    }


def rival_words(question: str, field: str | None, key: str) -> list[str]:
    """Words of the question the pair does not account for, that say it asks for something
    else: another field's or attribute's word ("the total *tax*", "the tax *rate*"); a word
    of the field itself missing from a key that is only a generic word ("the *PO* number"
    read off a bare "Number"); with no field recognised, any specific word the key lacks
    ("the seller's *phone* number" read off "Number")."""
    key_words = set(_tokens(read_key(key)))
    words = [
        t
        for t in _tokens(_DOCUMENT_NAMES.sub(" ", _INCLUDED.sub(" ", normalize(question))))
        if len(t) > 1
        and t not in _QUESTION_NOISE | STOPWORDS | _GENERIC_FIELD_WORDS | _QUESTION_FILLER
        and t not in key_words
    ]
    if field is None:
        return words
    own = _field_words()[field]
    rivals = set(_RIVAL_EXTRA)
    for name, field_words in _field_words().items():
        if name != field:
            rivals |= field_words
    rivals -= own
    # "PO" asked, a bare "Number" read: which number? (a bare "Date" is the document's date)
    generic_key = (
        FIELD_TYPES.get(field) is AnswerType.IDENTIFIER
        and len(key_words) == 1
        and key_words <= _BARE_KEYS
    )
    return [t for t in words if t in rivals or (generic_key and t in own)]


@functools.cache
def _label_vocabulary() -> frozenset[str]:
    """Every word of every field alias (constant: built once)."""
    return frozenset(t for _, aliases in FIELDS.values() for a in aliases for t in _tokens(a))


def _near(a: str, b: str) -> bool:
    """One substitution apart (an OCR misread letter: "oue" for "due")."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


@functools.lru_cache(maxsize=4096)  # the same keys are read once per candidate pair
def read_key(key: str) -> str:
    """A key with its misread label words restored ("Oue date" → "due date"): a word of three
    or more letters one letter off exactly one label word of the fields is that word."""
    vocabulary = _label_vocabulary()
    words = []
    for token in _tokens(key):
        if len(token) >= 3 and token not in vocabulary:
            near = [w for w in vocabulary if _near(token, w)]
            token = near[0] if len(near) == 1 else token
        words.append(token)
    return " ".join(words)


@functools.lru_cache(maxsize=4096)  # pure: the same pairs are scored for each question read
def key_score(field: str | None, key: str, question: str) -> float:
    """How well a key names what the question asks (aliases of its field, shared words)."""
    key = read_key(key)
    # Document nouns ("receipt") name the field only when no field was recognised
    # ("delivery note number"); for a known field they would match any key.
    noise = _QUESTION_NOISE if field is not None else _QUESTION_NOISE - _DOCUMENT_NOUNS
    q_tokens = {t for t in _tokens(question) if t not in noise}
    k_tokens = [t for t in _tokens(key) if len(t) > 1 or t == "no"]
    shared = sum(1 for t in k_tokens if t in q_tokens) / max(len(k_tokens), 1)
    score = 0.85 * shared
    if field is not None:
        alias = _alias_score(field, key)
        score = max(0.6 * score, alias)  # words shared beside the field's own names count less
        if field == "due_date" and "due" not in _tokens(key) and "by" not in _tokens(key):
            score = min(score, 0.3)
        if field == "invoice_date" and ("due" in _tokens(key) or "by" in _tokens(key)):
            score = min(score, 0.2)
        lowered = normalize(key)
        if field == "total" and _NOT_GRAND.search(lowered) and not _GRAND.search(lowered):
            score = min(score, 0.3)
        if field == "subtotal" and "sub" not in normalize(key) and "net" not in _tokens(key):
            score = min(score, 0.5 * score)
        if FIELD_TYPES.get(field) is AnswerType.AMOUNT and _IDENTIFIER_KEY.search(lowered):
            score = min(score, 0.2)  # "Tax ID", "GST Reg No": the tax's identifier, no amount
        if field == "invoice_number" and _OTHER_REGISTER.search(lowered):
            score = min(score, 0.2)  # "VAT No", "Company Reg No": the issuer's, not the bill's
    if _other_field(field, key):
        return min(score, 0.2)
    return score


# Numbers of registers other than the document's own: tax, company, phone, card, terminal.
_OTHER_REGISTER = re.compile(
    r"\b(vat|gst|sst|tax|tin|abn|ein|company|co|reg|registration|roc|ssm|phone|tel|fax|mobile"
    r"|card|terminal|merchant|approval|auth|batch|member|loyalty|customer|account|acct)\b"
)
_IDENTIFIER_KEY = re.compile(r"\b(id|no|nr|number|reg|registration|code|ref|reference)\b|#")


@dataclass
class _Candidate:
    score: float
    value: str
    pair: KeyValue


class FieldAnswerer:
    """Answers "what is the <field>?" and "who issued/sold/bought" from document pages."""

    name = "document_field"

    def __init__(self, type_embedder: TypeEmbedder | None = None) -> None:
        self.type_embedder = type_embedder

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        pages = [o for o in observations if o.kind in ("page", "text", "passage")]
        if not pages:
            return None
        expected = predict_type(question, self.type_embedder).type
        if mentions_table_item(question, observations) or ITEM_WORDING.search(normalize(question)):
            return None  # a line item's quantity or price: the table answerer's question
        if expected in NAME_TYPES and expected is not AnswerType.PLACE:  # a party is no place
            named = self._party(question, observations)
            if named is not None:
                return named
        return self._pair(question, observations, expected)

    def _party(self, question: str, observations: list[Observation]) -> Answer | None:
        lines = pages_of(observations)
        tables = [o.data.get("rows") or [] for o in observations if o.kind == "table"]
        found = find_party(question, lines, tables)
        if found is None:
            return None
        party, confidence = found
        source = party.line.page
        confidence *= party.line.sureness
        return Answer(
            text=party.name,
            confidence=round(confidence, 3),
            answerer=self.name,
            sources=[source.citation],
            data={"field": "party", "how": party.how, "evidence": party.evidence},
        )

    def _only_date(self, observations: list[Observation]) -> Answer | None:
        """The document's date when it shows exactly one (a receipt's unlabelled date)."""
        found: dict[str, tuple[str, Line]] = {}
        for lines in pages_of(observations):
            for line in lines:
                for match in DATE_SPAN.finditer(unglue_time(line.text.replace("\t", " "))):
                    found.setdefault(re.sub(r"\W", "", match.group(0).lower()),
                                     (match.group(0), line))  # fmt: skip
        if len(found) != 1:
            return None
        ((text, line),) = found.values()
        if any(_other_field("invoice_date", pair.key) for pair in _pairs_on(line)):
            return None  # the one date readable is labelled as another ("Due date: ...")
        return Answer(
            text=text,
            confidence=round(0.85 * line.sureness, 3),
            answerer=self.name,
            sources=[line.page.citation],
            data={"field": "invoice_date", "how": "the only date on the page"},
        )

    def _pair(
        self, question: str, observations: list[Observation], expected: AnswerType
    ) -> Answer | None:
        field, field_conf = field_for_question(question, expected)
        candidates: list[_Candidate] = []
        for observation in observations:
            if observation.kind not in ("page", "text", "passage", "table"):
                continue
            for pair in extract_pairs(observation):
                if DATE_SPAN.search(pair.key):
                    continue  # "Issued 14.05.2025 | Oakridge Ltd": a key holding its own value
                score = key_score(field, pair.key, question)
                if score <= 0.25:
                    continue
                kind = expected if expected is not AnswerType.FREE_TEXT else None
                if kind is None and field in FIELD_TYPES:
                    kind = FIELD_TYPES[field]
                value = typed_span(pair.value, kind) if kind else pair.value.strip()
                if value and kind in NAME_TYPES and not name_like(value):
                    continue
                if value:
                    candidates.append(_Candidate(score, value, pair))
        if field == "total":
            candidates = [_summary_total_demoted(c) for c in candidates]
        candidates.sort(key=lambda c: (-c.score, c.pair.line))
        weak = not candidates or candidates[0].score < 0.6
        if expected is AnswerType.DATE and field in (None, "invoice_date") and weak:
            return self._only_date(observations)
        if not candidates:
            return None
        best = candidates[0]
        agree = 0
        disputed = False
        if field == "total":
            best, agree = _grand_total(candidates, observations)
            disputed, agree = agree == DISPUTED, max(agree, 0)
        sums = _part_of_total(field, best.value, observations) if field in _PARTS else 0
        runner_up = next((c for c in candidates if _differs(c.value, best.value)), None)
        margin = best.score - (runner_up.score if runner_up else 0.0)
        confidence = best.pair.read_confidence * min(1.0, 0.55 + 0.45 * best.score)
        confidence *= field_conf if field else (0.9 if best.score >= 0.85 else 0.7)
        if margin < 0.05 and not agree:
            confidence *= 0.75
        if (
            kind is AnswerType.AMOUNT
            and _cents_expected(observations)
            and not _has_cents(best.value)
        ):
            confidence *= 0.6  # the page writes cents; a total without them is a misread
        if agree:  # arithmetic confirms the figures as read
            confidence = max(confidence, 0.95)
        elif field == "total" and (amount_value(best.value) or 0) < 0:
            confidence *= NEGATIVE_TOTAL_FACTOR  # a credit, or a stroke read as a minus
        if disputed:
            confidence *= DISPUTED_TOTAL_FACTOR
        if kind is AnswerType.IDENTIFIER and _confusable_prefix(best.value, best.pair.source):
            confidence *= CONFUSABLE_PREFIX_FACTOR
        if kind is AnswerType.DATE and not _plausible_year(best.value):
            confidence *= IMPLAUSIBLE_DATE_FACTOR  # "16 Sep 2621": a misread year
        rivals = rival_words(question, field, best.pair.key)
        if rivals:
            confidence *= RIVAL_FACTOR  # "the total *tax*" answered with the total
        if sums < 0:
            confidence *= SUM_MISMATCH_FACTOR  # subtotal + tax is not the total as read
        if kind is AnswerType.AMOUNT and malformed_amount(best.value):
            confidence *= MALFORMED_AMOUNT_FACTOR
        if kind is AnswerType.AMOUNT and not (agree or sums > 0) and _several_amounts(best):
            confidence *= SEVERAL_AMOUNTS_FACTOR  # "$48,322 64": which figure is the value?
        agree = max(agree, sums)
        text = best.value
        if kind is AnswerType.AMOUNT:
            text = with_page_decimal_point(text, observations)
        return Answer(
            text=text,
            confidence=round(confidence, 3),
            answerer=self.name,
            sources=[best.pair.source.citation],
            data={"field": field, "key": best.pair.key, "value": best.value, "how": best.pair.how,
                  "checks": agree, **({"rivals": rivals} if rivals else {}),
                  **({"disputed": True} if disputed else {})},
        )  # fmt: skip


SEVERAL_AMOUNTS_FACTOR = 0.6
# A tax summary's own table ("GST Summary / SR 6% 73.87 4.43 / TOTAL 73.87 4.43"): its total
# row sums the taxable amounts, not what was paid.
_TAX_SUMMARY = re.compile(r"\b(?:gst|vat|tax|sst)\s*summary\b", re.IGNORECASE)
SUMMARY_TOTAL_FACTOR = 0.5


@functools.lru_cache(maxsize=256)  # one page's text, asked for each of its candidates
def _tax_summary_line(text: str) -> int | None:
    """The index of the page's tax summary heading line, if it has one."""
    return next((i for i, line in enumerate(text.splitlines()) if _TAX_SUMMARY.search(line)), None)


def _summary_total_demoted(candidate: _Candidate) -> _Candidate:
    """A total row under a tax summary heading is no grand total: its score is halved."""
    heading = _tax_summary_line(candidate.pair.source.text)
    if heading is None or candidate.pair.line <= heading:
        return candidate
    return _Candidate(candidate.score * SUMMARY_TOTAL_FACTOR, candidate.value, candidate.pair)


def with_page_decimal_point(value: str, observations: list[Observation]) -> str:
    """ "4,80" written as "4.80" where the page's other amounts have a decimal point: the
    comma is the misread point (a page that writes decimal commas keeps them)."""
    if "." in value or not re.fullmatch(r"\D*\d{1,3},\d\d\D*", value):
        return value  # only a lone "4,80" ("1,23,456.00" and "1.234,56" are grouped)
    text = "\n".join(o.text for o in observations if o.kind in ("page", "text", "passage"))
    points = len(re.findall(r"\d\.\d\d(?!\d)", text))
    commas = len(re.findall(r"\d,\d\d(?!\d)", text))
    if points >= 3 and points >= 2 * commas:
        return re.sub(r"(\d),(\d\d)(?!\d)", r"\1.\2", value, count=1)
    return value


NEGATIVE_TOTAL_FACTOR = 0.6


def _several_amounts(candidate: _Candidate) -> bool:
    """The value read holds other figures than the one taken ("$48,322 64": the point lost,
    "64" taken; "2 15.40": a count and a sum), and arithmetic did not say which is right."""
    spans = AMOUNT_SPAN.findall(despace(candidate.pair.value))
    others = [s for s in spans if amount_value(s) != amount_value(candidate.value)]
    return len(spans) > 1 and bool(others)


_PARTS = ("subtotal", "tax")
SUM_MISMATCH_FACTOR = 0.6


def _field_amounts(observations: list[Observation], field: str) -> set[Decimal]:
    """Amounts of the pairs whose key names ``field`` ("Subtotal", "VAT 20%", "Total due")."""
    found = set()
    for observation in observations:
        if observation.kind not in ("page", "text", "passage", "table"):
            continue
        for pair in extract_pairs(observation):
            if key_score(field, pair.key, field) < 0.6:
                continue
            value = typed_span(pair.value, AnswerType.AMOUNT)
            amount = amount_value(value) if value else None
            if amount is not None:
                found.add(amount)
    return found


def _part_of_total(field: str, value: str, observations: list[Observation]) -> int:
    """Whether a subtotal or tax as read adds up with the page's other two figures to its
    total: 1 it does, -1 the page shows the other two and no sum of them fits, 0 unknown."""
    amount = amount_value(value)
    if amount is None:
        return 0
    other = "tax" if field == "subtotal" else "subtotal"
    totals = _field_amounts(observations, "total")
    others = _field_amounts(observations, other)
    if not totals or not others:
        return 0
    parts = others | {a + b for a, b in itertools.combinations(others, 2)}
    gaps = [abs(amount + p - t) for p in parts for t in totals]
    if min(gaps) <= Decimal("0.004"):
        return 1
    # A cent off is a rounding or a misread last digit ("4,281.09" for 4,281.08): no proof.
    return 0 if min(gaps) <= Decimal("0.011") else -1


MALFORMED_AMOUNT_FACTOR = 0.6  # "4,281,09": the grouping itself says a mark was misread


def malformed_amount(value: str) -> bool:
    """An amount whose separators do not group ("4,281,09", "12.34.5"): a misread mark."""
    found = re.search(r"\d(?:[\d,.']|(?<=\d) (?=\d))*\d", value)
    if not found:
        return False
    number = found.group(0)
    groups = re.split(r"[,.' ]", number)
    seps = re.findall(r"[,.' ]", number)
    if not seps:
        return False
    *marks, last = seps
    if not marks:
        return False  # "4281,09", "1,000": one mark, either reading holds
    if any(mark != marks[0] for mark in marks):
        return True  # "1,234.567.89": two kinds of grouping mark
    integer = groups if last == marks[0] else groups[:-1]
    tail = integer[1:]
    western = all(len(group) == 3 for group in tail)
    indian = len(tail) >= 2 and all(len(g) == 2 for g in tail[:-1]) and len(tail[-1]) == 3
    return len(integer[0]) > 3 or not (western or indian)  # "4,281,09", "12.34.5"


# OCR reads a lone prefix letter and a digit alike (I/1/l, O/0): "1-64362" may be "I-64362".
_CONFUSABLE_PREFIX = re.compile(r"^[01lIO][-/]\d")
CONFUSABLE_PREFIX_FACTOR = 0.6  # well under every route threshold


def _confusable_prefix(value: str, source: Observation) -> bool:
    """An identifier recognised from pixels whose one-character prefix could be either."""
    return source.data.get("source") == "ocr" and bool(_CONFUSABLE_PREFIX.match(value.strip()))


# A document date outside these years is a misread digit, not a date to give.
PLAUSIBLE_YEARS = (1950, 2100)
IMPLAUSIBLE_DATE_FACTOR = 0.5


def _plausible_year(value: str) -> bool:
    years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", value)]
    return all(PLAUSIBLE_YEARS[0] <= y <= PLAUSIBLE_YEARS[1] for y in years)


def _has_cents(text: str) -> bool:
    return re.search(r"\d[.,]\d\d(?!\d)", text) is not None


def _cents_expected(observations: list[Observation]) -> bool:
    """Most amounts on the pages are written with cents."""
    amounts = [
        span
        for o in observations
        if o.kind in ("page", "text", "passage")
        for span in re.findall(r"\d[\d,.]*\d|\d", o.text)
        if len(span) >= 3
    ]
    with_cents = sum(1 for a in amounts if _has_cents(a))
    return len(amounts) >= 3 and with_cents >= 0.5 * len(amounts)


def amount_value(text: str) -> Decimal | None:
    """The amount a value writes ("RM 4,60", "-0.01", "1.234,56"), or None."""
    cleaned = re.sub(r"[^\d.,-]", "", text)
    cleaned = re.sub(r"^(-?)([.,]\d)", r"\g<1>0\2", cleaned)  # ".01" is 0.01
    if re.fullmatch(r"-?\d{1,3}(?:\.\d{3})*,\d{2}", cleaned):  # 1.234,56 and 4,60
        cleaned = cleaned.replace(".", "").replace(",", ".")  # (a grouping comma takes 3)
    return parse_number(cleaned)


def _differs(a: str, b: str) -> bool:
    x, y = amount_value(a), amount_value(b)
    if x is not None and y is not None and re.search(r"\d", a) and re.search(r"\d", b):
        return x != y
    return normalize(a) != normalize(b)


# "0.010" where the page writes cents: a speck read as a third decimal ("0.00", "0.01"?).
_THIRD_DECIMAL = re.compile(r"\D*-?0[.,]\d{3}\D*")


def _labelled_amounts(observations: list[Observation], pattern: re.Pattern) -> list[Decimal]:
    """Amounts of the lines whose key matches; "1094" on a page of cents may be 10.94, and
    "0.010" on such a page is no reading at all."""
    values = []
    cents = functools.cache(lambda: _cents_expected(observations))
    for observation in observations:
        if observation.kind not in ("page", "text", "passage", "table"):
            continue
        for pair in extract_pairs(observation):
            if pattern.search(normalize(pair.key)):
                value = typed_span(pair.value, AnswerType.AMOUNT)
                amount = amount_value(value) if value else None
                if amount is not None and _THIRD_DECIMAL.fullmatch(value) and cents():
                    continue
                if amount is not None:
                    if amount > 0 and re.match(r"\s*[-−–(]", pair.value):
                        amount = -amount  # "-RM 0.02", "(0.02)": the sign before the currency
                    values.append(amount)
                    if value and re.fullmatch(r"\D*\d{3,}\D*", value):  # the point not read
                        values.append(amount / 100)
    return values


def _grand_total(
    candidates: list[_Candidate], observations: list[Observation]
) -> tuple[_Candidate, int]:
    """The grand total and how many independent readings confirm it.

    Three readings: the printed total lines (grand-total wording first); arithmetic (subtotal
    + tax + rounding, or a printed total + its rounding); the payment (cash or card tendered −
    change). The value most readings agree on wins; a value only arithmetic gives (its printed
    line misread: "28-90", "11.6.") is written with cents. When a reading contradicts the
    chosen value, it is returned unconfirmed and marked disputed (less confident).
    """
    totals = [c for c in candidates if c.score >= 0.6]
    if not totals:  # no total line as such ("Taxable amount"): the payment can still object
        weak, paid = candidates[0], _payment(observations, settled=True)
        value = amount_value(weak.value)
        if paid and value is not None and all(abs(value - p) > Decimal("0.004") for p in paid):
            return weak, DISPUTED
        return weak, 0
    strong = [c for c in totals if _GRAND.search(normalize(c.pair.key))] or totals
    best = max(strong, key=lambda c: (c.score, _has_cents(c.value), c.pair.line))
    printed = {v for v in (amount_value(c.value) for c in strong) if v is not None}
    subtotals = _labelled_amounts(observations, re.compile(r"\b(sub ?-?total|net|excl)"))
    taxes = _labelled_amounts(observations, re.compile(r"\b(tax|vat|gst|sst)\b"))
    rounding = [r for r in _labelled_amounts(observations, re.compile(r"\bround"))
                if abs(r) < 1]  # fmt: skip
    arithmetic = {s + t + r for s in subtotals for t in taxes if t < s for r in rounding or [0]}
    arithmetic |= {p + r for p in printed for r in rounding if r}
    partial = _labelled_amounts(observations, re.compile(r"\btotal\b"))  # "0% supplies", "6% ..."
    arithmetic |= {a + b for a, b in itertools.combinations(set(partial), 2) if a and b}
    paid = _payment(observations)

    def close(x: Decimal, y: Decimal) -> bool:
        return abs(x - y) <= Decimal("0.004")  # cents are exact

    # "Total Payable: - 51.88": a dash before a total the other readings give positive is a
    # stroke (a pen mark, a leader), not a credit.
    # "GRAND TOTAL 1000" over "CASH 20.00 / CHANGE 10.00": the point not read.
    printed = {-v if v < 0 and any(close(-v, x) for x in arithmetic | paid) else v
               for v in printed}  # fmt: skip
    printed = {v / 100 if _point_lost(v, strong) and any(close(v / 100, x) for x in
               arithmetic | paid) else v for v in printed}  # fmt: skip
    readings = [printed, arithmetic, paid]

    def support(value: Decimal) -> int:
        return sum(any(close(x, value) for x in reading) for reading in readings)

    options = printed | arithmetic | paid
    if not options:
        return best, 0
    wording = {v: _GRAND.search(normalize(c.pair.key)) is not None
               for c in strong if (v := amount_value(c.value)) is not None}  # fmt: skip
    # Ties go to what the payment says was paid, then to a printed grand-total line.
    top = max(
        options,
        key=lambda v: (support(v), any(close(v, x) for x in paid), v in printed,
                       wording.get(v, False), v),
    )  # fmt: skip
    agreeing = support(top)

    def agrees(x: Decimal) -> bool:  # a total printed before its rounding agrees too
        return close(x, top) or any(close(x + r, top) for r in rounding)

    # Printed totals and the payment can contradict; arithmetic only supports (its sums of
    # whatever tax and total lines the page has are too loose to overrule a reading).
    disputed = any(reading and not any(agrees(x) for x in reading) for reading in (printed, paid))
    settled = _payment(observations, settled=True) if disputed else set()

    def contradicted(value: Decimal | None) -> bool:
        """A printed total or the change counted says other than ``value`` (cash handed over
        without a change line read proves nothing)."""
        if value is None:
            return False
        fits = [value, *(value + r for r in rounding), *(value - r for r in rounding)]
        return any(
            reading and not any(close(x, f) for x in reading for f in fits)
            for reading in (printed, settled)
        )

    if agreeing >= 2 and not disputed:
        printed_as = next(
            (c for c in strong if amount_value(c.value) == top and _has_cents(c.value)), None
        )
        if printed_as is not None:
            return printed_as, agreeing - 1
        return _Candidate(best.score, f"{top:.2f}", best.pair), agreeing - 1
    if agreeing >= 2:  # agreed, yet another reading says otherwise
        return _Candidate(best.score * 0.8, f"{top:.2f}", best.pair), (
            DISPUTED if contradicted(top) else 0
        )
    if disputed or len(printed) > 1:  # total lines disagree and nothing settles it
        best = _Candidate(best.score * 0.8, best.value, best.pair)
    return best, DISPUTED if contradicted(amount_value(best.value)) else 0


def _payment(observations: list[Observation], *, settled: bool = False) -> set[Decimal]:
    """What the payment lines say was paid: tendered − change, or what was tendered (with
    ``settled``, only what was charged exactly: cash handed over without a change line read
    may be more than the total). Signs are dropped: receipts print "-22.00" tendered too."""
    tendered = [abs(t) for t in _labelled_amounts(observations, _TENDERED)]
    change = [abs(g) for g in _labelled_amounts(observations, re.compile(r"\bchange\b"))]
    charged = {abs(c) for c in _labelled_amounts(observations, _CHARGED)}
    if not change:
        return charged if settled else set(tendered) | charged
    return {c - g for c in tendered for g in change if c >= g} | charged


DISPUTED = -1  # _grand_total's count of confirmations when a reading contradicts the answer
DISPUTED_TOTAL_FACTOR = 0.6  # the payment or a printed line says another total


def _point_lost(value: Decimal, strong: list[_Candidate]) -> bool:
    """A printed total read as a whole number of three or more digits ("1000" for 10.00)."""
    return any(
        amount_value(c.value) == value and re.fullmatch(r"\D*\d{3,}\D*", c.value.strip())
        for c in strong
    )


# Lines of the amount handed over (the change is what comes back).
_TENDERED = re.compile(r"\b(cash|tendered|credit|card|visa|mastercard|debit|amount paid)\b")
# Lines of the amount charged exactly (a card takes no change): "AMOUNT CHARGED", "Total paid".
_CHARGED = re.compile(r"\b(charged|amount paid|total paid|paid by card|card payment)\b")
