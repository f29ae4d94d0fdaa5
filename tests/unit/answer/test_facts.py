"""Typed extractive answers from transcripts and pages (FactAnswerer, entities)."""

from __future__ import annotations

import pytest

from serve.answer.controller import SmallStack
from serve.answer.entities import find_spans
from serve.answer.passages import FactAnswerer
from serve.answer.types import AnswerType
from serve.context.observations import Observation

VOICEMAIL = (
    "Hi, this is Michael Harris from Blue Harbor Logistics. I'm calling about order number "
    "8-9-8-5-9-8. The order will ship from Chicago on Thursday, and the driver will arrive at "
    "2.45 p.m. We have three hundred ninety three boxes ready. The total comes to $5,337.69, "
    "due on May 24th, 2022. Please call me back."
)


def transcript(text: str, confidence: float = 0.9) -> list[Observation]:
    return [Observation("audio1", "", "transcript", text, confidence, "asr", {"text": text})]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which city will the order ship from, according to this voicemail?", "Chicago"),
        ("Who called?", "Michael Harris"),
        ("Which company is the caller from?", "Blue Harbor Logistics"),
        ("What is the order number?", "898598"),
        ("What time will the driver arrive?", "2:45 p.m."),
        ("How many boxes are ready?", "393"),
        ("What is the total amount?", "$5,337.69"),
        ("What date is it due?", "May 24, 2022"),
        ("On which day of the week will it ship?", "Thursday"),
    ],
)
def test_typed_values_from_a_voicemail(question, expected):
    answer = FactAnswerer().answer(question, transcript(VOICEMAIL))
    assert answer is not None and answer.text == expected
    assert answer.confidence >= 0.75


def test_the_small_stack_prefers_the_typed_value():
    decision = SmallStack().decide("Which city will the order ship from?", transcript(VOICEMAIL))
    assert decision.answer.text == "Chicago" and decision.answer.answerer == "fact"


def test_two_values_of_the_type_follow_the_question_words():
    text = (
        "The parcel leaves our Denver depot on Monday. It will be delivered to the customer in "
        "Boston by Friday."
    )
    answer = FactAnswerer().answer("Which city is the parcel delivered to?", transcript(text))
    assert answer.text == "Boston"
    alone = FactAnswerer().answer("Which city is mentioned?", transcript("We ship from Denver."))
    assert alone.confidence > answer.confidence  # a unique value is surer than a ranked one


def test_no_value_of_the_type_no_answer():
    text = "Thanks for calling, we will get back to you soon."
    assert FactAnswerer().answer("Which city is the order shipped from?", transcript(text)) is None
    assert FactAnswerer().answer("Transcribe this audio.", transcript(VOICEMAIL)) is None


def test_low_asr_confidence_lowers_the_answer():
    sure = FactAnswerer().answer("Who called?", transcript(VOICEMAIL, 0.95))
    unsure = FactAnswerer().answer("Who called?", transcript(VOICEMAIL, 0.5))
    assert unsure.confidence < sure.confidence


@pytest.mark.parametrize(
    ("sentence", "kind", "values"),
    [
        ("Meet me at half past ten or at 4 p.m.", AnswerType.TIME, ["10:30", "4:00 p.m."]),
        ("It opens at four o'clock.", AnswerType.TIME, ["4:00"]),
        ("Due on September eighth, 2026.", AnswerType.DATE, ["September 8, 2026"]),
        ("It costs 12 dollars and 50 cents.", AnswerType.AMOUNT, ["$12.50"]),
        ("Price: 316.00 EUR, was $1,200.", AnswerType.AMOUNT, ["€316.00", "$1,200"]),
        ("It costs 300 dollars.", AnswerType.AMOUNT, ["$300"]),
        ("Your reference is 4 4 7 1 9.", AnswerType.IDENTIFIER, ["44719"]),
        ("We sent 12 crates on May 3, 2024 for $40.", AnswerType.QUANTITY, ["12"]),
        ("Sophie Palmer from Orchard Foods in Leeds.", AnswerType.PERSON, ["Sophie Palmer"]),
        ("Sophie Palmer from Orchard Foods in Leeds.", AnswerType.ORGANISATION, ["Orchard Foods"]),
        ("Sophie Palmer from Orchard Foods in Leeds.", AnswerType.PLACE, ["Leeds"]),
    ],
)
def test_spans(sentence, kind, values):
    assert [s.value for s in find_spans(sentence, kind)] == values


def test_a_low_confidence_asr_segment_lowers_the_values_in_it():
    first = "Hi, this is Michael Harris from Blue Harbor Logistics."
    second = "The order will ship from Chicago on Thursday."
    segments = [
        {"start": 0.0, "end": 3.0, "text": first, "confidence": 0.85},
        {"start": 3.0, "end": 6.0, "text": second, "confidence": 0.2},
    ]
    text = f"[00:00.0-00:03.0] {first}\n[00:03.0-00:06.0] {second}"
    obs = [Observation("audio1", "", "transcript", text, 0.76, "asr", {"segments": segments})]
    caller = FactAnswerer().answer("Who called?", obs)
    city = FactAnswerer().answer("Which city will it ship from?", obs)
    assert caller.text == "Michael Harris" and caller.confidence >= 0.8
    assert city.text == "Chicago" and city.confidence < 0.4


def test_word_probabilities_of_the_value_decide_its_trust():
    sentence = "I work for Planet Partners in Chicago."
    words = [
        {"word": w, "probability": p}
        for w, p in [(" I", 0.99), (" work", 0.98), (" for", 0.98), (" Planet", 0.19),
                     (" Partners", 0.48), (" in", 0.99), (" Chicago.", 1.0)]
    ]  # fmt: skip
    segments = [{"start": 0.0, "end": 3.0, "text": sentence, "confidence": 0.85, "words": words}]
    obs = [Observation("audio1", "", "transcript", sentence, 0.92, "asr", {"segments": segments})]
    company = FactAnswerer().answer("Which company does the caller work for?", obs)
    city = FactAnswerer().answer("Which city is mentioned?", obs)
    assert company.text == "Planet Partners" and company.confidence < 0.5  # a misheard name
    assert city.text == "Chicago" and city.confidence >= 0.85


def test_a_site_named_after_its_city_gives_the_city():
    text = "We have four hundred one boxes ready for you in our Phoenix Warehouse."
    assert [s.value for s in find_spans(text, AnswerType.PLACE)] == ["Phoenix"]
    assert find_spans("Summit Office Supply called.", AnswerType.PLACE) == []  # not a site
    answer = FactAnswerer().answer("Which city is mentioned?", transcript(text))
    assert answer.text == "Phoenix" and answer.confidence >= 0.8
