"""Document field lookup: key/value pairs read off OCR'd pages (invoices, receipts, forms)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from serve.answer.base import Answer
from serve.answer.text import content_tokens, normalize, overlap
from serve.context.observations import Observation

# Canonical fields: question cues → key aliases seen on documents.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "invoice_number": (
        (
            "invoice number",
            "invoice no",
            "invoice #",
            "invoice id",
            "invoice num",
            "number of the invoice",
        ),
        (
            "invoice number",
            "invoice no",
            "invoice #",
            "invoice id",
            "invoice",
            "inv no",
            "no",
            "number",
        ),
    ),
    "total": (
        ("total", "amount due", "balance due", "grand total", "amount to pay", "how much", "owe"),
        (
            "total due",
            "amount due",
            "grand total",
            "total amount",
            "balance due",
            "total",
            "amount payable",
        ),
    ),
    "subtotal": (
        ("subtotal", "sub-total", "sub total", "net amount", "before tax"),
        ("subtotal", "sub total", "net total", "net amount"),
    ),
    "tax": (("tax", "vat", "gst", "sales tax"), ("tax", "vat", "gst", "sales tax")),
    "due_date": (
        ("due date", "due", "pay by", "payment due", "deadline"),
        ("due date", "payment due", "due", "pay by"),
    ),
    "invoice_date": (
        ("invoice date", "date of the invoice", "issued", "issue date", "when was", "date"),
        ("invoice date", "date of issue", "issue date", "date"),
    ),
    "buyer": (
        ("bill to", "billed to", "customer", "client", "buyer", "sold to", "recipient"),
        ("bill to", "billed to", "customer", "client", "sold to", "buyer"),
    ),
    "seller": (
        ("seller", "vendor", "supplier", "issued by", "from", "company", "who issued"),
        ("from", "seller", "vendor", "supplier", "company"),
    ),
    "po_number": (
        ("purchase order", "po number", "po #", "order number"),
        ("po number", "po #", "purchase order", "order number", "order no"),
    ),
    "currency": (("currency",), ("currency",)),
}

_KV_SEPARATORS = re.compile(r"\s*(?::|\t|\s{2,}|\.{3,})\s*")


@dataclass
class KeyValue:
    key: str
    value: str
    source: Observation
    line: int


def extract_pairs(observation: Observation) -> list[KeyValue]:
    """``Key: Value`` / ``Key    Value`` lines; a key alone on a line takes the next line(s)."""
    pairs: list[KeyValue] = []
    lines = [line.strip() for line in observation.text.splitlines()]
    for index, line in enumerate(lines):
        if not line:
            continue
        parts = _KV_SEPARATORS.split(line, maxsplit=1)
        if len(parts) == 2 and parts[0] and len(parts[0]) <= 40:
            key, value = parts[0].strip(" #"), parts[1].strip()
            if value:
                pairs.append(KeyValue(key, value, observation, index))
                continue
            following = [x for x in lines[index + 1 : index + 4] if x and ":" not in x]
            if following:
                pairs.append(KeyValue(key, ", ".join(following[:3]), observation, index))
            continue
        # "Invoice INV-001" / "Total 1,234.00": a known alias followed by a value.
        lowered = normalize(line)
        for _, (_, aliases) in FIELDS.items():
            for alias in aliases:
                if lowered.startswith(alias + " ") and len(alias) > 2:
                    value = line[len(alias) :].strip(" :#")
                    if value:
                        pairs.append(KeyValue(line[: len(alias)], value, observation, index))
                    break
    return pairs


# Cues that only say "an amount/date is wanted": used when no specific field is named.
WEAK_CUES = frozenset({"how much", "owe", "when was", "date", "from", "company", "due"})


def _field_for_question(question: str) -> tuple[str | None, float]:
    lowered = normalize(question)
    best, best_rank = None, (False, 0)
    for field, (cues, _) in FIELDS.items():
        for cue in cues:
            if not re.search(rf"(?<![a-z]){re.escape(cue)}(?![a-z])", lowered):
                continue
            rank = (cue not in WEAK_CUES, len(cue))  # specific cues beat weak ones, then longer
            if rank > best_rank:
                best, best_rank = field, rank
    if best is None:
        return None, 0.0
    return best, 1.0 if best_rank[0] else 0.85


def _key_score(field: str | None, key: str, question_tokens: list[str]) -> float:
    key_norm = normalize(key)
    score = 0.0
    if field:
        aliases = FIELDS[field][1]
        for rank, alias in enumerate(aliases):
            if key_norm == alias:
                score = max(score, 1.0 - rank * 0.03)
            elif key_norm.startswith(alias) or key_norm.endswith(alias):
                score = max(score, 0.85 - rank * 0.03)
        if field == "total" and ("sub" in key_norm or "tax" in key_norm):
            score = min(score, 0.2)
        others = (a for name, (_, al) in FIELDS.items() if name != field for a in al if len(a) > 4)
        if score < 0.8 and any(key_norm == alias for alias in others):
            return 0.0  # the key names another field ("Invoice number" when a date is asked)
        if field == "invoice_date" and "due" in key_norm:
            score = min(score, 0.2)
    if field is None or score > 0:
        score = max(score, 0.9 * overlap(question_tokens, key))
    return score


class FieldAnswerer:
    """Answers "what is the <field>?" from key/value pairs on document pages."""

    name = "document_field"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        pages = [o for o in observations if o.kind in ("page", "text", "passage")]
        if not pages:
            return None
        field, field_conf = _field_for_question(question)
        question_tokens = content_tokens(question)
        candidates: list[tuple[float, KeyValue]] = []
        for page in pages:
            for pair in extract_pairs(page):
                score = _key_score(field, pair.key, question_tokens)
                if score > 0:
                    candidates.append((score, pair))
        if not candidates:
            return None
        candidates.sort(key=lambda c: (-c[0], c[1].line))
        score, best = candidates[0]
        if field == "total":  # the last/largest "total" line on the page is the grand total
            totals = [c for c in candidates if c[0] >= score - 0.05]
            score, best = max(totals, key=lambda c: (c[1].source.locator, c[1].line))
        runner_up = next((c for c in candidates[1:] if c[1].value != best.value), None)
        margin = score - (runner_up[0] if runner_up else 0.0)
        confidence = min(best.source.confidence, 1.0) * min(1.0, 0.55 + 0.45 * score)
        if field is None:  # matched on the key's own words ("Price: ..." for "the price")
            confidence *= 0.9 if score >= 0.85 else 0.7
        else:
            confidence *= field_conf
        if margin < 0.05:
            confidence *= 0.75
        return Answer(
            text=best.value,
            confidence=round(confidence, 3),
            answerer=self.name,
            sources=[best.source.citation],
            data={"field": field, "key": best.key, "value": best.value},
        )
