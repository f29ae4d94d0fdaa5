import datetime as dt
import hashlib
import json
import random

import pypdfium2
import pytest

from loadtest.eval.cases import PROBE_CATEGORIES, build_split
from loadtest.perception.doc_templates import TEMPLATES
from loadtest.perception.doc_templates_probe import PROBE_TEMPLATES, ordinal_date
from loadtest.perception.gen_business_docs import (
    DEV_TEMPLATES,
    HELDOUT_TEMPLATES,
    SPLIT_TEMPLATES,
    make_document,
    questions,
    scan,
)
from tests.unit.loadtest.probe_support import pdf_text

# build_split(["invoice_pdf"], seed=11, split="dev", per_category=40): ids and expected answers
# as they were before the probe split existed.
DEV_DIGEST = "e0d235162169330b4c7b808e30c75fbd94610c720f48f5236e57d9eaec6ce6c8"


def test_probe_templates_are_new():
    assert len(PROBE_TEMPLATES) == 6 and SPLIT_TEMPLATES["probe"] == tuple(PROBE_TEMPLATES)
    assert set(PROBE_TEMPLATES).isdisjoint(TEMPLATES)
    assert set(PROBE_TEMPLATES).isdisjoint(DEV_TEMPLATES + HELDOUT_TEMPLATES)


@pytest.mark.parametrize("template", sorted(PROBE_TEMPLATES))
@pytest.mark.parametrize("seed", range(3))
def test_every_probe_template_prints_its_answers(template, seed):
    doc = make_document("probe", random.Random(f"{template}-{seed}"), template)
    text = pdf_text(doc.pdf).lower()
    for kind, accepted in doc.answers.items():
        assert accepted[0].lower() in text, (kind, accepted)
    asked = questions(doc, "probe", random.Random(seed), 10)
    assert asked and all(q.expected for q in asked)
    item_kinds = {"qty", "unit_price", "amount"} & set(doc.item_fields)
    assert {q.kind for q in asked} <= set(doc.answers) | {"seller"} | item_kinds


def test_layout_facts_the_probe_relies_on():
    rng = random.Random(5)
    wholesale = make_document("probe", rng, "wholesale_deposit")
    assert wholesale.answers["balance"] != wholesale.answers["total"]
    two_pages = make_document("probe", rng, "carried_forward")
    assert two_pages.pages == 2
    pages = [page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(two_pages.pdf)]
    assert "Carried forward" in pages[0] and "Brought forward" in pages[1]
    assert "Subtotal" not in pages[0] and "Subtotal" in pages[1]
    scanned = scan(two_pages, "probe", rng)
    assert scanned.mime == "application/pdf" and scanned.pages == 2
    assert ordinal_date(dt.date(2025, 3, 3)) == "3rd March 2025"
    assert ordinal_date(dt.date(2025, 3, 12)) == "12th March 2025"


@pytest.mark.parametrize("category", PROBE_CATEGORIES)
def test_probe_cases_build(category):
    cases = build_split([category], seed=11, split="probe", per_category=8)
    assert len(cases) == 8 and {c.split for c in cases} == {"probe"}
    assert {c.meta["template"] for c in cases} <= set(PROBE_TEMPLATES)
    assert all(c.id.startswith(f"{category}-probe-") and c.expected for c in cases)


def test_probe_split_refuses_other_categories():
    with pytest.raises(ValueError, match="probe"):
        build_split(["chart"], seed=11, split="probe", per_category=2)


def test_dev_cases_unchanged_by_the_probe_split():
    cases = build_split(["invoice_pdf"], seed=11, split="dev", per_category=40)
    digest = hashlib.sha256(json.dumps([[c.id, c.expected] for c in cases]).encode())
    assert digest.hexdigest() == DEV_DIGEST
