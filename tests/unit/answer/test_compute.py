import pytest

from serve.answer.compute import ComputeAnswerer, ComputeError, evaluate, format_value

ANSWERER = ComputeAnswerer()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is 17 * 23?", "391"),
        ("Calculate 12.5% of 480", "60"),
        ("what is 2^10", "1024"),
        ("What is the sum of 1, 2 and 3?", "6"),
        ("What is the average of 4, 8, 15, 16, 23 and 42?", "18"),
        ("Compute (1234 + 5678) / 2", "3456"),
        ("What's the square root of 144?", "12"),
        ("How much is 1,250.50 minus 300.25?", "950.25"),
        ("What is 7 divided by 3?", "2.3333333333"),
        ("what is 3 to the power of 20", "3486784401"),
        ("What is 100 mod 7?", "2"),
        ("What is 15 percent of 200?", "30"),
        ("12 x 12 = ?", "144"),
        ("What is -5 + 3 * (2 - 8)?", "-23"),
        ("What is 0.1 + 0.2?", "0.3"),
        ("What is 2**64?", "18446744073709551616"),
    ],
)
def test_exact_answers(question, expected):
    answer = ANSWERER.answer(question, [])
    assert answer is not None and answer.text == expected
    assert answer.confidence >= 0.9


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "Who wrote Hamlet?",
        "What is 2**100000000?",
        "What is 1/0?",
    ],
)
def test_no_answer_when_not_computable(question):
    assert ANSWERER.answer(question, []) is None


def test_evaluator_refuses_non_arithmetic():
    for expression in ("__import__('os')", "open('x')", "[1,2]", "a + 1"):
        with pytest.raises((ComputeError, SyntaxError)):
            evaluate(expression)


def test_uncovered_numbers_lower_confidence():
    answer = ANSWERER.answer("I have 3 cats and 2 dogs; what is 4 + 4?", [])
    assert answer.text == "8" and answer.confidence < 0.5


def test_format_value_is_exact_for_integers_and_rounds_decimals():
    assert format_value(evaluate("10**30")) == "1" + "0" * 30
    assert format_value(evaluate("1/8")) == "0.125"
