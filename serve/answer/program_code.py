"""Python programs for grammar queries, in two independent implementations per query.

Style 0 leans on the standard library (a sieve, ``math.comb``, ``datetime``); style 1 uses
hand-written loops (trial division, a factorial loop, a civil-calendar day count, Euclid), so
two samples that agree check the code generation, not only the arithmetic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from serve.answer.program_grammar import NoParse, Query, SetSpec


def _int_code(node: tuple[str, Any], style: int) -> str:
    kind, arg = node
    if kind == "int":
        return str(arg)
    inner = _int_code(arg, style)
    if style == 0:
        return f"math.factorial({inner})"
    return f"fact({inner})"


_PRELUDE = {
    0: "import math\n",
    1: (
        "def fact(n):\n    r = 1\n    for i in range(2, n + 1):\n        r *= i\n    return r\n"
        "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n"
    ),
}
MAX_RANGE = 50_000_000


def _bounded(spec: SetSpec) -> bool:
    return spec.limit is not None or spec.hi is not None


def _predicate_lines(spec: SetSpec, style: int) -> list[str]:
    """Conditions on ``n`` for the set's filters."""
    conds = []
    for kind, arg in spec.filters:
        if kind == "divisible":
            numbers, joiner, negate = arg
            parts = [f"n % {k} == 0" for k in numbers]
            cond = f" {joiner} ".join(parts)
            conds.append(f"not ({cond})" if negate else f"({cond})")
        elif kind in ("odd", "not_even"):
            conds.append("n % 2 == 1" if style == 0 else "n & 1")
        elif kind in ("even", "not_odd"):
            conds.append("n % 2 == 0" if style == 0 else "not n & 1")
        elif kind == "prime":
            conds.append("is_prime(n)")
        elif kind == "not_prime":
            conds.append("not is_prime(n)")
        elif kind == "composite":
            conds.append("n > 1 and not is_prime(n)")
        elif kind == "palindrome":
            conds.append("str(n) == str(n)[::-1]")
        elif kind == "square":
            root = "math.isqrt(n)" if style == 0 else "int(n ** 0.5 + 0.5)"
            conds.append(f"{root} ** 2 == n")
        elif kind == "not_square":
            conds.append("math.isqrt(n) ** 2 != n")
        else:
            raise NoParse(f"unknown filter {kind}")
    return conds


_IS_PRIME = {
    0: (
        "def is_prime(n):\n    if n < 2:\n        return False\n    if n % 2 == 0:\n"
        "        return n == 2\n    i = 3\n    while i * i <= n:\n        if n % i == 0:\n"
        "            return False\n        i += 2\n    return True\n"
    ),
    1: (
        "def is_prime(n):\n    if n < 2:\n        return False\n"
        "    return all(n % d for d in range(2, math.isqrt(n) + 1))\n"
    ),
}


def _generator(spec: SetSpec, style: int) -> str:
    """Code defining ``items()``: the set's elements in increasing order (a generator)."""
    lo = spec.lo if spec.lo is not None else 1
    hi = spec.hi
    lines = ["def base():"]
    if spec.base == "integers":
        if hi is not None:
            lines.append(f"    yield from range({lo}, {hi} + 1)")
        else:
            lines.append(f"    n = {lo}\n    while True:\n        yield n\n        n += 1")
    elif spec.base == "primes":
        if hi is not None and style == 0:
            lines.append(
                f"    limit = {hi}\n    if limit < 2:\n        return\n"
                "    sieve = bytearray([1]) * (limit + 1)\n    sieve[0] = sieve[1] = 0\n"
                "    for i in range(2, math.isqrt(limit) + 1):\n        if sieve[i]:\n"
                "            sieve[i * i :: i] = bytearray(len(range(i * i, limit + 1, i)))\n"
                f"    for n in range(max({lo}, 2), limit + 1):\n        if sieve[n]:\n"
                "            yield n"
            )
        else:
            stop = f"n <= {hi}" if hi is not None else "True"
            lines.append(
                f"    n = max({lo}, 2)\n    while {stop}:\n        if is_prime(n):\n"
                "            yield n\n        n += 1"
            )
    elif spec.base in ("squares", "cubes", "triangular"):
        term = {"squares": "k * k", "cubes": "k ** 3", "triangular": "k * (k + 1) // 2"}
        lines.append(
            f"    k = 1\n    while True:\n        n = {term[spec.base]}\n"
            + (f"        if n > {hi}:\n            return\n" if hi is not None else "")
            + f"        if n >= {lo}:\n            yield n\n        k += 1"
        )
    elif spec.base == "fibonacci":
        if style == 0:
            body = f"    a, b = {'1, 2' if spec.distinct else '1, 1'}\n    while True:\n"
            body += f"        if a > {hi}:\n            return\n" if hi is not None else ""
            body += f"        if a >= {lo}:\n            yield a\n        a, b = b, a + b"
        else:
            first = "[1, 2]" if spec.distinct else "[1, 1]"
            body = f"    seq = {first}\n    i = 0\n    while True:\n"
            body += "        if i >= len(seq):\n            seq.append(seq[-1] + seq[-2])\n"
            body += "        n = seq[i]\n"
            body += f"        if n > {hi}:\n            return\n" if hi is not None else ""
            body += f"        if n >= {lo}:\n            yield n\n        i += 1"
        lines.append(body)
    else:
        raise NoParse(f"unknown base {spec.base}")
    conds = _predicate_lines(spec, style)
    lines.append("def items():")
    lines.append("    count = 0")
    lines.append("    for n in base():")
    if conds:
        lines.append(f"        if not ({' and '.join(conds)}):\n            continue")
    lines.append("        yield n")
    lines.append("        count += 1")
    if spec.limit is not None:
        lines.append(f"        if count >= {spec.limit}:\n            return")
    return "\n".join(lines) + "\n"


def _days_from_civil(date: dt.date) -> str:
    return f"days_from_civil({date.year}, {date.month}, {date.day})"


_CIVIL = (
    "def days_from_civil(y, m, d):\n    y -= m <= 2\n    era = (y if y >= 0 else y - 399) // 400\n"
    "    yoe = y - era * 400\n    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1\n"
    "    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy\n    return era * 146097 + doe - 719468\n"
)
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def program_for(query: Query, style: int) -> str:
    """Python source printing the answer to ``query`` (``style`` 0 or 1: two implementations)."""
    head = _PRELUDE[0] + (_PRELUDE[1] if style == 1 else "")
    kind = query.kind
    if kind in ("days_between", "weeks_between"):
        a, b = query.args
        if style == 0:
            first = f"datetime.date({a.year}, {a.month}, {a.day})"
            days = f"abs((datetime.date({b.year}, {b.month}, {b.day}) - {first}).days)"
            head = "import datetime\n" + head
        else:
            head += _CIVIL
            days = f"abs({_days_from_civil(b)} - {_days_from_civil(a)})"
        if kind == "weeks_between":
            return head + f"d = {days}\nprint(d // 7 if d % 7 == 0 else round(d / 7, 2))\n"
        return head + f"print({days})\n"
    if kind == "weekday":
        (d,) = query.args
        if style == 0:
            date = f"datetime.date({d.year}, {d.month}, {d.day})"
            return f"import datetime\nprint({date}.strftime('%A'))\n"
        names = [*_WEEKDAYS[3:], *_WEEKDAYS[:3]]  # day 0 of the civil count is a Thursday
        return head + _CIVIL + f"print({names!r}[{_days_from_civil(d)} % 7])\n"
    if kind == "date_shift":
        d, days = query.args
        if style == 0:
            return (
                "import datetime\n"
                f"print(datetime.date({d.year}, {d.month}, {d.day}) + "
                f"datetime.timedelta(days={days}))\n"
            )
        return (
            "import datetime\n"
            f"print(datetime.date.fromordinal({d.toordinal()} + ({days})).isoformat())\n"
        )
    if kind == "gcd":
        args = ", ".join(_int_code(a, style) for a in query.args)
        if style == 0:
            return head + f"print(math.gcd({args}))\n"
        return head + f"r = 0\nfor x in [{args}]:\n    r = gcd(r, x)\nprint(r)\n"
    if kind == "lcm":
        args = ", ".join(_int_code(a, style) for a in query.args)
        if style == 0:
            return head + f"print(math.lcm({args}))\n"
        return head + f"r = 1\nfor x in [{args}]:\n    r = r * x // gcd(r, x)\nprint(r)\n"
    if kind == "choose":
        n, k = (_int_code(a, style) for a in query.args)
        if style == 0:
            return head + f"print(math.comb({n}, {k}))\n"
        return head + (
            f"n, k = {n}, {k}\nprint(fact(n) // (fact(k) * fact(n - k)) if 0 <= k <= n else 0)\n"
        )
    if kind == "digit_sum":
        x = _int_code(query.args[0], style)
        if style == 0:
            return head + f"print(sum(int(c) for c in str({x})))\n"
        return head + f"x, s = {x}, 0\nwhile x:\n    s += x % 10\n    x //= 10\nprint(s)\n"
    if kind == "digit_count":
        x = _int_code(query.args[0], style)
        if style == 0:
            return head + f"print(len(str({x})))\n"
        return head + (
            f"x, c = {x}, 0\nwhile True:\n    c += 1\n    x //= 10\n    if x == 0:\n"
            "        break\nprint(c)\n"
        )
    if kind in ("max_prime_factor", "min_prime_factor"):
        x = _int_code(query.args[0], style)
        pick = "max" if kind == "max_prime_factor" else "min"
        if style == 0:
            return head + (
                f"n = {x}\nfactors = []\np = 2\nwhile p * p <= n:\n    while n % p == 0:\n"
                "        factors.append(p)\n        n //= p\n    p += 1\nif n > 1:\n"
                f"    factors.append(n)\nprint({pick}(factors))\n"
            )
        return (
            head
            + _IS_PRIME[1]
            + (
                f"n = {x}\nfound = []\nd = 2\nm = n\nwhile d * d <= m:\n    if m % d == 0:\n"
                "        found.append(d)\n        m //= d\n    else:\n        d += 1\n"
                f"found.append(m)\nprint({pick}(f for f in found if is_prime(f)))\n"
            )
        )
    if kind == "divisor_count":
        x = _int_code(query.args[0], style)
        if style == 0:
            return head + (
                f"n = {x}\nc = 0\ni = 1\nwhile i * i <= n:\n    if n % i == 0:\n"
                "        c += 1 if i * i == n else 2\n    i += 1\nprint(c)\n"
            )
        return head + (
            f"n = {x}\nc = 1\np = 2\nwhile p * p <= n:\n    e = 0\n    while n % p == 0:\n"
            "        n //= p\n        e += 1\n    c *= e + 1\n    p += 1\nif n > 1:\n    c *= 2\n"
            "print(c)\n"
        )
    if kind == "divisor_sum":
        x, proper = _int_code(query.args[0], style), query.args[1]
        less = f" - {x}" if proper else ""
        if style == 0:
            return head + (
                f"n = {x}\ns = 0\ni = 1\nwhile i * i <= n:\n    if n % i == 0:\n        s += i\n"
                f"        if i * i != n:\n            s += n // i\n    i += 1\nprint(s{less})\n"
            )
        return head + (
            f"n = {x}\ns = 1\np = 2\nm = n\nwhile p * p <= m:\n    t = 1\n    while m % p == 0:\n"
            "        m //= p\n        t = t * p + 1\n    s *= t\n    p += 1\nif m > 1:\n"
            f"    s *= m + 1\nprint(s{less})\n"
        )
    if kind == "is_prime":
        x = _int_code(query.args[0], style)
        return head + _IS_PRIME[style] + f"print('yes' if is_prime({x}) else 'no')\n"
    if kind == "value":
        return head + f"print({_int_code(query.args[0], style)})\n"
    spec = query.spec
    assert spec is not None
    if kind == "nth":
        (k,) = query.args
        if k < 1 or k > 10_000_000:
            raise NoParse("ordinal out of range")
        body = _IS_PRIME[style] + _generator(spec, style)
        if style == 0:
            tail = (
                f"for i, n in enumerate(items(), start=1):\n    if i == {k}:\n        print(n)\n"
                "        break\nelse:\n    print('none')\n"
            )
        else:
            tail = (
                "values = []\nfor n in items():\n    values.append(n)\n"
                f"    if len(values) == {k}:\n        break\n"
                f"print(values[{k} - 1] if len(values) == {k} else 'none')\n"
            )
        return head + body + tail
    if not _bounded(spec):
        raise NoParse("an unbounded set")
    if spec.hi is not None and spec.base == "integers" and spec.hi - (spec.lo or 1) > MAX_RANGE:
        raise NoParse("range too large to enumerate")
    body = _IS_PRIME[style] + _generator(spec, style)
    if kind == "count":
        if style == 0:
            return head + body + "print(sum(1 for _ in items()))\n"
        return head + body + "c = 0\nfor _ in items():\n    c += 1\nprint(c)\n"
    aggregate, mapping = query.args
    expr = {"square": "n * n", "cube": "n ** 3", None: "n", "": "n"}[mapping]
    if aggregate == "sum":
        if style == 0:
            return head + body + f"print(sum({expr} for n in items()))\n"
        return head + body + f"t = 0\nfor n in items():\n    t += {expr}\nprint(t)\n"
    if aggregate == "product":
        if style == 0:
            return head + body + f"print(math.prod({expr} for n in items()))\n"
        return head + body + f"t = 1\nfor n in items():\n    t *= {expr}\nprint(t)\n"
    if aggregate in ("max", "min"):
        if style == 0:
            return head + body + f"print({aggregate}({expr} for n in items()))\n"
        op = ">" if aggregate == "max" else "<"
        return (
            head
            + body
            + (
                f"best = None\nfor n in items():\n    v = {expr}\n"
                f"    if best is None or v {op} best:\n        best = v\nprint(best)\n"
            )
        )
    if aggregate == "mean":
        if style == 0:
            return (
                head
                + body
                + (
                    "from fractions import Fraction\nvalues = [" + expr + " for n in items()]\n"
                    "m = Fraction(sum(values), len(values))\n"
                    "print(m.numerator if m.denominator == 1 else round(float(m), 10))\n"
                )
            )
        return (
            head
            + body
            + (
                f"t = c = 0\nfor n in items():\n    t += {expr}\n    c += 1\n"
                "print(t // c if t % c == 0 else round(t / c, 10))\n"
            )
        )
    raise NoParse(f"unknown aggregate {aggregate}")
