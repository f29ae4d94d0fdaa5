from serve.context.distill import distill
from serve.context.facts import entities_from, relations_from
from serve.context.observations import Observation

FILLER = " ".join(
    f"Paragraph {i} talks about weather, gardening and the history of tea in detail."
    for i in range(40)
)
INVOICE = Observation(
    "doc1",
    "p.1",
    "page",
    "INVOICE\nInvoice number: INV-2024-0042\nDate: 2024-03-05\nContact: billing@acme.example\n"
    + FILLER
    + "\nThe shipment left the warehouse in Rotterdam on Monday.\nTotal due: $1,200.00",
    0.96,
    "ocr",
)
TABLE = Observation(
    "doc1",
    "table 1 p.1",
    "table",
    "Item | Qty\nWidget | 2",
    0.95,
    "ocr",
    {"rows": [["Item", "Qty", "Amount"], ["Widget", "2", "400.00"]]},
)
CHART = Observation(
    "img1",
    "",
    "chart",
    "Revenue: Q1 40, Q2 55",
    0.9,
    "chart",
    {"x_labels": ["Q1", "Q2"], "series": [{"name": "Revenue", "values": [40, 55]}],
     "y_axis": {"unit": "%"}},
)  # fmt: skip
ARTICLE = Observation("url1", "https://x.example", "page", FILLER, 0.9, "browse")


def test_relations_from_key_value_lines_tables_and_charts():
    found = {(r.subject, r.predicate, r.value) for r in relations_from(INVOICE)}
    assert ("doc1", "Invoice number", "INV-2024-0042") in found
    assert ("doc1", "Total due", "$1,200.00") in found
    assert relations_from(INVOICE)[0].source == "doc1 p.1"
    assert {(r.subject, r.predicate, r.value) for r in relations_from(TABLE)} == {
        ("Widget", "Qty", "2"),
        ("Widget", "Amount", "400.00"),
    }
    assert ("Q2", "Revenue", "55%") in {
        (r.subject, r.predicate, r.value) for r in relations_from(CHART)
    }


def test_entities_are_typed_merged_and_keep_their_sources():
    other = Observation("doc2", "p.1", "page", "Paid $1,200.00 on 2024-03-05.", 0.9, "ocr")
    entities = {(e.type, e.text): e.sources for e in entities_from([INVOICE, other])}
    assert entities[("amount", "$1,200.00")] == ["doc1 p.1", "doc2 p.1"]
    assert entities[("date", "2024-03-05")] == ["doc1 p.1", "doc2 p.1"]
    assert entities[("identifier", "INV-2024-0042")] == ["doc1 p.1"]
    assert ("email", "billing@acme.example") in entities
    assert not any(kind == "url" and "acme" in text for kind, text in entities)


def test_short_inputs_are_passed_whole_without_a_facts_block():
    distilled = distill("What is the amount for Widget?", [TABLE, CHART])
    assert distilled.blocks[0] == TABLE.render()  # the table holds the question's terms
    assert set(distilled.blocks) == {TABLE.render(), CHART.render()}
    assert distilled.compressed == 0 and distilled.relations == 0


def test_long_text_is_cut_to_matching_sentences_and_the_facts_keep_the_rest():
    distilled = distill("Where did the shipment leave from?", [INVOICE, ARTICLE])
    text = "\n".join(distilled.blocks)
    assert "left the warehouse in Rotterdam" in text
    assert "INV-2024-0042" in text and "$1,200.00" in text  # via facts and entities
    assert "doc1 p.1 | doc1 | Total due | $1,200.00" in text  # each fact keeps its source
    assert "url1 https://x.example" in text and "left out" in text  # the unrelated page: a stub
    assert distilled.compressed == 2
    assert distilled.tokens_out < distilled.tokens_in / 3
    assert "Rotterdam" in distilled.blocks[0]  # the most relevant block comes first


def test_generation_over_the_input_keeps_the_text_whole():
    distilled = distill("Summarize the invoice", [INVOICE], keep_full_text=True)
    assert distilled.blocks == [INVOICE.render()] and distilled.compressed == 0


def test_an_unsure_reading_leads_the_context_marked_unverified():
    reading = {"text": "$1,200.00", "confidence": 0.55, "answerer": "document_field",
               "sources": ["doc1 p.1"]}  # fmt: skip
    blocks = distill("What is the total due?", [INVOICE, TABLE], reading=reading).blocks
    assert blocks[0] == (
        "[doc1 p.1] $1,200.00 (read by the document_field model, unverified, confidence 0.55)"
    )
    assert not any("unverified" in b for b in distill("What is the total?", [INVOICE]).blocks)
