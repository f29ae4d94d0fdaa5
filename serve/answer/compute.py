"""Exact arithmetic from natural-language questions — parsed and computed, never guessed.

The question is rewritten into a Python expression ("12% of 250" → "(12/100)*(250)",
"square root of 144" → "sqrt(144)", "sum of 3, 4 and 5" → "sum(3,4,5)"), parsed with ``ast``
into a whitelist of nodes, and evaluated with exact rationals (``Fraction``).
"""

from __future__ import annotations

import ast
import math
import re
from decimal import Decimal, getcontext
from fractions import Fraction

from serve.answer.base import Answer
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
    (r"\bto the power of\b|\braised to(?: the power of)?\b", "**"),
    (r"\bsquared\b", "**2"),
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
_FUNCTIONS = {"sqrt", "abs", "round", "sum", "mean", "prod", "max", "min", "floor", "ceil"}
_EXPR_CHARS = re.compile(r"[\d\s.+\-*/%()*,a-z_]+")


class ComputeError(ValueError):
    """The text is not an expression we can evaluate exactly."""


def _strip_thousands(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def rewrite(question: str) -> str:
    """Rewrite math phrasing into an expression string (may still contain words)."""
    text = question.lower().replace("$", "").replace("€", "").replace("£", "")
    text = _strip_thousands(text)
    text = re.sub(rf"({_NUM})\s*(?:%|percent)\s+of\s+", r"(\1/100)*", text)
    text = re.sub(rf"({_NUM})\s*(?:%|percent)", r"(\1/100)", text)
    text = re.sub(r"\b(?:the\s+)?square root of\s+", "sqrt ", text)
    text = re.sub(r"\bsqrt\s*(\d+(?:\.\d+)?)", r"sqrt(\1)", text)
    text = re.sub(r"\babsolute value of\s+", "abs ", text)
    for pattern, replacement in _WORD_OPS:
        text = re.sub(pattern, replacement, text)
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


def extract_expression(question: str) -> str:
    """The longest span that parses as an arithmetic expression with at least one operator."""
    text = rewrite(question)
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
    """Answers arithmetic questions exactly; confidence reflects how much of the math it used."""

    name = "compute"

    def answer(self, question: str, observations: list[Observation]) -> Answer | None:
        try:
            expression = extract_expression(question)
            value = evaluate(expression)
        except (ComputeError, SyntaxError, ZeroDivisionError, ValueError, OverflowError):
            return None
        question_numbers = re.findall(r"\d+(?:\.\d+)?", _strip_thousands(question.lower()))
        used_numbers = re.findall(r"\d+(?:\.\d+)?", expression)
        coverage = len(used_numbers) / max(len(question_numbers), 1)
        cue = bool(_CUES.search(question.lower())) or question.strip().endswith(("?", "="))
        confidence = 0.98 if coverage >= 1 and cue else 0.9 if coverage >= 1 else 0.35
        text = format_value(value)
        return Answer(
            text=text,
            confidence=confidence,
            answerer=self.name,
            sources=["computed"],
            data={"expression": expression, "exact": str(value)},
        )
