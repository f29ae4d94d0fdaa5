"""Business documents of layouts never seen, with questions phrased many ways: DEV / HELD-OUT.

    .venv/bin/python -m loadtest.perception.gen_business_docs --split dev --out /tmp/docs -n 16

THE SPLIT (decided before any tuning; never look at held-out failures while tuning):

- Templates (:mod:`doc_templates`, 16 in all):
  DEV      classic, two_column, till_receipt, purchase_order, from_to, qty_first, timesheet,
           delivery_note
  HELD-OUT bank_statement, footer_brand, multipage, boxed_header, tax_receipt, right_seller,
           supplier_po, utility_bill
- Vocabulary: company words, legal suffixes, shops, banks, goods, cities and people come
  from disjoint pools (:data:`doc_facts.POOLS`).
- Question phrasings: :data:`PHRASINGS` ``dev`` vs ``heldout`` (no phrasing in both).
- Scans: dev 150/200/300 dpi, ±2° rotation, blur ≤ 0.8, JPEG 60-90; held-out 150/175/225/
  250/300 dpi, ±3°, blur ≤ 1.1, JPEG 50-85, faded print on a third of the pages.
- Seeds: every stream is seeded with the split name, so the splits never share a document.

PROBE (a third split, tuning data for failures on unseen layouts): the six templates of
:mod:`doc_templates_probe` (logo_service, wholesale_deposit, carried_forward, proforma_three,
cafe_receipt, hire_invoice), none of them a dev or held-out template, drawn with the DEV
vocabulary, DEV phrasings and DEV scan profile, so only the layout is new; its streams are
seeded with "probe", so its documents differ from dev's.

PROBE2 (a fourth split, measured untouched: layouts nobody has tuned on): the six templates
of :mod:`doc_templates_probe2` (remit_invoice, telecom_bill, market_till, qty_last,
buyer_heading_po, dotted_leader), none of them a dev, held-out or probe template, drawn like
probe with the DEV vocabulary, phrasings and scan profile; its streams are seeded with
"probe2".

PROBE3 (a fifth split, measured untouched like probe2): the six templates of
:mod:`doc_templates_probe3` (landscape_invoice, letter_invoice, restaurant_bill,
courier_invoice, two_tables, german_invoice), none of them a dev, held-out, probe or probe2
template, drawn with the DEV vocabulary, phrasings and scan profile; its streams are seeded
with "probe3".
"""

from __future__ import annotations

import argparse
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from loadtest.perception.doc_facts import Vocabulary
from loadtest.perception.doc_templates import TEMPLATES, GeneratedDoc
from loadtest.perception.doc_templates_probe import PROBE_TEMPLATES
from loadtest.perception.doc_templates_probe2 import PROBE2_TEMPLATES
from loadtest.perception.doc_templates_probe3 import PROBE3_TEMPLATES
from loadtest.perception.gen_documents import rasterise

DEV_TEMPLATES = (
    "classic", "two_column", "till_receipt", "purchase_order", "from_to", "qty_first",
    "timesheet", "delivery_note",
)  # fmt: skip
HELDOUT_TEMPLATES = (
    "bank_statement", "footer_brand", "multipage", "boxed_header", "tax_receipt",
    "right_seller", "supplier_po", "utility_bill",
)  # fmt: skip
SPLIT_TEMPLATES = {
    "dev": DEV_TEMPLATES,
    "heldout": HELDOUT_TEMPLATES,
    "probe": tuple(PROBE_TEMPLATES),
    "probe2": tuple(PROBE2_TEMPLATES),
    "probe3": tuple(PROBE3_TEMPLATES),
}
assert set(DEV_TEMPLATES).isdisjoint(HELDOUT_TEMPLATES)
assert set(DEV_TEMPLATES) | set(HELDOUT_TEMPLATES) == set(TEMPLATES)
assert set(PROBE_TEMPLATES).isdisjoint(TEMPLATES)
assert set(PROBE2_TEMPLATES).isdisjoint({**TEMPLATES, **PROBE_TEMPLATES})
assert set(PROBE3_TEMPLATES).isdisjoint({**TEMPLATES, **PROBE_TEMPLATES, **PROBE2_TEMPLATES})
ALL_TEMPLATES = {**TEMPLATES, **PROBE_TEMPLATES, **PROBE2_TEMPLATES, **PROBE3_TEMPLATES}
# The split whose vocabulary, phrasings and scan profile a split uses (probe, probe2, probe3:
# only their layouts are new).
BASE_SPLIT = {"dev": "dev", "heldout": "heldout", "probe": "dev", "probe2": "dev", "probe3": "dev"}

# Question kind → phrasings; "{doc}" is the document noun, "{item}" a line item. A phrasing
# may be limited to some document kinds with a "kind1,kind2|" prefix.
PHRASINGS: dict[str, dict[str, list[str]]] = {
    "dev": {
        "issuer": [
            "Which company issued this {doc}?",
            "Who issued this {doc}?",
            "What is the name of the company that issued the {doc}?",
            "receipt|Which shop issued this receipt?",
            "receipt|What is the name of the store?",
        ],
        "seller": [
            "invoice,bill,receipt|Who is the seller?",
            "invoice,purchase_order,delivery_note|Which supplier is named on this {doc}?",
            "purchase_order|Which vendor is the order placed with?",
        ],
        "buyer": [
            "invoice,bill|Who is the {doc} billed to?",
            "invoice,bill,statement|Which customer is billed?",
            "invoice,delivery_note|Who is the buyer?",
        ],
        "number": [
            "invoice,receipt,purchase_order,delivery_note|What is the {doc} number?",
            "invoice,receipt,purchase_order,delivery_note|Which {doc} number is shown?",
            "statement,bill|What is the account number?",
        ],
        "date": [
            "What is the {doc} date?",
            "On what date was this {doc} issued?",
            "When was the {doc} issued?",
        ],
        "due_date": ["What is the due date?", "By when must this {doc} be paid?"],
        "total": [
            "invoice,bill|What is the total due?",
            "invoice,bill|How much is due in total on this {doc}?",
            "invoice,purchase_order|What is the grand total?",
            "receipt|What is the total paid?",
            "receipt|How much was paid in total?",
            "statement|What is the closing balance?",
            "purchase_order|What is the order total?",
        ],
        "tax": ["How much tax is charged?"],
        "subtotal": ["What is the subtotal?"],
        "qty": [
            "invoice,purchase_order,delivery_note|How many units of '{item}' were ordered?",
            "invoice,receipt,purchase_order|What quantity of {item} is listed?",
            "invoice,purchase_order,delivery_note|How many {item} were ordered?",
            "receipt|How many {item} were bought?",
        ],
        "shipped": ["How many {item} were shipped?"],
        "unit_price": [
            "What is the unit price of {item}?",
            "What is the price per unit of '{item}'?",
        ],
        "amount": ["What is the line total for {item}?"],
    },
    "heldout": {
        "issuer": [
            "Who sent this {doc}?",
            "Name the issuing company.",
            "What business is this {doc} from?",
            "receipt|Which merchant is this receipt from?",
            "receipt|Which outlet printed this receipt?",
        ],
        "seller": [
            "invoice,bill,purchase_order|Who is the supplier?",
            "invoice,receipt|Who is selling?",
            "purchase_order|Which vendor will supply the goods?",
        ],
        "buyer": [
            "invoice|Who is being invoiced?",
            "invoice,bill,statement|Which client is this {doc} addressed to?",
            "invoice,bill|Who has to pay this {doc}?",
        ],
        "number": [
            "invoice,receipt,purchase_order,delivery_note|"
            "What's the reference number of this {doc}?",
            "invoice,receipt,purchase_order|Give me the {doc} number.",
            "statement,bill|Which account is this {doc} for?",
        ],
        "date": ["What date is on this {doc}?", "When is the {doc} dated?", "Issue date?"],
        "due_date": ["When is payment due?", "What's the payment deadline?"],
        "total": [
            "invoice,bill|What's the amount to pay?",
            "invoice,bill,purchase_order|How much does this {doc} come to?",
            "invoice|Total amount?",
            "receipt|What did the customer pay in total?",
            "receipt|What's the receipt total?",
            "statement|What balance is the account left with?",
            "purchase_order|How much is the order worth in total?",
        ],
        "tax": ["What is the tax amount?", "How much VAT or sales tax is included?"],
        "subtotal": ["What is the amount before tax?"],
        "qty": [
            "invoice,receipt,purchase_order|How many {item} are on this {doc}?",
            "invoice,purchase_order|Quantity of '{item}'?",
            "invoice,purchase_order,delivery_note|How many of the {item} did they order?",
            "receipt|How many {item} did the customer buy?",
        ],
        "shipped": ["What quantity of {item} was actually shipped?"],
        "unit_price": [
            "How much does one {item} cost?",
            "What's the price for a single '{item}'?",
        ],
        "amount": ["What is the amount charged for {item}?", "How much in total for the {item}?"],
    },
}
_SIMPLE = ("issuer", "seller", "buyer", "number", "date", "due_date", "total", "tax", "subtotal")
_ITEM = {"qty": "qty", "shipped": "shipped", "unit_price": "unit_price", "amount": "amount"}


@dataclass
class Question:
    kind: str
    text: str
    expected: list[str]


def _phrasings(split: str, kind: str, doc_kind: str) -> list[str]:
    out = []
    for phrasing in PHRASINGS[BASE_SPLIT[split]][kind]:
        kinds, _, text = phrasing.rpartition("|")
        if not kinds or doc_kind in kinds.split(","):
            out.append(text)
    return out


def _number_only(value: str) -> str:
    return "".join(c for c in value if c.isdigit() or c in ",.").strip(",.")


def questions(doc: GeneratedDoc, split: str, rng: random.Random, count: int) -> list[Question]:
    """Up to ``count`` distinct questions about ``doc``, phrased from ``split``'s lists."""
    pool: list[Question] = []
    answers = dict(doc.answers)
    answers.setdefault("seller", answers.get("vendor") or answers["issuer"])
    if doc.kind == "statement":
        answers.pop("seller")
    for kind in _SIMPLE:
        texts = _phrasings(split, kind, doc.kind) if kind in answers else []
        if texts:
            text = rng.choice(texts).format(doc=doc.noun, item="")
            pool.append(Question(kind, text[0].upper() + text[1:], answers[kind]))
    for kind, attribute in _ITEM.items():
        if attribute not in doc.item_fields or not doc.items:
            continue
        texts = _phrasings(split, kind, doc.kind)
        if not texts:
            continue
        item = rng.choice(doc.items)
        if attribute == "shipped":
            value = item.extra["shipped"]
        else:
            value = getattr(item, attribute)
        expected = value if attribute == "qty" else _number_only(value)
        if not expected:
            continue
        text = rng.choice(texts).format(doc=doc.noun, item=item.description)
        pool.append(Question(kind, text, [expected]))
    rng.shuffle(pool)
    # Keep every document useful: item questions first when drawn, then the rest.
    return pool[:count]


def make_document(split: str, rng: random.Random, template: str | None = None) -> GeneratedDoc:
    """One document of ``split`` (a template of that split, drawn when not given)."""
    names = SPLIT_TEMPLATES[split]
    if template is None:
        template = rng.choice(names)
    elif template not in names:
        raise ValueError(f"template {template!r} is not in the {split} split")
    return ALL_TEMPLATES[template](Vocabulary(BASE_SPLIT[split], rng))


# ----------------------------------------------------------------------------- scanning

SCAN_PROFILES = {
    "dev": {"dpi": (150, 200, 300), "angle": 2.0, "blur": 0.8, "noise": 10.0,
            "jpeg": (60, 90), "fade": 0.0},
    "heldout": {"dpi": (150, 175, 225, 250, 300), "angle": 3.0, "blur": 1.1, "noise": 14.0,
                "jpeg": (50, 85), "fade": 0.33},
}  # fmt: skip


@dataclass
class Scan:
    """A scanned document: one image per page, or an image-only PDF for several pages."""

    mime: str
    data: bytes
    dpi: int
    pages: int
    variant: dict


def _degrade(image: Image.Image, rng: random.Random, profile: dict) -> tuple[Image.Image, dict]:
    info: dict = {}
    if rng.random() < 0.7:
        angle = rng.choice([-1, 1]) * rng.uniform(0.2, profile["angle"])
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        info["angle"] = round(angle, 2)
    pixels = np.asarray(image, dtype=np.float32)
    if rng.random() < profile["fade"]:
        fade = rng.uniform(0.45, 0.8)  # thermal / toner fade: ink goes grey
        pixels = 255 - (255 - pixels) * fade
        info["fade"] = round(fade, 2)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    blur = rng.uniform(0, profile["blur"])
    if blur > 0.15:
        image = image.filter(ImageFilter.GaussianBlur(radius=blur))
        info["blur"] = round(blur, 2)
    noise_rng = np.random.default_rng(rng.randrange(2**32))
    pixels = np.asarray(image, dtype=np.float32)
    sigma = rng.uniform(0, profile["noise"])
    pixels = pixels + noise_rng.normal(0, sigma, pixels.shape)
    info["noise"] = round(sigma, 1)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), info


def scan(doc: GeneratedDoc, split: str, rng: random.Random) -> Scan:
    """Rasterise and degrade ``doc`` with the split's scan profile."""
    profile = SCAN_PROFILES[BASE_SPLIT[split]]
    dpi = rng.choice(profile["dpi"])
    pages, infos = [], []
    for image in rasterise(doc.pdf, dpi):
        degraded, info = _degrade(image, rng, profile)
        pages.append(degraded)
        infos.append(info)
    quality = rng.randint(*profile["jpeg"])
    variant = {"dpi": dpi, "jpeg": quality, "pages": infos}
    if len(pages) > 1:
        buffer = io.BytesIO()
        pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:],
                      resolution=float(dpi))  # fmt: skip
        return Scan("application/pdf", buffer.getvalue(), dpi, len(pages), variant)
    buffer = io.BytesIO()
    if rng.random() < 0.75:
        pages[0].save(buffer, format="JPEG", quality=quality, dpi=(dpi, dpi))
        return Scan("image/jpeg", buffer.getvalue(), dpi, 1, variant)
    pages[0].save(buffer, format="PNG", dpi=(dpi, dpi))
    variant["jpeg"] = None
    return Scan("image/png", buffer.getvalue(), dpi, 1, variant)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=tuple(SPLIT_TEMPLATES), default="dev")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("-n", type=int, default=8, help="documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scans", action="store_true", help="also write degraded scans")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"docs-{args.split}-{args.seed}")
    names = SPLIT_TEMPLATES[args.split]
    manifest = []
    for index in range(args.n):
        doc = make_document(args.split, rng, names[index % len(names)])
        stem = f"{args.split}-{index:03d}-{doc.template}"
        (args.out / f"{stem}.pdf").write_bytes(doc.pdf)
        entry = {"file": f"{stem}.pdf", "template": doc.template, "answers": doc.answers}
        if args.scans:
            scanned = scan(doc, args.split, rng)
            suffix = {"application/pdf": "-scan.pdf", "image/jpeg": ".jpg", "image/png": ".png"}
            (args.out / f"{stem}{suffix[scanned.mime]}").write_bytes(scanned.data)
            entry["scan"] = scanned.variant
        entry["questions"] = [q.__dict__ for q in questions(doc, args.split, rng, 6)]
        manifest.append(entry)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {len(manifest)} documents to {args.out}")


if __name__ == "__main__":
    main()
