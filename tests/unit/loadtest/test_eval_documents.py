import random

import pypdfium2
import pytest

from loadtest.eval.cases import BUILDERS, Case, build_split, receipt_real_cases
from loadtest.eval.inprocess import media_of
from loadtest.eval.score import is_correct
from loadtest.perception.doc_facts import POOLS
from loadtest.perception.doc_templates import TEMPLATES
from loadtest.perception.gen_business_docs import (
    DEV_TEMPLATES,
    HELDOUT_TEMPLATES,
    PHRASINGS,
    make_document,
    questions,
    scan,
)


def test_the_split_shares_no_template_phrasing_or_vocabulary():
    assert len(TEMPLATES) >= 12 and set(DEV_TEMPLATES).isdisjoint(HELDOUT_TEMPLATES)
    for kind, texts in PHRASINGS["dev"].items():
        assert set(texts).isdisjoint(PHRASINGS["heldout"].get(kind, [])), kind
    for pool in POOLS["dev"]:
        assert set(POOLS["dev"][pool]).isdisjoint(POOLS["heldout"][pool]), pool


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_prints_its_answers(template):
    split = "dev" if template in DEV_TEMPLATES else "heldout"
    doc = make_document(split, random.Random(template), template)
    text = " ".join(
        " ".join(page.get_textpage().get_text_range().split())
        for page in pypdfium2.PdfDocument(doc.pdf)
    )
    for kind, accepted in doc.answers.items():
        assert any(value.lower() in text.lower() for value in accepted), (kind, accepted)
    asked = questions(doc, split, random.Random(1), 10)
    assert asked and all(q.expected for q in asked)


def test_multipage_scans_become_an_image_only_pdf():
    doc = make_document("heldout", random.Random(3), "multipage")
    scanned = scan(doc, "heldout", random.Random(3))
    assert doc.pages >= 2 and scanned.mime == "application/pdf" and scanned.pages == doc.pages


def test_registry_builds_each_split():
    assert {"invoice_pdf", "invoice_scan", "receipt_real"} <= set(BUILDERS)
    dev = build_split(["invoice_pdf"], seed=1, split="dev", per_category=6)
    held = build_split(["invoice_pdf"], seed=1, split="heldout", per_category=6)
    assert len(dev) == 6 and {c.split for c in dev} == {"dev"}
    assert {c.meta["template"] for c in dev} <= set(DEV_TEMPLATES)
    assert {c.meta["template"] for c in held} <= set(HELDOUT_TEMPLATES)
    media, question = media_of(dev[0])
    assert media[0].kind == "pdf" and media[0].data.startswith(b"%PDF") and question


def test_real_receipts_split_fifty_fifty_with_the_first_sample_first():
    dev = receipt_real_cases(seed=1, split="dev", count=1000)
    held = receipt_real_cases(seed=1, split="heldout", count=1000)
    assert len(dev) == len(held) == 420  # 20 + 30 + 30 + 30 + 30 receipts per split, 3 each
    assert not {c.meta["receipt"] for c in dev} & {c.meta["receipt"] for c in held}
    first = receipt_real_cases(seed=1, split="dev", count=60)
    assert [c.id for c in first] == [c.id for c in dev[:60]]


def _case(expected: str, score: str) -> Case:
    return Case("x", "invoice_scan", [], [expected], "q", {"score": score, "max_chars": 120})


@pytest.mark.parametrize(
    ("expected", "score", "answer", "ok"),
    [
        ("25.80", "number", "RM25.80", True),
        ("25.80", "number", "25.80 1.55", False),  # which one?
        ("1,234.50", "number", "$1234.5", True),
        ("MR. D.I.Y. (M) SDN BHD", "name", "MR.D.I.Y.(M) SDN BHD", True),
        ("Northwind Traders Ltd", "name", "NORTHWIND", False),
        ("2024-03-05", "text", "Date: 2024-03-05", True),
        ("2024-03-05", "text", "x" * 200 + " 2024-03-05", False),  # a dumped page
        ("28/03/18", "date", "28-03-18", True),  # the label writes another separator
        ("03/04/2018", "date", "3.4.2018 14:02", True),
        ("24 MAR 18", "date", "24 Mar 1809", False),  # a time's digits read into the year
        ("28/03/18", "date", "28/03/19", False),
    ],
)
def test_scoring(expected, score, answer, ok):
    assert is_correct(_case(expected, score), answer)[0] is ok
