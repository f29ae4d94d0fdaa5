"""The plain-knowledge set and its scorer (loadtest/knowledge)."""

from __future__ import annotations

import pytest

from loadtest.eval.cases import KNOWLEDGE
from loadtest.knowledge.bench import Answer, summary
from loadtest.knowledge.questions import Question, load_splits, questions
from loadtest.knowledge.score import is_correct, mentions, normalize


def test_the_set_has_two_disjoint_splits_of_at_least_25():
    splits = load_splits()
    assert len(splits["dev"]) >= 25 and len(splits["held_out"]) >= 25
    ids = [q.id for q in questions()]
    assert len(ids) == len(set(ids)) >= 50
    dev = {q.question for q in splits["dev"]}
    assert not dev & {q.question for q in splits["held_out"]}


def test_no_question_gives_its_answer_away_or_repeats_the_eval():
    eval_questions = {question for question, _ in KNOWLEDGE}
    for q in questions():
        assert q.question not in eval_questions
        assert q.accepted and all(a.strip() for a in q.accepted)
        text = normalize(q.question)
        assert not any(mentions(text, normalize(a)) for a in q.accepted), q.id  # an echo fails
        assert not set(map(normalize, q.accepted)) & set(map(normalize, q.rejected)), q.id


CANBERRA = Question("cap-au", "capital", "Capital of Australia?", ("Canberra",), ("Sydney",))


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("The capital of Australia is Canberra.", True),
        ("CANBERRA", True),
        ("Canberra or Sydney, I think.", False),  # a hedge is not an answer
        ("Sydney.", False),
        ("Canberrans live there.", False),  # whole words only
        ("Capital of Australia?", False),  # an echo
    ],
)
def test_scoring(answer, correct):
    assert is_correct(CANBERRA, answer) is correct


def test_numbers_and_accents_are_normalised():
    grams = Question("g", "unit", "Grams in a kilogram?", ("1000",))
    assert is_correct(grams, "There are 1,000 grams in a kilogram.")
    assert not is_correct(grams, "There are 10000 grams.")
    city = Question("c", "place", "Where?", ("Bogota",))
    assert is_correct(city, "It is Bogotá.")


def _answer(model: str, split: str, correct: bool, escalated: bool | None) -> Answer:
    return Answer(model, "q", split, "t", "q?", "a", correct, 0.5, "stop", 8, escalated)


def test_summary_reports_accuracy_per_model_and_split():
    answers = [
        _answer("llm", "dev", True, None),
        _answer("llm", "dev", False, None),
        _answer("llm", "held_out", True, None),
        _answer("interfaze", "held_out", True, True),
    ]
    rows = {(r["model"], r["split"]): r for r in summary(answers)["rows"]}
    assert rows[("llm", "dev")]["accuracy"] == 0.5
    assert rows[("llm", "all")]["n"] == 3 and rows[("llm", "all")]["escalated"] is None
    assert rows[("interfaze", "held_out")]["escalated"] == 1.0
    assert ("interfaze", "dev") not in rows
