import pytest

from serve.answer.controller import SmallStack
from serve.answer.intent import Intent, classify
from serve.context.observations import Observation

PAGE = Observation(
    "doc1",
    "p.1",
    "page",
    "ACME Corp\nInvoice Number: INV-2024-0042\nInvoice Date: 2024-03-05\nDue Date: 2024-04-04\n"
    "Bill To:\nGlobex Ltd\n12 Main St\nSubtotal: 1,000.00 EUR\nVAT (20%): 200.00 EUR\n"
    "Total Due: 1,200.00 EUR",
    0.96,
    "ocr",
)
TABLE = Observation(
    "doc1",
    "table 1 p.1",
    "table",
    "",
    0.96,
    "ocr",
    {"rows": [["Item", "Qty", "Amount"], ["Widget", "2", "400.00"], ["Gadget", "3", "600.00"]]},
)
CHART = Observation(
    "img1",
    "",
    "chart",
    "",
    0.9,
    "chart",
    {
        "x_labels": ["Q1", "Q2", "Q3", "Q4"],
        "series": [{"name": "Revenue", "values": [40, 55, 30, 70]}],
        "y_axis": {"unit": "%"},
        "confidence": 0.9,
    },
)
TRANSCRIPT = Observation(
    "audio1",
    "",
    "transcript",
    "[00:00.0-00:02.1] The meeting is on Friday at 3 pm.\n[00:02.1-00:04.0] Bring the report.",
    0.9,
    "asr",
    {"text": "The meeting is on Friday at 3 pm. Bring the report."},
)
TWO_SERIES = Observation(
    "img2",
    "",
    "chart",
    "",
    0.9,
    "chart",
    {
        "x_labels": ["2019", "2020", "2021"],
        "series": [
            {"name": "Plan", "values": [10, 30, 20]},
            {"name": "Actual", "values": [12, 25, 40]},
        ],
        "y_axis": {"unit": None},
        "confidence": 0.9,
    },
)
WEB = Observation(
    "web1",
    "http://shop.example/p/kettle",
    "page",
    "Blue Kettle\nPrice: 39.00 EUR\nDelivery takes 4 days. Free returns within 30 days.\n"
    "The kettle is built to last.",
    0.9,
    "browse",
)
STACK = SmallStack()


@pytest.mark.parametrize(
    ("question", "observations", "expected", "answerer"),
    [
        ("What is the invoice number?", [PAGE, TABLE], "INV-2024-0042", "document_field"),
        ("What is the total due?", [PAGE, TABLE], "1,200.00 EUR", "document_field"),
        ("What is the due date?", [PAGE], "2024-04-04", "document_field"),
        ("When was the invoice issued?", [PAGE], "2024-03-05", "document_field"),
        ("Who is the invoice billed to?", [PAGE], "Globex Ltd", "document_field"),
        ("How much VAT was charged?", [PAGE], "200.00 EUR", "document_field"),
        ("What is the subtotal?", [PAGE], "1,000.00 EUR", "document_field"),
        ("What is the amount for Gadget?", [PAGE, TABLE], "600.00", "table"),
        ("Which item has the highest amount?", [TABLE], "Gadget", "table"),
        ("How many Widget units?", [TABLE], "2", "table"),
        ("What was the value in Q2?", [CHART], "55%", "chart"),
        ("Which quarter had the highest revenue?", [CHART], "Q4", "chart"),
        ("What is the difference between Q4 and Q1?", [CHART], "30%", "chart"),
        # "which ... value" asks for a label, even with numeric labels
        ("Which category has the highest value?", [CHART], "Q4", "chart"),
        ("What is the highest value?", [CHART], "70%", "chart"),
        ("Which year has the highest value?", [TWO_SERIES], "Plan: 2020 (30); Actual: 2021 (40)",
         "chart"),
        ("What is the value for 2021?", [TWO_SERIES], "Plan: 20; Actual: 40", "chart"),
        ("What was the Actual value in 2020?", [TWO_SERIES], "25", "chart"),
        ("According to http://shop.example/p/kettle , how many days does delivery take?", [WEB],
         "Delivery takes 4 days.", "extractive"),
        ("Transcribe the audio.", [TRANSCRIPT], TRANSCRIPT.data["text"], "transcript"),
        ("When is the meeting?", [TRANSCRIPT], "The meeting is on Friday at 3 pm.", "extractive"),
    ],
)  # fmt: skip
def test_small_stack_answers(question, observations, expected, answerer):
    decision = STACK.decide(question, observations)
    assert decision.answer is not None, decision.reason
    assert decision.answer.text == expected
    assert decision.answer.answerer == answerer
    assert decision.answer.sources


def test_a_url_in_the_question_does_not_lower_the_passage_confidence():
    question = "According to http://shop.example/p/kettle , how many days does delivery take?"
    assert STACK.decide(question, [WEB]).answer.confidence >= 0.8


def test_a_quantity_question_without_a_number_in_the_sentence_is_less_confident():
    with_number = STACK.decide("How long does delivery take?", [WEB]).answer
    without = Observation("w", "", "page", "Delivery takes a while. Returns are free.", 0.9, "x")
    answer = STACK.decide("How long does delivery take?", [without]).answer
    assert answer.confidence < 0.65 <= with_number.confidence


def test_chart_trend():
    answer = STACK.decide("What is the trend?", [CHART]).answer
    assert answer.text.startswith("increasing")


def test_generation_and_open_questions_escalate():
    assert STACK.decide("Explain this invoice", [PAGE]).answer is None
    assert STACK.decide("What is the capital of France?", []).answer is None


def test_identifiers_are_not_arithmetic():
    decision = STACK.decide("What is the total of invoice 2024-001?", [PAGE])
    assert decision.answer.answerer == "document_field"
    for question in ("What is 12/05/2024?", "What is 2024-001?"):
        answer = STACK.decide(question, []).answer
        assert answer is None or answer.confidence < 0.5


@pytest.mark.parametrize("question", ["Compute 122 divided by 16.", "What is 122/16?"])
def test_divisions_are_arithmetic(question):
    answer = STACK.decide(question, []).answer
    assert answer.text == "7.625" and answer.confidence >= 0.95


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Summarize the document", Intent.GENERATE),
        ("Write a haiku about invoices", Intent.GENERATE),
        ("Why is the sky blue?", Intent.GENERATE),
        ("Please transcribe this recording", Intent.TRANSCRIBE),
        ("What is the total?", Intent.LOOKUP),
    ],
)
def test_intent(question, intent):
    assert classify(question) is intent


def test_embedding_intent_classifier_separates_its_labelled_set():
    import json

    from serve.answer.intent import DATA, IntentEmbedder
    from tests.unit.gateway.conftest import HashingEmbedder

    classifier = IntentEmbedder(HashingEmbedder(), margin=0.0)
    examples = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    right = sum(classifier.predict(e["text"]) == e["label"] for e in examples)
    assert right / len(examples) >= 0.7
    assert classify("Summarize it", classifier) is Intent.GENERATE  # a rule, before embeddings


class _KeywordEncoder:
    """A stand-in sentence encoder: one dimension per concept, unit-normalised."""

    CONCEPTS = (("ship", "deliver", "arriv"), ("return", "refund"), ("price", "cost"))

    def encode(self, texts):
        import numpy as np

        rows = []
        for text in texts:
            low = text.lower()
            row = np.array([float(any(w in low for w in words)) for words in self.CONCEPTS])
            rows.append(row / (np.linalg.norm(row) or 1.0))
        return np.stack(rows)


def test_sentence_encoder_reranks_passages_toward_the_meaning():
    from serve.answer.passages import PassageAnswerer

    page = Observation(
        "web1", "", "page",
        "Orders take days to pack. Shipping takes 4 days within the EU. Returns take 30 days.",
        0.9, "browse",
    )  # fmt: skip
    question = "How many days until my order arrives?"
    lexical = PassageAnswerer().answer(question, [page])
    semantic = PassageAnswerer(encoder=_KeywordEncoder()).answer(question, [page])
    assert lexical.text == "Orders take days to pack."
    assert semantic.text == "Shipping takes 4 days within the EU."


def _chart(labels: list[str], values: list[float]) -> Observation:
    data = {"x_labels": labels, "series": [{"name": "Sales", "values": values}], "confidence": 0.95}
    return Observation("img9", "", "chart", "", 0.95, "chart", data)


def test_a_chart_label_read_twice_or_not_at_all_is_not_answered_confidently():
    from serve.answer.charts import ChartAnswerer

    answerer = ChartAnswerer()
    good = answerer.answer(
        "Which category has the highest value?", [_chart(["A1", "B", "C"], [1, 5, 2])]
    )
    twice = answerer.answer(
        "Which category has the highest value?", [_chart(["I", "I", "C"], [1, 5, 2])]
    )
    unread = answerer.answer(
        "Which category has the highest value?", [_chart(["A", "B"], [1, 2, 9])]
    )
    assert good.text == "B" and good.confidence > 0.85
    assert twice.text == "I" and twice.confidence < 0.6
    assert unread.text == "3" and unread.confidence < 0.6
    # The value at a label read twice: which of the two?
    value = answerer.answer("What is the value for I?", [_chart(["I", "I", "C"], [1, 5, 2])])
    assert value is None or value.confidence < 0.6
    # The highest *value* does not depend on the labels.
    peak = answerer.answer("What is the highest value?", [_chart(["I", "I", "C"], [1, 5, 2])])
    assert peak.text == "5" and peak.confidence > 0.85
