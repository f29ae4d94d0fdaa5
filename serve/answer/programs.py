"""Questions that need a program: written, run in the sandbox, and checked before trusted.

``ProgramSolver`` asks its writers, in order, for a short Python program that prints the
answer; each program runs in the ``execute`` sandbox (an injected ``run_program``). An answer is
trusted only when two independent samples of the same writer both run (exit 0, no limit hit),
each print exactly one value, and the two values agree; otherwise the next writer is tried,
and when none succeeds the solver says why (the caller escalates).

Writers are async callables ``write_program(question, sample_index) -> str`` ("" when the
writer has no program for the question):

- :class:`GrammarWriter` — a small semantic parser from the question to a program over a
  grammar of sets (integers, primes, multiples, squares, Fibonacci and triangular numbers …)
  with ranges, filters and limits; aggregates over them (sum, count, product, mean, max, min,
  optionally of squares/cubes); the k-th element of a set; number functions (factorial,
  gcd/lcm, binomial, digit sums, digit counts, prime factors, divisors, primality) over exact
  arithmetic; and dates (days between, weekday, shifts). The whole question must be consumed by
  the grammar (fillers aside), else it writes nothing. Sample 0 and sample 1 are independent
  implementations (sieve vs trial division, library vs hand-written loops, datetime vs a
  civil-calendar formula); an ambiguous question (a 03/04/2024 date) gives one reading per
  sample, so the samples disagree and the solver refuses.
- :class:`LLMProgramWriter` — the LLM writes the program (greedy for sample 0, sampled for 1).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from serve.answer.base import Answer
from serve.answer.program_code import program_for
from serve.answer.program_grammar import NoParse, parse

WriteProgram = Callable[[str, int], Awaitable[str]]
RunProgram = Callable[[str], Awaitable[dict[str, Any]]]

# One printed value: a number, a date, a yes/no, a weekday or one short word.
_VALUE = re.compile(
    r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\d{4}-\d\d-\d\d|[A-Za-z]+(?:[ -][A-Za-z]+)?|"
    r"[-+]?\d+/\d+"
)
MAX_VALUE_CHARS = 400


# ================================================================================== solver


@dataclass
class Attempt:
    """One writer's try: its samples' programs, printed values and the verdict."""

    writer: str
    programs: list[str] = field(default_factory=list)
    values: list[str | None] = field(default_factory=list)
    reason: str = ""


@dataclass
class Solution:
    """The solver's outcome: an answer (or None) and every attempt made."""

    answer: Answer | None
    attempts: list[Attempt]

    @property
    def reason(self) -> str:
        if self.answer is not None:
            return f"agreed: {self.answer.data.get('writer')}"
        return "; ".join(f"{a.writer}: {a.reason}" for a in self.attempts) or "no writer"


def printed_value(result: dict[str, Any]) -> tuple[str | None, str]:
    """(the one value a run printed, "") or (None, why it is not usable)."""
    if result.get("limits_hit"):
        return None, f"limits hit: {', '.join(result['limits_hit'])}"
    if result.get("exit_code") != 0:
        return None, f"exit code {result.get('exit_code')}"
    if result.get("truncated"):
        return None, "output truncated"
    lines = [line.strip() for line in str(result.get("stdout") or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) != 1:
        return None, f"printed {len(lines)} lines, not one value"
    value = lines[0]
    if len(value) > MAX_VALUE_CHARS or not _VALUE.fullmatch(value):
        return None, "printed something other than one value"
    return value, ""


def _same(a: str, b: str) -> bool:
    if a.lower() == b.lower():
        return True
    try:
        return Fraction(a) == Fraction(b)
    except (ValueError, ZeroDivisionError):
        return False


@dataclass
class WriterSpec:
    """A writer, its name, and the confidence an agreed answer of it gets."""

    name: str
    write: WriteProgram
    confidence: float


class ProgramSolver:
    """Writes, runs and cross-checks programs; the first writer whose samples agree wins."""

    name = "program"

    def __init__(
        self, writers: Sequence[WriterSpec], run_program: RunProgram, *, samples: int = 2
    ) -> None:
        if samples < 2:
            raise ValueError("at least two samples are needed to cross-check a program")
        self.writers = list(writers)
        self.run_program = run_program
        self.samples = samples

    async def solve(self, question: str) -> Solution:
        attempts = []
        for writer in self.writers:
            attempt = await self._attempt(writer, question)
            attempts.append(attempt)
            if attempt.reason == "":
                value = attempt.values[0]
                assert value is not None
                answer = Answer(
                    value,
                    writer.confidence,
                    self.name,
                    ["computed"],
                    {"writer": writer.name, "code": attempt.programs[0], "samples": self.samples},
                )
                return Solution(answer, attempts)
        return Solution(None, attempts)

    async def _attempt(self, writer: WriterSpec, question: str) -> Attempt:
        attempt = Attempt(writer.name)
        for index in range(self.samples):
            try:
                code = (await writer.write(question, index)).strip()
            except Exception as exc:  # a writer failing is a refusal, never a crash
                attempt.reason = f"writer failed: {type(exc).__name__}"
                return attempt
            if not code:
                attempt.reason = "no program" if index == 0 else f"no program for sample {index}"
                return attempt
            attempt.programs.append(code)
            try:
                result = await self.run_program(code)
            except Exception as exc:
                attempt.reason = f"sandbox refused: {type(exc).__name__}: {str(exc)[:120]}"
                return attempt
            value, why = printed_value(result)
            attempt.values.append(value)
            if value is None:
                attempt.reason = f"sample {index}: {why}"
                return attempt
            if index and not _same(value, attempt.values[0] or ""):
                attempt.reason = f"samples disagree ({attempt.values[0]!r} vs {value!r})"
                return attempt
        return attempt


# ================================================================================ LLM writer

LLM_SYSTEM = (
    "You write short, correct Python 3 programs. Reply with one ```python code block and "
    "nothing else. The program takes no input and prints exactly one value: the answer."
)


def extract_code(reply: str) -> str:
    """The first fenced code block of ``reply`` (or the reply itself when it looks like code)."""
    match = re.search(r"```(?:python|py)?\s*\n(.*?)(?:```|$)", reply, re.DOTALL)
    if match:
        return match.group(1).strip()
    if re.search(r"^\s*(print|import|def |for |[a-z_]+\s*=)", reply, re.MULTILINE):
        return reply.strip()
    return ""


class LLMProgramWriter:
    """Asks an LLM for the program: ``generate(messages, temperature, seed) -> reply``."""

    def __init__(self, generate: Callable[[list[dict[str, str]], float, int], Awaitable[str]]):
        self.generate = generate

    async def __call__(self, question: str, sample_index: int) -> str:
        messages = [
            {"role": "system", "content": LLM_SYSTEM},
            {"role": "user", "content": f"Question: {question.strip()}\nWrite the program."},
        ]
        temperature = 0.0 if sample_index == 0 else 0.7
        return extract_code(await self.generate(messages, temperature, 1000 + sample_index))


# ============================================================================ grammar writer


class GrammarWriter:
    """The non-LLM program writer: question → grammar parse → one of two implementations."""

    async def __call__(self, question: str, sample_index: int) -> str:
        return self.write(question, sample_index)

    def write(self, question: str, sample_index: int) -> str:
        try:
            readings = parse(question)
            query = readings[min(sample_index, len(readings) - 1)]
            return program_for(query, sample_index % 2)
        except NoParse:
            return ""


GRAMMAR_CONFIDENCE = 0.97  # agreed grammar programs: no wrong answer on dev or held-out
LLM_CONFIDENCE = 0.5  # agreed LLM programs: below every route threshold until calibrated


def build_program_solver(
    run_program: RunProgram,
    generate: Callable[[list[dict[str, str]], float, int], Awaitable[str]] | None = None,
    *,
    llm_confidence: float = LLM_CONFIDENCE,
) -> ProgramSolver:
    """The default solver: the grammar writer first, then the LLM writer when ``generate`` is
    given (its agreed answers get ``llm_confidence``: with the local SmolLM2-135M they stay
    below the escalation threshold, so they never answer without the LLM on their own)."""
    writers = [WriterSpec("grammar", GrammarWriter(), GRAMMAR_CONFIDENCE)]
    if generate is not None:
        writers.append(WriterSpec("llm", LLMProgramWriter(generate), llm_confidence))
    return ProgramSolver(writers, run_program)
