"""The transcript normaliser: spelled and written numbers compare equal, others do not."""

from __future__ import annotations

import random

import pytest

from deployments.perception.asr.normalize import normalize_transcript
from loadtest.perception.gen_speech import number_words, ordinal_words, sentence


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("twelve", "12"),
        ("$5", "five dollars"),
        ("$1,250.75", "one thousand two hundred and fifty dollars and seventy-five cents"),
        ("$0.99", "ninety nine cents"),
        ("$2.5 million", "two point five million dollars"),
        ("€40", "forty euros"),
        ("Invoice 4,521.", "invoice four thousand five hundred twenty one"),
        ("March 3rd, 2024", "march third two thousand twenty four"),
        ("in 1984", "in nineteen eighty four"),
        ("by 2024", "by twenty twenty-four"),
        ("15%", "fifteen percent"),
        ("10:30 a.m.", "ten thirty AM"),
        ("11.30am", "eleven thirty a.m."),
        ("12.5 kg", "twelve point five kg"),
        ("a hundred people", "100 people"),
        ("the 21st floor", "the twenty first floor"),
        ("one hundred and first", "101"),
        ("2,500 units", "two thousand five hundred units"),
        ("It's OK!", "it's okay"),
        ("Hello,   World.", "hello world"),
    ],
)
def test_equal_after_normalising(written, spoken):
    assert normalize_transcript(written) == normalize_transcript(spoken)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("twelve", "13"),
        ("$5", "five euros"),
        ("one two three", "123"),
        ("ten thirty", "1030"),
        ("$1,250.75", "1250.75 dollars and 0 cents"),
    ],
)
def test_different_stays_different(a, b):
    assert normalize_transcript(a) != normalize_transcript(b)


def test_output_is_lowercase_tokens():
    assert normalize_transcript("Total: $1,250.75 (paid)!") == "total 1250 dollars 75 cents paid"


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "zero"), (15, "fifteen"), (40, "forty"), (1250, "one thousand two hundred fifty")],
)
def test_number_words(n, words):
    assert number_words(n) == words
    assert normalize_transcript(words) == str(n)


@pytest.mark.parametrize(("n", "words"), [(1, "first"), (12, "twelfth"), (20, "twentieth")])
def test_ordinal_words(n, words):
    assert ordinal_words(n) == words


def test_generated_references_match_what_espeak_is_told_to_say():
    """Every benchmark sentence: the written label and the spoken text normalise alike."""
    rng = random.Random(3)
    for index in range(200):
        _, fact = sentence(rng, index)
        assert normalize_transcript(fact.written) == normalize_transcript(fact.spoken), fact
