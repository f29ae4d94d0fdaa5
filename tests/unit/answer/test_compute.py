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


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is 2 to the power of 61, minus 1?", "2305843009213693951"),
        ("What is seven times six?", "42"),
        ("What is the square root of 144?", "12"),
        ("What is 987654 divided by 127, rounded to two decimal places?", "7776.80"),
        ("Round 16961 divided by 23 to the nearest whole number.", "737"),
        ("What is 10 divided by 4, to the nearest integer?", "3"),  # half away from zero
        ("What is 50 divided by 5, rounded to two decimal places?", "10.00"),
        ("What is 22 divided by 7? Round to 3 decimal places.", "3.143"),
        ("What is 123456 times 7 to the nearest thousand?", "864000"),
        ("What is 2 divided by 3 to 2 significant figures?", "0.67"),
        ("What is two hundred and five plus ninety-nine?", "304"),
        ("What is the cube root of 2744?", "14"),
        ("What is half of 250 plus 4?", "129"),
        ("Calculate 12 squared minus 5 squared.", "119"),
        ("What is five plus three times four?", "17"),
        ("What is 2 to the 10th power?", "1024"),
        ("What is the remainder when 2 to the power of 100 is divided by 7?", "2"),
    ],
)
def test_words_commas_and_rounding(question, expected):
    answer = ANSWERER.answer(question, [])
    assert answer is not None and answer.text == expected, answer
    assert answer.confidence >= 0.9


@pytest.mark.parametrize(
    "question",
    [
        "What is the sum of the digits of 2 to the power of 90?",
        "How many digits does 2 to the power of 100 have?",
        "What is the 30th Fibonacci number?",
        "What is the largest prime factor of 600851475143?",
    ],
)
def test_words_outside_the_expression_are_not_ignored(question):
    answer = ANSWERER.answer(question, [])
    assert answer is None or answer.confidence < 0.5


def test_rounding_modes():
    from fractions import Fraction

    from serve.answer.compute import Rounding

    assert Rounding(places=2).apply(Fraction(-5, 1000)) == "-0.01"
    assert Rounding(places=0, mode="down").apply(Fraction(29, 10)) == "2"
    assert Rounding(places=0, mode="up").apply(Fraction(21, 10)) == "3"
    assert Rounding(places=-2).apply(Fraction(1250)) == "1300"
    assert Rounding(significant=3).apply(Fraction(123456)) == "123000"
