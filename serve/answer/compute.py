"""Exact arithmetic from natural-language questions — parsed and computed, never guessed.

The question is rewritten into a Python expression ("12% of 250" → "(12/100)*(250)",
"square root of 144" → "sqrt(144)", "sum of 3, 4 and 5" → "sum(3,4,5)", "seven times six"
→ "7*6"), parsed with ``ast`` into a whitelist of nodes, and evaluated with exact rationals
(``Fraction``). An explicit rounding request ("rounded to two decimal places", "to the nearest
whole number", "to 3 significant figures") is honoured, half away from zero, with exactly the
requested places. The answer is confident only when the expression, the rounding clause and
filler words ("what is", "calculate") cover the whole question: "the sum of the digits of 2 to
the power of 90" is not "2 to the power of 90".
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, getcontext
from fractions import Fraction

from serve.answer.base import Answer
from serve.answer.text import words_to_numbers
from serve.context.observations import Observation

MAX_EXPONENT = 4096
MAX_RESULT_DIGITS = 5000
DISPLAY_PLACES = 10

_NUM = r"\d+(?:\.\d+)?"
_WORD_OPS = [
    (r"\bmultiplied by\b", "*"),
    (r"\btimes\b", "*"),
    (r"\bdivided by\b", "/"),
    (r"\bover\b", "/"),
    (r"\bplus\b", "+"),
    (r"\bminus\b", "-"),
    (r"\bmodulo\b|\bmod\b", "%"),
    (r"\b(?:raised )?to the (\d+)(?:st|nd|rd|th) power\b", r"**\1"),
    (r"\bto the power of\b|\braised to(?: the power of)?\b", "**"),
    (r"\bsquared\b", "**2"),
    (r"\btwice\b|\bdouble\b", "2*"),
    (r"\bhalf of\b", "(1/2)*"),
    (r"\b(?:a|one) third of\b", "(1/3)*"),
    (r"\b(?:a|one) quarter of\b", "(1/4)*"),
    (r"\bcubed\b", "**3"),
    (r"[×x](?=\s*[\d(])", "*"),
    (r"÷", "/"),
    (r"\^", "**"),
    (r"−", "-"),
]
_AGGREGATES = {
    "sum": "sum",
    "total": "sum",
    "average": "mean",
    "mean": "mean",
    "product": "prod",
    "maximum": "max",
    "max": "max",
    "minimum": "min",
    "min": "min",
}
_CUES = re.compile(
    r"\b(what is|what's|whats|calculate|compute|evaluate|how much is|result of|solve|equals?)\b"
)
_FUNCTIONS = {
    "sqrt", "cbrt", "abs", "round", "sum", "mean", "prod", "max", "min", "floor", "ceil",
}  # fmt: skip
# Words that may stand around the expression without changing what is asked.
_FILLERS = frozenset(
    """what whats what's is are the of value calculate compute evaluate how much result answer
    give tell me us please find solve equals equal equal to do you get when exactly work out
    it that this a an then and number figure quick can could would will i need know let
    determine""".split()
)
_EXPR_CHARS = re.compile(r"[\d\s.+\-*/%()*,a-z_]+")


class ComputeError(ValueError):
    """The text is not an expression we can evaluate exactly."""


def _strip_thousands(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def rewrite(question: str) -> str:
    """Rewrite math phrasing into an expression string (may still contain words)."""
    text = question.lower().replace("$", "").replace("€", "").replace("£", "")
    text = words_to_numbers(text)
    text = _strip_thousands(text)
    text = re.sub(rf"({_NUM})\s*(?:%|percent)\s+of\s+", r"(\1/100)*", text)
    text = re.sub(rf"({_NUM})\s*(?:%|percent)", r"(\1/100)", text)
    text = re.sub(
        r"\bremainder (?:when|of) (.+?) (?:is )?divided by ([\d.]+)", r"(\1) % (\2)", text
    )
    text = re.sub(r"\b(?:the\s+)?square root of\s+", "sqrt ", text)
    text = re.sub(r"\bsqrt\s*(\d+(?:\.\d+)?)", r"sqrt(\1)", text)
    text = re.sub(r"\b(?:the\s+)?cube root of\s+(\d+(?:\.\d+)?)", r"cbrt(\1)", text)
    text = re.sub(r"\babsolute value of\s+", "abs ", text)
    for pattern, replacement in _WORD_OPS:
        text = re.sub(pattern, replacement, text)
    # "2 ** 61, - 1": a comma before an operator is a pause, not a separator
    text = re.sub(r",\s*(?=(?:\*\*|[-+*/%])\s*[\d(])", " ", text)
    agg = re.search(
        r"\b(sum|total|average|mean|product|maximum|max|minimum|min)\s+of\s+"
        rf"((?:[-(]?\s*{_NUM}\s*\)?\s*(?:,|and|&)?\s*)+)",
        text,
    )
    if agg:
        numbers = re.findall(rf"-?{_NUM}", agg.group(2))
        if len(numbers) >= 2:
            call = f"{_AGGREGATES[agg.group(1)]}({','.join(numbers)})"
            text = text[: agg.start()] + call + text[agg.end() :]
    return text


_ROUNDING = re.compile(
    r"[,;.]?\s*(?:and\s+)?(?:then\s+)?(?:please\s+)?"
    r"(?:(?:round(?:ed)?|give (?:the answer|it)|answer|express(?:ed)?(?: it)?)"
    r"(?:\s+(?:it|the (?:answer|result)|off|(?P<dir>up|down)))*\s+|(?:correct|accurate)\s+)?"
    r"(?:to|in)\s+(?:the\s+nearest\s+(?P<nearest>whole number|whole|integer|unit|tenth|"
    r"hundredth|thousandth|ten|hundred|thousand|cent|dollar)\b"
    r"|(?P<places>\d+)\s*(?:decimal places?|decimals?|d\.?\s?p\b\.?|places?\b|"
    r"digits? after the (?:decimal )?point)"
    r"|(?P<sig>\d+)\s*(?:significant (?:figures?|digits?)|sig\.?\s?figs?|s\.?\s?f\b\.?))"
)
_NEAREST = {
    "whole number": 0, "whole": 0, "integer": 0, "unit": 0, "dollar": 0, "tenth": 1,
    "hundredth": 2, "cent": 2, "thousandth": 3, "ten": -1, "hundred": -2, "thousand": -3,
}  # fmt: skip
_LEADING_ROUND = re.compile(r"^\W*(?:please\s+)?round(?:ed)?(?:\s+off)?\b")


@dataclass(frozen=True)
class Rounding:
    """An explicit rounding request: decimal places (negative: tens, hundreds ...) or
    significant figures; ``mode`` is half-up (away from zero), up (ceiling) or down (floor)."""

    places: int | None = None
    significant: int | None = None
    mode: str = "half_up"

    def apply(self, value: Fraction) -> str:
        getcontext().prec = 80
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        places = self.places
        if self.significant is not None:
            places = self.significant - 1 - (exact.adjusted() if exact else 0)
        places = 0 if places is None else places
        rounding = {"half_up": ROUND_HALF_UP, "up": "ROUND_CEILING", "down": "ROUND_FLOOR"}
        mode = rounding[self.mode]
        if places >= 0:
            return f"{exact.quantize(Decimal(1).scaleb(-places), rounding=mode):f}"
        scaled = exact.scaleb(places).quantize(Decimal(1), rounding=mode)
        return str(int(scaled.scaleb(-places)))


def find_rounding(text: str) -> tuple[Rounding | None, str]:
    """The rounding request in rewritten ``text`` and the text without it."""
    match = _ROUNDING.search(text)
    if not match:
        return None, text
    mode = {"up": "up", "down": "down"}.get(match.group("dir") or "", "half_up")
    if match.group("nearest"):
        rounding = Rounding(places=_NEAREST[match.group("nearest")], mode=mode)
    elif match.group("places"):
        rounding = Rounding(places=int(match.group("places")), mode=mode)
    else:
        rounding = Rounding(significant=max(1, int(match.group("sig"))), mode=mode)
    rest = text[: match.start()] + " " + text[match.end() :]
    return rounding, _LEADING_ROUND.sub(" ", rest)


@dataclass(frozen=True)
class Parsed:
    """A question read as arithmetic: the expression, a rounding request, and what is left."""

    expression: str
    rounding: Rounding | None
    leftover: list[str]  # words and numbers of the question outside expression and fillers


def parse_question(question: str) -> Parsed:
    """The question as an expression (raises ComputeError when there is none)."""
    rounding, text = find_rounding(rewrite(question))
    expression = _longest_expression(text)
    position = text.find(expression)
    rest = text[:position] + " " + text[position + len(expression) :]
    tokens = re.findall(r"[a-z]+|\d+(?:\.\d+)?", rest)
    leftover = [t for t in tokens if t not in _FILLERS and t != "s"]
    return Parsed(expression, rounding, leftover)


def extract_expression(question: str) -> str:
    """The longest span that parses as an arithmetic expression with at least one operator."""
    return _longest_expression(find_rounding(rewrite(question))[1])


def _longest_expression(text: str) -> str:
    best = ""
    for match in _EXPR_CHARS.finditer(text):
        span = match.group(0)
        # Trim words that are not function names from both ends.
        words = re.findall(r"[a-z_]+", span)
        if any(w not in _FUNCTIONS for w in words):
            for piece in re.split(r"\b(?!(?:" + "|".join(_FUNCTIONS) + r")\b)[a-z_]+\b", span):
                piece = piece.strip(" ,.")
                if len(piece) > len(best) and _is_expression(piece):
                    best = piece
            continue
        span = span.strip(" ,.")
        if len(span) > len(best) and _is_expression(span):
            best = span
    if not best:
        raise ComputeError("no arithmetic expression found")
    return best


def _is_expression(text: str) -> bool:
    if not re.search(r"\d", text):
        return False
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    has_op = any(isinstance(n, (ast.BinOp, ast.Call)) for n in ast.walk(tree))
    return has_op and _allowed(tree)


def _allowed(tree: ast.AST) -> bool:
    allowed = (
        ast.Expression,
        ast.BinOp,
        ast.UnaryOp,
        ast.Constant,
        ast.Call,
        ast.Name,
        ast.Load,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.FloorDiv,
        ast.Mod,
        ast.Pow,
        ast.USub,
        ast.UAdd,
    )
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            return False
        if isinstance(node, ast.Name) and node.id not in _FUNCTIONS:
            return False
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            return False
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            return False
    return True


def _to_fraction(value: int | float) -> Fraction:
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _sqrt(x: Fraction) -> Fraction:
    if x < 0:
        raise ComputeError("square root of a negative number")
    num, den = math.isqrt(x.numerator), math.isqrt(x.denominator)
    if num * num == x.numerator and den * den == x.denominator:
        return Fraction(num, den)
    getcontext().prec = 40
    root = (Decimal(x.numerator) / Decimal(x.denominator)).sqrt()
    return Fraction(root)


def _cbrt(x: Fraction) -> Fraction:
    sign = -1 if x < 0 else 1
    x = abs(x)
    roots = []
    for part in (x.numerator, x.denominator):
        root = round(part ** (1 / 3))
        exact = next((r for r in (root - 1, root, root + 1) if r >= 0 and r**3 == part), None)
        roots.append(exact)
    if None not in roots:
        return sign * Fraction(roots[0], roots[1])
    getcontext().prec = 40
    value = Decimal(x.numerator) / Decimal(x.denominator)
    return sign * Fraction(value ** (Decimal(1) / Decimal(3)))


def _call(name: str, args: list[Fraction]) -> Fraction:
    if name in ("sum", "mean", "prod", "max", "min") and not args:
        raise ComputeError(f"{name} needs arguments")
    if name == "sum":
        return sum(args, Fraction(0))
    if name == "mean":
        return sum(args, Fraction(0)) / len(args)
    if name == "prod":
        result = Fraction(1)
        for arg in args:
            result *= arg
        return result
    if name == "max":
        return max(args)
    if name == "min":
        return min(args)
    if len(args) != 1 and name != "round":
        raise ComputeError(f"{name} takes one argument")
    x = args[0]
    if name == "sqrt":
        return _sqrt(x)
    if name == "cbrt":
        return _cbrt(x)
    if name == "abs":
        return abs(x)
    if name == "floor":
        return Fraction(math.floor(x))
    if name == "ceil":
        return Fraction(math.ceil(x))
    places = int(args[1]) if len(args) > 1 else 0
    return Fraction(round(Decimal(x.numerator) / Decimal(x.denominator), places))


def _eval(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant):
        return _to_fraction(node.value)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        return _call(node.func.id, [_eval(a) for a in node.args])  # type: ignore[attr-defined]
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left), _eval(node.right)
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)) and right == 0:
            raise ComputeError("division by zero")
        if isinstance(op, ast.Div):
            return left / right
        if isinstance(op, ast.FloorDiv):
            return Fraction(left // right)
        if isinstance(op, ast.Mod):
            return left % right
        if isinstance(op, ast.Pow):
            if right.denominator != 1 or abs(right) > MAX_EXPONENT:
                raise ComputeError("exponent must be an integer of moderate size")
            if left != 0 and abs(right) * math.log10(max(abs(left), 2)) > MAX_RESULT_DIGITS:
                raise ComputeError("result too large to print exactly")
            return left ** int(right)
    raise ComputeError(f"unsupported syntax: {type(node).__name__}")


def evaluate(expression: str) -> Fraction:
    """Exact value of a whitelisted arithmetic expression."""
    tree = ast.parse(expression, mode="eval")
    if not _allowed(tree):
        raise ComputeError("expression uses something other than arithmetic")
    return _eval(tree)


def format_value(value: Fraction) -> str:
    """Integers exactly; other values as decimals (up to 10 places, trailing zeros cut)."""
    if value.denominator == 1:
        return str(value.numerator)
    getcontext().prec = 60
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    text = f"{round(decimal, DISPLAY_PLACES):f}".rstrip("0").rstrip(".")
    return text


class ComputeAnswerer:
    """Answers arithmetic questions exactly; confident only when the parse covers the question.

    Confidence: 0.98 when nothing but fillers is left and the question asks ("what is",
    "calculate", "?"); 0.9 without such a cue; 0.35 when other words or numbers are left
    ("the sum of the *digits* of ...", "I have 3 cats": another kind of question).
    """

    name = "compute"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        try:
            parsed = parse_question(question)
            value = evaluate(parsed.expression)
        except (ComputeError, SyntaxError, ZeroDivisionError, ValueError, OverflowError):
            return None
        cue = bool(_CUES.search(question.lower())) or question.strip().endswith(("?", "="))
        covered = not parsed.leftover
        confidence = 0.98 if covered and cue else 0.9 if covered else 0.35
        text = parsed.rounding.apply(value) if parsed.rounding else format_value(value)
        data = {"expression": parsed.expression, "exact": str(value)}
        if parsed.rounding:
            data["rounding"] = parsed.rounding.__dict__.copy()
        if parsed.leftover:
            data["leftover"] = parsed.leftover[:12]
        return Answer(
            text=text,
            confidence=confidence,
            answerer=self.name,
            sources=["computed"],
            data=data,
        )
