"""Answers read from scans are no surer than their own tokens were read."""

import pytest

from serve.answer.base import Answer
from serve.answer.controller import LINE_FOR_VALUE_CAP, SmallStack
from serve.answer.readings import DISPUTED_CAP, gate, value_reading
from serve.context.observations import Observation

LINES = [
    ("NORTHWIND TRADERS LTD", [0.96, 0.95, 0.97], None),
    ("Invoice #\tINV-2024-0042", [0.93, 0.91, 0.94], [None, None, True]),
    ("Subtotal\t1,000.00", [0.95, 0.94], [None, True]),
    ("VAT 20%\t200.00", [0.95, 0.92, 0.93], [None, True, True]),
    ("Total due\t1,208.00", [0.96, 0.95, 0.97], [None, None, False]),
]


def scan(lines=LINES, source: str = "ocr") -> Observation:
    blocks = []
    for i, (text, confidences, checks) in enumerate(lines):
        block = {"text": text, "bbox": [0, 10 * i, 100, 10 * i + 8], "confidence": 0.95,
                 "word_confidences": confidences}  # fmt: skip
        if checks:
            block["word_checks"] = checks
        blocks.append(block)
    text = "\n".join(t for t, _, _ in lines)
    return Observation("img1", "", "page", text, 0.95, "ocr", {"page": 1, "source": source,
                                                               "blocks": blocks})  # fmt: skip


def test_the_answer_tokens_are_found_with_their_reading():
    reading = value_reading("INV-2024-0042", [scan()])
    assert reading.tokens == ("INV-2024-0042",)
    assert reading.confidence == 0.94 and reading.checked and not reading.disputed
    names = value_reading("Northwind Traders Ltd", [scan()])
    assert names.confidence == 0.95 and not names.checked


def test_a_part_of_a_token_is_read_as_the_whole_token():
    lines = [("Total\tRM10.14", [0.9, 0.62], [None, True])]
    assert value_reading("10.14", [scan(lines)]).confidence == 0.62


def test_a_disputed_token_caps_the_answer_under_every_threshold():
    answer = Answer("1,208.00", 0.95, "document_field")
    reading = gate(answer, [scan()])
    assert reading.disputed and answer.confidence == DISPUTED_CAP
    assert answer.data["reading"]["capped_from"] == 0.95


def test_a_low_token_caps_the_answer_at_its_confidence():
    lines = [("Due Date\t11/te/2020", [0.96, 0.95, 0.41], None)]
    answer = Answer("11/te/2020", 0.9, "document_field")
    gate(answer, [scan(lines)])
    assert answer.confidence == 0.41


def test_the_best_read_occurrence_counts():
    lines = [("Total\t1,208.00", [0.9, 0.5], [None, False]),
             ("Amount due\t1,208.00", [0.9, 0.9, 0.93], [None, None, True])]  # fmt: skip
    answer = Answer("1,208.00", 0.9, "document_field")
    gate(answer, [scan(lines)])
    assert answer.confidence == 0.9 and answer.data["reading"]["checked"]


@pytest.mark.parametrize("text", ["1208.00", "Globex"])
def test_text_not_on_the_page_is_left_alone(text):
    answer = Answer(text, 0.9, "document_field")
    assert gate(answer, [scan()]) is None and answer.confidence == 0.9


def test_text_layer_pages_are_exact():
    answer = Answer("1,208.00", 0.9, "document_field")
    assert gate(answer, [scan(source="text_layer")]) is None and answer.confidence == 0.9


def test_the_stack_escalates_a_total_whose_second_reading_disagrees():
    stack = SmallStack()
    disputed = stack.decide("What is the total due?", [scan()])
    assert disputed.answer.text == "1,208.00" and disputed.confidence <= DISPUTED_CAP
    agreed = [*LINES[:-1], ("Total due\t1,200.00", [0.96, 0.95, 0.97], [None, None, True])]
    confirmed = stack.decide("What is the total due?", [scan(agreed)])
    assert confirmed.answer.text == "1,200.00" and confirmed.confidence >= 0.9


def test_arithmetic_confirmation_outweighs_a_disputed_reading():
    answer = Answer("1,208.00", 0.95, "document_field", data={"checks": 1})
    reading = gate(answer, [scan()])
    assert reading.disputed and answer.confidence == 0.95
    assert answer.data["reading"]["arithmetic"]


def test_a_document_line_is_not_a_typed_value():
    lines = [("ACME TRADING", [0.95, 0.95], None), ("Ref 7781 paid by card", [0.9] * 5, None)]
    decision = SmallStack().decide("What amount was paid by card?", [scan(lines)])
    assert decision.answer is None or decision.confidence <= LINE_FOR_VALUE_CAP
