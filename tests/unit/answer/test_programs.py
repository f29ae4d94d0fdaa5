"""ProgramSolver with the grammar writer, run in the real execute sandbox (no Ray)."""

from __future__ import annotations

import math

import pytest

from deployments.actions.execute.deployment import ExecuteDeployment
from serve.answer.program_grammar import NoParse, normalize_question, parse
from serve.answer.programs import (
    GrammarWriter,
    LLMProgramWriter,
    ProgramSolver,
    WriterSpec,
    extract_code,
    printed_value,
)


@pytest.fixture(scope="module")
def sandbox() -> ExecuteDeployment:
    return ExecuteDeployment({"timeout_s": 10.0, "max_concurrent_runs": 2})


@pytest.fixture(scope="module")
def solver(sandbox) -> ProgramSolver:
    async def run(code: str) -> dict:
        return await sandbox.run({"code": code})

    return ProgramSolver([WriterSpec("grammar", GrammarWriter(), 0.97)], run)


ANSWERED = [
    ("How many primes are there below 10000?", "1229"),
    ("What is the sum of the squares of the integers from 1 to 250?", "5239625"),
    ("What is the 30th Fibonacci number?", "832040"),
    ("What is the thirtieth term of the Fibonacci sequence?", "832040"),
    ("What is the sum of the first 100 positive integers?", "5050"),
    ("How many 3-digit numbers are divisible by 7?", "128"),
    ("What is the largest prime below 1000?", "997"),
    ("What is the smallest prime greater than 1000?", "1009"),
    ("What is the sum of the digits of 100 factorial?", "648"),
    ("Is 97 a prime number?", "yes"),
    ("How many days are there between January 1, 2024 and March 1, 2024?", "60"),
    ("What day of the week was July 4, 1776?", "Thursday"),
    ("How many ways can you choose 3 items from 10?", "120"),
    ("What is the sum of all multiples of 3 or 5 below 1000?", "233168"),
    ("What is the sum of the even Fibonacci numbers below 4 million?", "4613732"),
    ("How many numbers from 1 to 100 are prime?", "25"),
    ("What is the mean of the primes below 20?", "9.625"),
    ("What is the GCD of 48, 180 and 300?", "12"),
    ("What is the least common multiple of 4, 6 and 10?", "60"),
    ("Count the integers from 1 to 50 that are divisible by 4 or 6.", "16"),
    ("How many numbers between 1 and 100 are not divisible by 2 or 3?", "33"),
    ("What date is 100 days after March 1, 2024?", "2024-06-09"),
    ("What is the sum of the proper divisors of 28?", "28"),
    ("How many digits are in 2 to the power of 1000?", "302"),
    ("What is twenty-five factorial?", str(math.factorial(25))),
]


@pytest.mark.parametrize(("question", "expected"), ANSWERED)
async def test_grammar_programs_answer(solver, question, expected):
    solution = await solver.solve(question)
    assert solution.answer is not None, solution.reason
    assert solution.answer.text == expected
    assert solution.answer.answerer == "program" and solution.answer.data["writer"] == "grammar"


@pytest.mark.parametrize(
    "question",
    [
        "How many integers between 1 and 1000 are divisible by neither 3 nor 5?",
        "How many trailing zeros does 100 factorial have?",
        "How many primes are there?",  # unbounded
        "How many primes less than 100 end in 3?",  # a filter outside the grammar
        "What is the capital of France?",
        "What is the smallest number divisible by each of the numbers 1 to 20?",
    ],
)
async def test_outside_the_grammar_no_program(solver, question):
    solution = await solver.solve(question)
    assert solution.answer is None and "no program" in solution.reason


@pytest.mark.parametrize(
    "question",
    [
        "How many days are there between 03/04/2024 and 05/01/2024?",  # day/month order
        "How many Fibonacci numbers are there below 1000?",  # is 1 one of them once or twice?
    ],
)
async def test_ambiguous_readings_disagree_and_are_refused(solver, question):
    solution = await solver.solve(question)
    assert solution.answer is None and "disagree" in solution.reason


async def test_second_sample_is_an_independent_implementation():
    writer = GrammarWriter()
    first = await writer("How many primes are there below 100?", 0)
    second = await writer("How many primes are there below 100?", 1)
    assert "sieve" in first and "sieve" not in second


async def test_solver_checks_runs_values_and_agreement(sandbox):
    async def run(code: str) -> dict:
        return await sandbox.run({"code": code})

    def fixed(*programs: str):
        async def write(question: str, index: int) -> str:
            return programs[min(index, len(programs) - 1)]

        return write

    cases = [
        (fixed("print(1)\nprint(2)"), "2 lines"),
        (fixed("raise SystemExit(3)"), "exit code 3"),
        (fixed("print(6 * 7)", "print(41)"), "disagree"),
        (fixed("print('the answer is', 42)"), "other than one value"),
        (fixed("while True: pass"), "limits hit"),
    ]
    for write, why in cases:
        solver = ProgramSolver([WriterSpec("test", write, 0.9)], run)
        solution = await solver.solve("anything")
        assert solution.answer is None and why in solution.reason, solution.reason
    good = ProgramSolver(
        [WriterSpec("test", fixed("print(1 + 1)"), 0.9), WriterSpec("b", fixed("print(3)"), 1)],
        run,
    )
    solution = await good.solve("anything")
    assert solution.answer.text == "2" and solution.answer.confidence == 0.9


async def test_a_failing_writer_falls_through_to_the_next(sandbox):
    async def run(code: str) -> dict:
        return await sandbox.run({"code": code})

    async def broken(question: str, index: int) -> str:
        raise RuntimeError("model unavailable")

    solver = ProgramSolver(
        [WriterSpec("llm", broken, 0.9), WriterSpec("grammar", GrammarWriter(), 0.97)], run
    )
    solution = await solver.solve("What is 10 factorial?")
    assert solution.answer.text == "3628800"
    assert solution.attempts[0].reason == "writer failed: RuntimeError"


async def test_llm_writer_prompts_and_extracts_code():
    seen = []

    async def generate(messages, temperature, seed):
        seen.append((messages[-1]["content"], temperature))
        return "Sure!\n```python\nprint(2 ** 10)\n```\nThis prints 1024."

    writer = LLMProgramWriter(generate)
    assert await writer("What is 2 to the 10th?", 0) == "print(2 ** 10)"
    assert await writer("What is 2 to the 10th?", 1) == "print(2 ** 10)"
    assert [t for _, t in seen] == [0.0, 0.7] and "2 to the 10th" in seen[0][0]


def test_extract_code_and_printed_value():
    assert extract_code("no code here, the answer is 4") == ""
    assert extract_code("print(4)") == "print(4)"
    ok = {"exit_code": 0, "stdout": "\n 42 \n", "limits_hit": []}
    assert printed_value(ok) == ("42", "")
    assert printed_value({**ok, "stdout": "[1, 2]"})[0] is None
    assert printed_value({**ok, "stdout": "2024-06-09"})[0] == "2024-06-09"


def test_normalize_and_parse():
    assert normalize_question("Please calculate the sum of 1 to 100, exactly?") == (
        "the sum of 1 to 100"
    )
    assert parse("What is the 1,000th prime?")[0].kind == "nth"
    with pytest.raises(NoParse):
        parse("What is the sum of the happy numbers below 100?")


async def test_default_solver_grammar_first_then_llm_below_threshold(sandbox):
    from serve.answer.programs import LLM_CONFIDENCE, build_program_solver

    async def run(code: str) -> dict:
        return await sandbox.run({"code": code})

    async def generate(messages, temperature, seed):
        return "```python\nprint(24 * 60 * 60)\n```"

    solver = build_program_solver(run, generate)
    assert [w.name for w in solver.writers] == ["grammar", "llm"]
    grammar = await solver.solve("What is 10 choose 3?")
    assert grammar.answer.text == "120" and grammar.answer.data["writer"] == "grammar"
    llm = await solver.solve("How many seconds are in a day?")
    assert llm.answer.text == "86400" and llm.answer.confidence == LLM_CONFIDENCE
    assert [w.name for w in build_program_solver(run).writers] == ["grammar"]
