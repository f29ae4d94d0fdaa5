"""A tuning probe on DEV documents with phrasings that no split uses: how the small stack
holds up when the question is worded differently from everything it was tuned on.

    .venv/bin/python -m loadtest.eval.paraphrase_probe --documents 16 [--scan]

The documents are the dev templates of :mod:`loadtest.perception.gen_business_docs`; the
questions come from :data:`PROBE_PHRASINGS` below, written for this probe without looking at
the held-out phrasings (which stay unseen). Every case is printed: it is dev material, made to
find failure modes before the held-out split is run again. Perception is cached like the
in-process eval (``--cache-dir``).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from loadtest.eval.cases import MAX_ANSWER_CHARS, Case, _file_part, _image_part, _user
from loadtest.eval.score import is_correct

# Question kind → phrasings never used by the generator's splits.
PROBE_PHRASINGS: dict[str, list[str]] = {
    "issuer": ["Which firm sent this {doc}?", "Whose {doc} is this?", "Name the issuer.",
               "From which company does this {doc} come?"],
    "seller": ["Who supplied the goods?", "Name the vendor.", "Which vendor is it?"],
    "buyer": ["Who is the customer?", "Which company has to pay this {doc}?",
              "To whom is the {doc} addressed?"],
    "number": ["What's the {doc} no.?", "Give the {doc} reference number.",
               "Which reference identifies this {doc}?"],
    "date": ["When is this {doc} dated?", "Issue date?", "What date does the {doc} carry?"],
    "due_date": ["When is payment due?", "What is the payment deadline?"],
    "total": ["What is the amount payable?", "Total?", "What does the {doc} come to?",
              "How much has to be paid altogether?"],
    "tax": ["What is the tax amount?", "How much VAT or tax is on it?"],
    "subtotal": ["What is the amount before tax?", "Subtotal please."],
    "qty": ["How many {item} are on the {doc}?", "Quantity of {item}?",
            "What number of {item} does it list?"],
    "unit_price": ["How much does one {item} cost?", "Price of a single {item}?"],
    "amount": ["What is the amount for the {item} line?", "How much for {item} in total?"],
    "shipped": ["What quantity of {item} was delivered?"],
}  # fmt: skip
# A second round, written later (still without looking at the held-out phrasings): the first
# round has been tuned on, so it no longer tells how new wordings fare.
PROBE_PHRASINGS_2: dict[str, list[str]] = {
    "issuer": ["Which organisation produced this {doc}?", "Who is the {doc} from?",
               "Tell me the name of the company that sent the {doc}.", "Sender of this {doc}?"],
    "seller": ["Which supplier is named?", "Who is the merchant?",
               "What company provided the items?"],
    "buyer": ["Who was billed?", "Name the client on this {doc}.", "Which customer is it for?"],
    "number": ["What is the identifier of this {doc}?", "Tell me the {doc} number.",
               "{doc} number?"],
    "date": ["What is the {doc}'s date?", "On which day was the {doc} written?",
             "Give me the date of issue."],
    "due_date": ["By when must it be paid?", "What's the due date?", "Deadline for payment?"],
    "total": ["What is the grand total?", "What's the final amount?",
              "How much is owed in total?", "Total due?"],
    "tax": ["How much tax was charged?", "What's the VAT?", "Tax amount please."],
    "subtotal": ["What is the net amount before tax?", "What's the pre-tax total?"],
    "qty": ["How many units of {item} were ordered?", "What quantity of {item} is listed?",
            "{item}: how many?"],
    "unit_price": ["What is the unit price of {item}?", "Each {item} costs how much?"],
    "amount": ["What is the line total for {item}?", "Total price of the {item} line?"],
    "shipped": ["How many {item} were shipped?"],
}  # fmt: skip
# A third round (2026-12-04), written before running it, again without looking at the held-out
# phrasings: rounds 1 and 2 have both been tuned on.
PROBE_PHRASINGS_3: dict[str, list[str]] = {
    "issuer": ["What business issued the {doc}?", "Identify the company that billed for this.",
               "Which company's {doc} is this?", "Who sent me this {doc}?"],
    "seller": ["Who sold these items?", "Which company is the seller?",
               "Who is the supplier on this {doc}?"],
    "buyer": ["Who is this {doc} billed to?", "Which company received the bill?",
              "Who is the purchaser?", "Recipient of the {doc}?"],
    "number": ["What number does this {doc} have?", "Quote the {doc} ID.",
               "Which {doc} number is printed?"],
    "date": ["What date was this {doc} issued on?", "Date of the {doc}?", "When was it issued?"],
    "due_date": ["When does payment fall due?", "What is the latest date to pay?",
                 "Payment due by?"],
    "total": ["How much do I owe?", "What's the total payable?", "What is the sum to be paid?",
              "What's the bottom-line amount?"],
    "tax": ["What's the sales tax?", "How much tax is included?", "What is the tax on this {doc}?"],
    "subtotal": ["What's the total excluding tax?", "How much before VAT?"],
    "qty": ["How many {item} were purchased?", "What's the quantity for {item}?",
            "Number of {item}?", "Count of {item} ordered?"],
    "unit_price": ["What's the price per unit for {item}?", "{item} unit cost?",
                   "How much is each {item}?"],
    "amount": ["What was charged for {item}?", "What's the extended price of {item}?",
               "{item} line amount?"],
    "shipped": ["How many {item} went out?", "Shipped quantity of {item}?"],
}  # fmt: skip
PHRASING_ROUNDS = {1: PROBE_PHRASINGS, 2: PROBE_PHRASINGS_2, 3: PROBE_PHRASINGS_3}
_SCORE = {"issuer": "name", "seller": "name", "buyer": "name", "number": "text", "date": "text",
          "due_date": "text"}  # fmt: skip


def probe_cases(documents: int, seed: int, scanned: bool, phrasings: int = 1) -> list[Case]:
    from loadtest.perception.gen_business_docs import SPLIT_TEMPLATES, make_document, scan

    rng = random.Random(f"probe-{seed}")
    templates = SPLIT_TEMPLATES["dev"]
    cases = []
    for index in range(documents):
        doc = make_document("dev", rng, templates[index % len(templates)])
        if scanned:
            shot = scan(doc, "dev", rng)
            if shot.mime == "application/pdf":
                part = _file_part(f"scan-{index}.pdf", shot.mime, shot.data)
            else:
                part = _image_part(shot.mime, shot.data)
        else:
            part = _file_part(f"{doc.template}-{index}.pdf", "application/pdf", doc.pdf)
        answers = dict(doc.answers)
        answers.setdefault("seller", answers.get("vendor") or answers["issuer"])
        for kind, wordings in PHRASING_ROUNDS[phrasings].items():
            if kind in ("qty", "unit_price", "amount", "shipped"):
                if kind not in doc.item_fields or not doc.items:
                    continue
                item = rng.choice(doc.items)
                value = item.extra["shipped"] if kind == "shipped" else getattr(item, kind)
                digits = "".join(c for c in value if c.isdigit() or c in ",.").strip(",.")
                expected = [value if kind == "qty" else digits]
            elif kind in answers and not (kind == "seller" and doc.kind == "statement"):
                item, expected = None, answers[kind]
            else:
                continue
            text = rng.choice(wordings).format(doc=doc.noun, item=item.description if item else "")
            meta = {"split": "dev", "template": doc.template, "kind": kind,
                    "score": _SCORE.get(kind, "number"), "max_chars": MAX_ANSWER_CHARS}  # fmt: skip
            cases.append(Case(f"probe-{index}-{kind}", "invoice_scan" if scanned else "invoice_pdf",
                              _user([part], text), expected, text, meta, "dev"))  # fmt: skip
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=16)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--scan", action="store_true", help="degraded scans, not text-layer PDFs")
    parser.add_argument(
        "--phrasings",
        type=int,
        choices=sorted(PHRASING_ROUNDS),
        default=3,
        help="which round of probe phrasings (1 and 2 have been tuned on)",
    )
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/ifz-eval-cache"))
    args = parser.parse_args(argv)
    from loadtest.eval.inprocess import InProcessStack

    stack = InProcessStack(cache_dir=args.cache_dir)
    given = right = total = 0
    try:
        for case in probe_cases(args.documents, args.seed, args.scan, args.phrasings):
            outcome = stack.answer(case)
            ok = bool(outcome.answer) and is_correct(case, outcome.answer)[0]
            total += 1
            given += not outcome.escalated
            right += ok and not outcome.escalated
            mark = "ok " if ok else "BAD"
            path = "LLM  " if outcome.escalated else "small"
            print(f"{mark} {path} {outcome.confidence:.2f} {outcome.answerer!s:15} "
                  f"{outcome.expected_type:12} {case.question[:50]!r} -> "
                  f"{outcome.answer[:40]!r} (want {case.expected[0]!r})")  # fmt: skip
    finally:
        stack.close()
    print(f"\n{total} cases: {given} answered without the LLM, {right} of them right")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
