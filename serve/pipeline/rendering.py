"""A small-stack answer, rendered as the request asks: stop sequences, max_tokens, n, JSON.

When the request asks for something only the LLM can give (log-probabilities, a tool call,
a JSON shape the answer does not fill by itself) :func:`needs_llm` says why, and the answer
goes to the LLM as evidence instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serve.answer.base import Answer
from serve.api.protocol import ChatCompletionRequest

_NUMBER = re.compile(r"^[^\d-]*(-?[\d,]*\.?\d+)\s*[^\d]*$")


@dataclass
class Rendered:
    """The text every choice carries, and why it finished."""

    text: str
    finish_reason: str  # stop | length
    completion_tokens: int


def needs_llm(body: ChatCompletionRequest, answer: Answer) -> str | None:
    """Why a confident small-stack answer still needs the LLM (None: it does not)."""
    if body.logprobs:
        return "logprobs come from the LLM"
    if body.must_call_tool:
        return "tool_choice asks for a tool call"
    fmt = body.response_format
    if fmt is not None and fmt.type == "json_object":
        return "json_object output is written by the LLM (the answer is its evidence)"
    if fmt is not None and fmt.type == "json_schema" and schema_fill(fmt, answer) is None:
        return "the json_schema shape needs the LLM's structured decoding"
    return None


def _field(schema: dict[str, Any]) -> tuple[str, str] | None:
    """The one property an object schema asks for, with its JSON type."""
    if schema.get("type") != "object":
        return None
    properties = schema.get("properties") or {}
    required = schema.get("required") or list(properties)
    if len(required) != 1 or required[0] not in properties or len(properties) != 1:
        return None
    kind = properties[required[0]].get("type")
    return (required[0], kind) if kind in ("string", "number", "integer") else None


def schema_fill(fmt: Any, answer: Answer) -> str | None:
    """The answer as the schema's one field, when the schema is that simple (else None)."""
    schema = (fmt.json_schema or {}).get("schema") or {}
    found = _field(schema)
    if found is None:
        return None
    name, kind = found
    value: Any = answer.text
    if kind in ("number", "integer"):
        match = _NUMBER.match(answer.text.strip())
        if match is None:
            return None
        number = float(match.group(1).replace(",", ""))
        if kind == "integer":
            if not number.is_integer():
                return None
            number = int(number)
        value = number
    return json.dumps({name: value})


def render(body: ChatCompletionRequest, answer: Answer, count: Callable[[str], int]) -> Rendered:
    """Apply the response format, stop sequences and the token limit to the answer."""
    text = answer.text
    fmt = body.response_format
    if fmt is not None and fmt.type == "json_schema":
        text = schema_fill(fmt, answer) or text
    finish = "stop"
    cut = [text.find(s) for s in body.stop_list() if s and s in text]
    if cut:
        text = text[: min(cut)]
    limit = body.token_limit()
    tokens = count(text) if text else 0
    if limit is not None and tokens > limit:
        text = _truncate(text, limit, count)
        tokens, finish = count(text) if text else 0, "length"
    return Rendered(text, finish, tokens)


def _truncate(text: str, limit: int, count: Callable[[str], int]) -> str:
    """The longest word-boundary prefix of ``text`` within ``limit`` tokens."""
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if count(" ".join(words[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])
