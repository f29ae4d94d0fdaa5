"""The calculation and voicemail case builders: splits apart, answers computed independently."""

import random

import pytest

from loadtest.eval import calc_cases, speech_cases
from loadtest.perception.gen_speech import voicemail


def test_calc_splits_have_disjoint_templates_and_are_deterministic():
    dev = {t.name for t in calc_cases.templates("dev")}
    heldout = {t.name for t in calc_cases.templates("heldout")}
    assert dev and heldout and not dev & heldout
    first = calc_cases.build(30, 11, "dev")
    again = calc_cases.build(30, 11, "dev")
    assert [c.question for c in first] == [c.question for c in again]
    assert {c.meta["split"] for c in first} == {"dev"}
    with pytest.raises(ValueError):
        calc_cases.templates("test")


def test_calc_expected_values():
    rng = random.Random(3)
    by_name = {t.name: t for t in calc_cases.templates("dev")}
    question, expected = by_name["divide_round_2dp"].make(rng)
    a, b = (int(x) for x in question.split("What is ")[1].split(",")[0].split(" divided by "))
    assert f"{a / b:.2f}" in expected


def test_voicemail_splits_differ_in_templates_values_and_voices():
    dev = [voicemail(random.Random(1), "dev", i) for i in range(3)]
    heldout = [voicemail(random.Random(1), "heldout", i) for i in range(3)]
    assert not {m.written[:25] for m in dev} & {m.written[:25] for m in heldout}
    for mail in dev + heldout:
        for slot, accepted in mail.answers.items():
            assert accepted, slot
            if slot in ("city", "company", "order"):
                assert accepted[0] in mail.written
    assert not {p.voice for p in speech_cases.profiles("dev")} & {
        p.voice for p in speech_cases.profiles("heldout")
    }
    dev_questions = {q for qs in speech_cases.QUESTIONS["dev"].values() for q in qs}
    heldout_questions = {q for qs in speech_cases.QUESTIONS["heldout"].values() for q in qs}
    assert not dev_questions & heldout_questions


def test_speech_cases_carry_audio_and_split():
    cases = speech_cases.build(3, 5, "heldout")
    assert len(cases) == 3 and {c.meta["split"] for c in cases} == {"heldout"}
    part = cases[0].messages[0]["content"][0]
    assert part["type"] == "input_audio" and len(part["input_audio"]["data"]) > 1000
