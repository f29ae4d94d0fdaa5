import random

import pytest

from loadtest.eval.cases import PROBE_CATEGORIES, build_split
from loadtest.perception.doc_templates import TEMPLATES
from loadtest.perception.doc_templates_probe import PROBE_TEMPLATES
from loadtest.perception.doc_templates_probe2 import PROBE2_TEMPLATES, _leader
from loadtest.perception.gen_business_docs import (
    DEV_TEMPLATES,
    HELDOUT_TEMPLATES,
    SPLIT_TEMPLATES,
    make_document,
    questions,
)
from tests.unit.loadtest.probe_support import case_digest, pdf_text

# build_split([category], seed=11, split=..., per_category=60): ids, expected answers and
# questions as they were before the probe2 split existed.
PINNED = {
    ("dev", "invoice_pdf"): "51ff7bab324fdda2c1a0f054ed247eb2198bb746ef5257b8e8b39cbc057d4dd8",
    ("probe", "invoice_pdf"): "17e09f6ff461c3e82e99ed4fbce9b9481897bf55d10499827e6fae033fd3841b",
}


def test_probe2_templates_are_new():
    assert len(PROBE2_TEMPLATES) == 6 and SPLIT_TEMPLATES["probe2"] == tuple(PROBE2_TEMPLATES)
    assert set(PROBE2_TEMPLATES).isdisjoint(TEMPLATES)
    assert set(PROBE2_TEMPLATES).isdisjoint(PROBE_TEMPLATES)
    assert set(PROBE2_TEMPLATES).isdisjoint(DEV_TEMPLATES + HELDOUT_TEMPLATES)


@pytest.mark.parametrize("template", sorted(PROBE2_TEMPLATES))
@pytest.mark.parametrize("seed", range(3))
def test_every_probe2_template_prints_its_answers(template, seed):
    doc = make_document("probe2", random.Random(f"{template}-{seed}"), template)
    text = pdf_text(doc.pdf).lower()
    for kind, accepted in doc.answers.items():
        assert accepted[0].lower() in text, (kind, accepted)
    asked = questions(doc, "probe2", random.Random(seed), 10)
    assert asked and all(q.expected for q in asked)
    item_kinds = {"qty", "unit_price", "amount"} & set(doc.item_fields)
    assert {q.kind for q in asked} <= set(doc.answers) | {"seller"} | item_kinds


def test_layout_facts_the_probe2_relies_on():
    rng = random.Random(7)
    bill = make_document("probe2", rng, "telecom_bill")
    assert bill.kind == "bill" and bill.answers["previous_balance"] != bill.answers["total"]
    assert f"Amount due by {bill.answers['due_date'][0]}" in pdf_text(bill.pdf)
    invoice = make_document("probe2", rng, "remit_invoice")
    assert invoice.answers["balance"] == invoice.answers["total"]
    assert "Remit To" in pdf_text(invoice.pdf)
    order = make_document("probe2", rng, "buyer_heading_po")
    assert order.answers["issuer"] == order.answers["buyer"] != order.answers["vendor"]
    assert "due_date" not in order.answers
    discounted = make_document("probe2", rng, "qty_last")
    total = sum(float(i.amount.strip("$€£RMEUSD ").replace(",", "")) for i in discounted.items)
    assert f"{total:,.2f}" == discounted.answers["subtotal"][0]
    till = make_document("probe2", rng, "market_till")
    assert "BALANCE DUE" in pdf_text(till.pdf) and "subtotal" not in till.answers
    assert _leader("Total", "1,234.00", 30) == f"Total {'.' * 15} 1,234.00"


@pytest.mark.parametrize("category", PROBE_CATEGORIES)
def test_probe2_cases_build(category):
    cases = build_split([category], seed=11, split="probe2", per_category=8)
    assert len(cases) == 8 and {c.split for c in cases} == {"probe2"}
    assert {c.meta["template"] for c in cases} <= set(PROBE2_TEMPLATES)
    assert all(c.id.startswith(f"{category}-probe2-") and c.expected for c in cases)


def test_probe2_split_refuses_other_categories():
    with pytest.raises(ValueError, match="probe2"):
        build_split(["chart"], seed=11, split="probe2", per_category=2)


@pytest.mark.parametrize(("split", "category"), sorted(PINNED))
def test_other_splits_unchanged_by_probe2(split, category):
    assert case_digest(split, category) == PINNED[split, category]
