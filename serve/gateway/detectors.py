"""Secrets and PII in text: API keys and private keys, cards (Luhn), IBANs (mod 97), e-mail
addresses and phone numbers. Each finding has a span, so it can be redacted in place.

Every step is linear in the text: each pattern runs once over it (patterns whose match could
restart at every character of a long run are anchored at the run's start or scanned by hand,
see :func:`_jwt_spans`), and overlaps are resolved by merging sorted span lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from serve.gateway.config import CARD, EMAIL, IBAN, PHONE, SECRET


@dataclass(frozen=True)
class Finding:
    category: str  # secret, card, iban, email, phone
    kind: str  # openai_key, aws_access_key, visa, ...
    start: int
    end: int
    score: float

    def masked(self, text: str) -> str:
        """What the audit may say about the match: its length, never its characters."""
        return f"{self.end - self.start} chars"


def luhn_valid(number: str) -> bool:
    """The Luhn checksum of a digit string (spaces and dashes ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 2 or len(digits) != len(re.sub(r"[\s-]", "", number)):
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


# Lengths by country (ISO 13616 registry; unlisted countries accept 15-34 characters).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
    "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "XK": 20,
}  # fmt: skip


def iban_valid(value: str) -> bool:
    """ISO 13616 check: country length and the mod-97 checksum equal to 1."""
    iban = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _card_brand(digits: str) -> str | None:
    if digits[0] == "4" and len(digits) in (13, 16, 19):
        return "visa"
    if len(digits) == 16 and (51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720):
        return "mastercard"
    if len(digits) == 15 and digits[:2] in ("34", "37"):
        return "amex"
    if digits.startswith(("6011", "65", "644", "645", "646", "647", "648", "649")):
        return "discover"
    if len(digits) in (16, 19) and 3528 <= int(digits[:4]) <= 3589:
        return "jcb"
    if len(digits) == 14 and digits[:2] in ("36", "38", "30"):
        return "diners"
    return None


Scanner = Callable[[str], list[tuple[int, int]]]

_TOKEN_CHARS = "A-Za-z0-9_-"
# A JWT is header.payload.signature, header and payload base64url JSON ("eyJ" = '{"').
# The segments are scanned from the start of each dotted run of token characters: run from
# every "eyJ" inside a long run (eyJ-eyJ-eyJ-…) the pattern would be quadratic.
_DOTTED_RUN = re.compile(
    rf"(?<![{_TOKEN_CHARS}])[{_TOKEN_CHARS}]++\.eyJ[{_TOKEN_CHARS}]{{8,}}+\.[{_TOKEN_CHARS}]{{8,}}+"
)
_JWT_HEADER = re.compile(rf"\beyJ(?=[{_TOKEN_CHARS}]{{8}})")


def _jwt_spans(text: str) -> list[tuple[int, int]]:
    """JWT spans, as ``\\beyJ…{8,}\\.eyJ…{8,}\\.…{8,}`` finds them, in one pass."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _DOTTED_RUN.search(text, pos)) is not None:
        dot = text.index(".", m.start())  # end of the first run (the header candidate)
        header = _JWT_HEADER.search(text, m.start(), dot)
        if header is not None:
            spans.append((header.start(), m.end()))
            pos = m.end()
        else:  # no header in this run: the payload may itself start a token
            pos = dot + 1
    return spans


def _scanner(pattern: re.Pattern[str] | Scanner) -> Scanner:
    """Spans of a pattern's matches (of its ``value`` group when it has one), in order."""
    if not isinstance(pattern, re.Pattern):
        return pattern
    group = "value" if "value" in pattern.groupindex else 0

    def spans(text: str) -> list[tuple[int, int]]:
        return [m.span(group) for m in pattern.finditer(text)]

    return spans


# (kind, pattern or scanner, score) — secrets first: they win overlaps with PII patterns.
_SECRET_PATTERNS: list[tuple[str, re.Pattern[str] | Scanner, float]] = [
    ("private_key", re.compile(
        r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )*PRIVATE KEY-----"
        r"|$)"), 1.0),
    ("interfaze_key", re.compile(r"\bsk-ifz-[0-9a-f]{12}-[A-Za-z0-9_-]{32,128}"), 1.0),
    ("anthropic_key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}"), 1.0),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), 0.95),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), 1.0),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
     1.0),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 1.0),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), 1.0),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}"), 1.0),
    ("huggingface_token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), 0.95),
    ("jwt", _jwt_spans, 0.9),
    ("password_assignment", re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)"
        r"\s*[:=]\s*['\"]?(?P<value>[^\s'\"]{8,})"), 0.7),
]  # fmt: skip
_SECRET_SCANNERS = [(kind, _scanner(pattern), score) for kind, pattern, score in _SECRET_PATTERNS]

_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?!\w)"
)


def _phone_like(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if not 8 <= len(digits) <= 15:
        return False
    if value.startswith("+") or "(" in value:
        return True
    # Without a + or (area code) ask for separators grouping like a phone number, so that
    # amounts, ids and dates (2024-05-01) are not taken for one.
    groups = re.split(r"[ .-]", value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or len(groups) < 2:
        return False
    return len(digits) >= 10 and all(2 <= len(g) <= 4 for g in groups)


def _merge(taken: list[Finding], new: list[Finding]) -> list[Finding]:
    """``taken`` plus the findings of ``new`` that overlap none of them.

    Both lists are sorted by start and free of overlaps within themselves, so one sweep does
    it: before each new finding, the taken ones ending at or before its start are passed; the
    next taken one is the only one it can overlap.
    """
    if not new:
        return taken
    out: list[Finding] = []
    i, n = 0, len(taken)
    for f in new:
        while i < n and taken[i].end <= f.start:
            out.append(taken[i])
            i += 1
        if i < n and taken[i].start < f.end:
            continue  # overlaps a finding of an earlier detector: that one wins
        out.append(f)
    out.extend(taken[i:])
    return out


def find_sensitive(text: str) -> list[Finding]:
    """Every secret and PII span in ``text``, sorted, without overlaps (the first detector
    wins). Linear in ``len(text)``."""
    taken: list[Finding] = []
    for kind, spans, score in _SECRET_SCANNERS:
        taken = _merge(taken, [Finding(SECRET, kind, s, e, score) for s, e in spans(text)])
    ibans = [m.span() for m in _IBAN.finditer(text) if iban_valid(m.group())]
    taken = _merge(taken, [Finding(IBAN, "iban", s, e, 1.0) for s, e in ibans])
    cards = []
    for m in _CARD.finditer(text):
        brand = _card_brand(re.sub(r"\D", "", m.group()))
        if brand and luhn_valid(m.group()):
            cards.append(Finding(CARD, brand, *m.span(), 1.0))
    taken = _merge(taken, cards)
    taken = _merge(taken, [Finding(EMAIL, "email", *m.span(), 0.9) for m in _EMAIL.finditer(text)])
    phones = [m.span() for m in _PHONE.finditer(text) if _phone_like(m.group())]
    return _merge(taken, [Finding(PHONE, "phone", s, e, 0.7) for s, e in phones])


MAX_EVIDENCE = 8  # masked findings listed per category; the rest are counted


@dataclass(frozen=True)
class FindingGroup:
    """The findings of one category in one text, as verdicts and the audit need them."""

    category: str
    score: float  # the highest
    count: int
    evidence: tuple[str, ...]  # "<kind>:<n> chars" of the first MAX_EVIDENCE, then "+n more"


def summarize(findings: list[Finding]) -> list[FindingGroup]:
    """One group per category, in order of first appearance."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.category, []).append(f)
    return [_group(category, group) for category, group in groups.items()]


def _group(category: str, findings: list[Finding]) -> FindingGroup:
    evidence = [f"{f.kind}:{f.end - f.start} chars" for f in findings[:MAX_EVIDENCE]]
    if len(findings) > MAX_EVIDENCE:
        evidence.append(f"+{len(findings) - MAX_EVIDENCE} more")
    return FindingGroup(category, max(f.score for f in findings), len(findings), tuple(evidence))


def merge_groups(groups: list[FindingGroup]) -> list[FindingGroup]:
    """Groups of several texts combined per category (scores maxed, counts summed)."""
    merged: dict[str, FindingGroup] = {}
    for g in groups:
        seen = merged.get(g.category)
        if seen is None:
            merged[g.category] = g
            continue
        evidence = [e for e in seen.evidence + g.evidence if not e.startswith("+")]
        count = seen.count + g.count
        kept = tuple(evidence[:MAX_EVIDENCE])
        if count > len(kept):
            kept += (f"+{count - len(kept)} more",)
        merged[g.category] = FindingGroup(g.category, max(seen.score, g.score), count, kept)
    return list(merged.values())


def redact(text: str, findings: list[Finding], categories: set[str]) -> str:
    """``text`` with the findings of ``categories`` replaced by ``[REDACTED:<kind>]``."""
    out, last = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.category not in categories or f.start < last:
            continue
        out.append(text[last : f.start])
        out.append(f"[REDACTED:{f.kind}]")
        last = f.end
    out.append(text[last:])
    return "".join(out)
