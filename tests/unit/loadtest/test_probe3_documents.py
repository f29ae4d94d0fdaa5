import random

import pytest

from loadtest.eval.cases import PROBE_CATEGORIES, build_split
from loadtest.eval.score import is_correct
from loadtest.perception.doc_templates import TEMPLATES, money_value
from loadtest.perception.doc_templates_probe import PROBE_TEMPLATES
from loadtest.perception.doc_templates_probe2 import PROBE2_TEMPLATES
from loadtest.perception.doc_templates_probe3 import PROBE3_TEMPLATES, _both, _de
from loadtest.perception.gen_business_docs import (
    DEV_TEMPLATES,
    HELDOUT_TEMPLATES,
    SPLIT_TEMPLATES,
    make_document,
    questions,
)
from tests.unit.loadtest.probe_support import case_digest, pdf_text

# build_split([category], seed=11, split=..., per_category=60): ids, expected answers and
# questions as they were before the probe3 split existed.
PINNED = {
    ("dev", "invoice_pdf"): "51ff7bab324fdda2c1a0f054ed247eb2198bb746ef5257b8e8b39cbc057d4dd8",
    ("probe", "invoice_pdf"): "17e09f6ff461c3e82e99ed4fbce9b9481897bf55d10499827e6fae033fd3841b",
    ("probe2", "invoice_pdf"): "812364a3cb042640fa1e1def2be85f2d164d3085802223cf87bb0dca476e87df",
}


def test_probe3_templates_are_new():
    assert len(PROBE3_TEMPLATES) == 6 and SPLIT_TEMPLATES["probe3"] == tuple(PROBE3_TEMPLATES)
    for others in (TEMPLATES, PROBE_TEMPLATES, PROBE2_TEMPLATES, DEV_TEMPLATES + HELDOUT_TEMPLATES):
        assert set(PROBE3_TEMPLATES).isdisjoint(others)


@pytest.mark.parametrize("template", sorted(PROBE3_TEMPLATES))
@pytest.mark.parametrize("seed", range(3))
def test_every_probe3_template_prints_its_answers(template, seed):
    doc = make_document("probe3", random.Random(f"{template}-{seed}"), template)
    assert doc.pages == 1
    text = pdf_text(doc.pdf).lower()
    for kind, accepted in doc.answers.items():
        assert accepted[0].lower() in text, (kind, accepted)
    asked = questions(doc, "probe3", random.Random(seed), 10)
    assert asked and all(q.expected for q in asked)
    item_kinds = {"qty", "unit_price", "amount"} & set(doc.item_fields)
    assert {q.kind for q in asked} <= set(doc.answers) | {"seller"} | item_kinds


def test_layout_facts_the_probe3_relies_on():
    rng = random.Random(5)
    bill = make_document("probe3", rng, "restaurant_bill")
    total, unrounded = (float(bill.answers[k][0].replace(",", ""))
                        for k in ("total", "total_unrounded"))  # fmt: skip
    assert round(total * 20, 6) == round(total * 20) and abs(total - unrounded) < 0.03
    assert "Total (Rounded)" in pdf_text(bill.pdf) and "Rounding Adj" in pdf_text(bill.pdf)
    courier = make_document("probe3", rng, "courier_invoice")
    item = courier.items[0]
    line = f"{item.qty} kg x {item.unit_price.strip('$€£RMEUSD ')}/kg"
    assert line in pdf_text(courier.pdf) and "qty" not in courier.item_fields
    tables = make_document("probe3", rng, "two_tables")
    parts = sum(money_value(tables.answers[k][0]) for k in ("products_subtotal",
                                                            "services_subtotal"))  # fmt: skip
    assert f"{parts:,.2f}" == tables.answers["subtotal"][0]
    letter = make_document("probe3", rng, "letter_invoice")
    assert f"Dear {letter.answers['contact'][0]}," in pdf_text(letter.pdf)
    german = make_document("probe3", rng, "german_invoice")
    assert {"Net", "Gross", "EUR"} <= set(pdf_text(german.pdf).split())
    assert german.item_fields == ("qty",)
    assert _de(1234.5) == "1.234,50" and _both(98.7) == ["98,70", "98.70"]


@pytest.mark.parametrize("answer", ["1.234,56 EUR", "1,234.56", "EUR 1234.56"])
def test_decimal_comma_totals_score_in_either_form(answer):
    [case] = build_split(["invoice_pdf"], seed=11, split="probe3", per_category=1)
    case.expected, case.meta = _both(1234.56), {**case.meta, "score": "number"}
    assert is_correct(case, answer)[0]
    assert not is_correct(case, "1.234")[0]


@pytest.mark.parametrize("category", PROBE_CATEGORIES)
def test_probe3_cases_build(category):
    cases = build_split([category], seed=11, split="probe3", per_category=8)
    assert len(cases) == 8 and {c.split for c in cases} == {"probe3"}
    assert {c.meta["template"] for c in cases} <= set(PROBE3_TEMPLATES)
    assert all(c.id.startswith(f"{category}-probe3-") and c.expected for c in cases)


def test_probe3_split_refuses_other_categories():
    with pytest.raises(ValueError, match="probe3"):
        build_split(["chart"], seed=11, split="probe3", per_category=2)


@pytest.mark.parametrize(("split", "category"), sorted(PINNED))
def test_other_splits_unchanged_by_probe3(split, category):
    assert case_digest(split, category) == PINNED[split, category]
