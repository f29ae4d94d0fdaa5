"""Calculation cases with known answers, split into a DEV part (tuned on) and a HELD-OUT part.

Two families: arithmetic said in words (with explicit rounding), and questions that need a
program (sums over ranges, primes, sequences, counting, dates, factorials, gcd/lcm ...).
The held-out templates use other phrasings *and* other operations of the same families; they
were fixed before any tuning and are never looked at while tuning: report both, trust held-out.

Every expected value is computed here by straightforward reference code (not by the solver).

    .venv/bin/python -m loadtest.eval.calc_cases --split heldout --count 2   # print a sample
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from loadtest.eval.cases import Case
from loadtest.perception.gen_speech import number_words

SPLITS = ("dev", "heldout")
CATEGORY = "calculation"


def _primes_below(n: int) -> list[int]:
    sieve = bytearray([1]) * max(n, 2)
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(max(n - 1, 1)) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return [i for i in range(n) if sieve[i]]


def _fib(k: int) -> int:
    a, b = 0, 1  # F(1) = F(2) = 1
    for _ in range(k):
        a, b = b, a + b
    return a


def _nth_prime(k: int) -> int:
    limit = 32
    while True:
        primes = _primes_below(limit)
        if len(primes) >= k:
            return primes[k - 1]
        limit *= 2


def _rounded(value: Decimal | float | int, places: int) -> list[str]:
    """The value rounded half-up to ``places``; also without trailing zeros."""
    exact = Decimal(str(value)) if not isinstance(value, Decimal) else value
    q = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    short = text.rstrip("0").rstrip(".") if "." in text else text
    return sorted({text, short})


def _date_text(day: dt.date, style: int) -> str:
    if style == 0:
        return f"{day:%B} {day.day}, {day.year}"
    if style == 1:
        return day.isoformat()
    return f"{day.day} {day:%B} {day.year}"


def _random_date(rng: random.Random, first: int = 1990, last: int = 2030) -> dt.date:
    start = dt.date(first, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(last, 12, 31).toordinal()))


@dataclass(frozen=True)
class Template:
    """One question family member: ``make(rng) -> (question, expected answers)``."""

    name: str
    family: str  # "arithmetic" or "program"
    make: Callable[[random.Random], tuple[str, list[str]]]


def _t(name: str, family: str):
    def wrap(fn: Callable[[random.Random], tuple[str, list[str]]]) -> Template:
        return Template(name, family, fn)

    return wrap


# ------------------------------------------------------------------------------------ DEV
@_t("power_minus", "arithmetic")
def _dev_power_minus(rng):
    a, e = rng.choice([2, 3, 5, 7]), rng.randint(10, 70)
    return f"What is {a} to the power of {e}, minus 1?", [str(a**e - 1)]


@_t("words_times", "arithmetic")
def _dev_words_times(rng):
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    return f"What is {number_words(a)} times {number_words(b)}?", [str(a * b)]


@_t("sqrt", "arithmetic")
def _dev_sqrt(rng):
    r = rng.randint(3, 999)
    return f"What is the square root of {r * r}?", [str(r)]


@_t("divide_round_2dp", "arithmetic")
def _dev_divide_round(rng):
    a, b = rng.randint(1000, 999999), rng.choice([7, 13, 17, 127, 239, 61, 83])
    q = Decimal(a) / Decimal(b)
    return f"What is {a} divided by {b}, rounded to two decimal places?", _rounded(q, 2)


@_t("divide_nearest_whole", "arithmetic")
def _dev_divide_whole(rng):
    a, b = rng.randint(100, 99999), rng.choice([3, 7, 9, 11, 19, 23])
    q = Decimal(a) / Decimal(b)
    return f"Round {a} divided by {b} to the nearest whole number.", _rounded(q, 0)


@_t("mul_plus", "arithmetic")
def _dev_mul_plus(rng):
    a, b, c = rng.randint(10, 999), rng.randint(10, 999), rng.randint(1, 9999)
    return f"Calculate {a} multiplied by {b} plus {c}.", [str(a * b + c)]


@_t("percent_1dp", "arithmetic")
def _dev_percent(rng):
    p, a = rng.choice([7, 13, 17.5, 22, 37]), rng.randint(100, 9999)
    value = Decimal(str(p)) * a / 100
    return f"What is {p} percent of {a}, rounded to one decimal place?", _rounded(value, 1)


@_t("sum_squares_range", "program")
def _dev_sum_squares(rng):
    n = rng.randint(50, 5000)
    total = sum(i * i for i in range(1, n + 1))
    return f"What is the sum of the squares of the integers from 1 to {n}?", [str(total)]


@_t("primes_below", "program")
def _dev_primes_below(rng):
    n = rng.choice([100, 1000, 5000, 10000, 20000, 50000])
    return f"How many primes are there below {n}?", [str(len(_primes_below(n)))]


@_t("fibonacci_nth", "program")
def _dev_fib(rng):
    k = rng.randint(10, 80)
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(k % 10 if k % 100 not in (11, 12, 13) else 0, "th")
    return f"What is the {k}{suffix} Fibonacci number?", [str(_fib(k))]


@_t("factorial", "program")
def _dev_factorial(rng):
    n = rng.randint(5, 30)
    return f"What is {n} factorial?", [str(math.factorial(n))]


@_t("gcd", "program")
def _dev_gcd(rng):
    g = rng.randint(2, 60)
    a, b = g * rng.randint(2, 500), g * rng.randint(2, 500)
    return f"What is the greatest common divisor of {a} and {b}?", [str(math.gcd(a, b))]


@_t("days_between", "program")
def _dev_days_between(rng):
    d1 = _random_date(rng)
    d2 = d1 + dt.timedelta(days=rng.randint(5, 4000))
    style = rng.randrange(3)
    question = (
        f"How many days are there between {_date_text(d1, style)} and {_date_text(d2, style)}?"
    )
    return question, [str((d2 - d1).days)]


@_t("sum_even_range", "program")
def _dev_sum_even(rng):
    n = rng.randint(20, 10000)
    return f"What is the sum of all even numbers from 1 to {n}?", [str(sum(range(2, n + 1, 2)))]


@_t("nth_prime", "program")
def _dev_nth_prime(rng):
    k = rng.randint(10, 2000)
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(k % 10 if k % 100 not in (11, 12, 13) else 0, "th")
    return f"What is the {k}{suffix} prime number?", [str(_nth_prime(k))]


@_t("digit_sum_power", "program")
def _dev_digit_sum(rng):
    e = rng.randint(20, 1000)
    return f"What is the sum of the digits of 2 to the power of {e}?", [
        str(sum(int(c) for c in str(2**e)))
    ]


@_t("multiples_below", "program")
def _dev_multiples(rng):
    k, n = rng.randint(3, 19), rng.randint(100, 100000)
    return f"How many multiples of {k} are there below {n}?", [str((n - 1) // k)]


DEV_TEMPLATES = [
    _dev_power_minus, _dev_words_times, _dev_sqrt, _dev_divide_round, _dev_divide_whole,
    _dev_mul_plus, _dev_percent, _dev_sum_squares, _dev_primes_below, _dev_fib, _dev_factorial,
    _dev_gcd, _dev_days_between, _dev_sum_even, _dev_nth_prime, _dev_digit_sum, _dev_multiples,
]  # fmt: skip


# ------------------------------------------------------------------------------- HELD-OUT
@_t("words_precedence", "arithmetic")
def _ho_words_precedence(rng):
    a, b, c = rng.randint(2, 99), rng.randint(2, 30), rng.randint(2, 30)
    question = f"What is {number_words(a)} plus {number_words(b)} times {number_words(c)}?"
    return question, [str(a + b * c)]


@_t("squared_minus_squared", "arithmetic")
def _ho_squares(rng):
    a, b = rng.randint(20, 999), rng.randint(2, 99)
    return f"Calculate {a} squared minus {b} squared.", [str(a * a - b * b)]


@_t("divide_round_3dp", "arithmetic")
def _ho_divide_3dp(rng):
    a, b = rng.randint(10, 99999), rng.choice([7, 11, 13, 29, 31, 97])
    q = Decimal(a) / Decimal(b)
    return f"What is {a} divided by {b}? Round to 3 decimal places.", _rounded(q, 3)


@_t("cube_root", "arithmetic")
def _ho_cube_root(rng):
    r = rng.randint(2, 200)
    return f"What is the cube root of {r**3}?", [str(r)]


@_t("ratio_nearest_integer", "arithmetic")
def _ho_nearest_integer(rng):
    a, b = rng.randint(1000, 999999), rng.randint(3, 97)
    q = Decimal(a) / Decimal(b)
    return f"What is {a} over {b}, to the nearest integer?", _rounded(q, 0)


@_t("percent_2dp", "arithmetic")
def _ho_percent(rng):
    p, a = rng.choice([3.5, 8, 12.5, 19, 41]), rng.randint(10, 99999)
    value = Decimal(str(p)) * a / 100
    return f"How much is {p}% of {a}, rounded to two decimals?", _rounded(value, 2)


@_t("power_words", "arithmetic")
def _ho_power_words(rng):
    e, c = rng.randint(8, 40), rng.randint(1, 9)
    question = f"What is two raised to the power of {number_words(e)}, plus {number_words(c)}?"
    return question, [str(2**e + c)]


@_t("sum_cubes_range", "program")
def _ho_sum_cubes(rng):
    n = rng.randint(10, 3000)
    return f"Find the sum of the cubes of the numbers from 1 to {n}.", [
        str(sum(i**3 for i in range(1, n + 1)))
    ]


@_t("count_primes_between", "program")
def _ho_primes_between(rng):
    a = rng.randint(10, 5000)
    b = a + rng.randint(100, 20000)
    count = len([p for p in _primes_below(b + 1) if p >= a])
    return f"Count the prime numbers between {a} and {b}.", [str(count)]


@_t("fibonacci_term", "program")
def _ho_fib_term(rng):
    k = rng.randint(10, 90)
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(k % 10 if k % 100 not in (11, 12, 13) else 0, "th")
    return f"What is the {k}{suffix} term of the Fibonacci sequence?", [str(_fib(k))]


@_t("factorial_of", "program")
def _ho_factorial_of(rng):
    n = rng.randint(8, 40)
    return f"Compute the factorial of {n}.", [str(math.factorial(n))]


@_t("lcm", "program")
def _ho_lcm(rng):
    a, b = rng.randint(6, 999), rng.randint(6, 999)
    return f"What is the least common multiple of {a} and {b}?", [str(math.lcm(a, b))]


@_t("days_from_to", "program")
def _ho_days_from_to(rng):
    d1 = _random_date(rng)
    d2 = d1 + dt.timedelta(days=rng.randint(2, 9000))
    style = rng.randrange(3)
    question = f"How many days are there from {_date_text(d1, style)} to {_date_text(d2, style)}?"
    return question, [str((d2 - d1).days)]


@_t("weekday_of_date", "program")
def _ho_weekday(rng):
    day = _random_date(rng, 1900, 2099)
    return f"What day of the week was {_date_text(day, rng.randrange(3))}?", [f"{day:%A}"]


@_t("sum_odd_between", "program")
def _ho_sum_odd(rng):
    n = rng.randint(20, 20000)
    return f"What is the sum of all odd integers between 1 and {n}?", [str(sum(range(1, n + 1, 2)))]


@_t("multiples_3_or_5", "program")
def _ho_multiples_or(rng):
    a, b = rng.choice([(3, 5), (2, 7), (4, 6), (5, 7)])
    n = rng.randint(50, 100000)
    total = sum(i for i in range(1, n) if i % a == 0 or i % b == 0)
    return f"What is the sum of all the multiples of {a} or {b} below {n}?", [str(total)]


@_t("count_divisible", "program")
def _ho_count_divisible(rng):
    k, n = rng.randint(3, 37), rng.randint(100, 1000000)
    return f"How many integers from 1 to {n} are divisible by {k}?", [str(n // k)]


@_t("sum_first_primes", "program")
def _ho_sum_first_primes(rng):
    k = rng.randint(5, 1000)
    return f"What is the sum of the first {k} prime numbers?", [
        str(sum(_primes_below(_nth_prime(k) + 1)))
    ]


@_t("choose", "program")
def _ho_choose(rng):
    n = rng.randint(6, 60)
    k = rng.randint(2, n - 2)
    return f"What is {n} choose {k}?", [str(math.comb(n, k))]


@_t("digits_of_factorial", "program")
def _ho_digits_factorial(rng):
    n = rng.randint(10, 500)
    return f"How many digits does {n} factorial have?", [str(len(str(math.factorial(n))))]


@_t("largest_prime_factor", "program")
def _ho_largest_prime_factor(rng):
    primes = _primes_below(2000)
    n = 1
    for _ in range(rng.randint(2, 4)):
        n *= rng.choice(primes)
    largest, m, p = 1, n, 2
    while p * p <= m:
        while m % p == 0:
            largest, m = p, m // p
        p += 1
    largest = max(largest, m) if m > 1 else largest
    return f"What is the largest prime factor of {n}?", [str(largest)]


HELDOUT_TEMPLATES = [
    _ho_words_precedence, _ho_squares, _ho_divide_3dp, _ho_cube_root, _ho_nearest_integer,
    _ho_percent, _ho_power_words, _ho_sum_cubes, _ho_primes_between, _ho_fib_term,
    _ho_factorial_of, _ho_lcm, _ho_days_from_to, _ho_weekday, _ho_sum_odd, _ho_multiples_or,
    _ho_count_divisible, _ho_sum_first_primes, _ho_choose, _ho_digits_factorial,
    _ho_largest_prime_factor,
]  # fmt: skip


def templates(split: str) -> list[Template]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return DEV_TEMPLATES if split == "dev" else HELDOUT_TEMPLATES


def calc_cases(per_template: int, rng: random.Random, split: str) -> list[Case]:
    """``per_template`` cases of every template of ``split`` (deterministic for ``rng``)."""
    cases = []
    for template in templates(split):
        for index in range(per_template):
            question, expected = template.make(rng)
            meta: dict[str, Any] = {"split": split, "template": template.name}
            meta["family"] = template.family
            cases.append(
                Case(
                    f"calc-{split}-{template.name}-{index}",
                    CATEGORY,
                    [{"role": "user", "content": question}],
                    expected,
                    question,
                    meta,
                )
            )
    return cases


def build(count: int, seed: int, split: str) -> list[Case]:
    """``count`` cases of ``split``, templates taken in turn (every template once count allows)."""
    per_template = max(1, -(-count // len(templates(split))))
    cases = calc_cases(per_template, random.Random(f"calc-{split}-{seed}"), split)
    rounds = sorted(range(len(cases)), key=lambda i: (i % per_template, i // per_template))
    return [cases[i] for i in rounds][:count]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--count", type=int, default=1, help="cases per template")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = random.Random(f"calc-{args.split}-{args.seed}")
    for case in calc_cases(args.count, rng, args.split):
        print(f"{case.id:45} {case.question}  ->  {case.expected}")


if __name__ == "__main__":
    main()
