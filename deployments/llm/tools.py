"""Tool calling on any model: the request's tools as a JSON schema the output must follow.

vLLM calls tools natively when the engine has a tool-call parser for the model
(``engine_kwargs: {enable_auto_tool_choice: true, tool_call_parser: hermes}``, the gpu
profile). Without one (the small local models) the same OpenAI semantics come from structured
outputs: the tools are described to the model, the output is constrained to either a reply or
tool calls of the given functions (``auto``), tool calls only (``required``) or one named
function, and the JSON is turned back into OpenAI ``tool_calls``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

CONTENT_KEY, CALLS_KEY = "content", "tool_calls"


def _functions(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t["function"] for t in tools if t.get("type", "function") == "function"]


def chosen_functions(tools: list[dict[str, Any]], tool_choice: Any) -> list[dict[str, Any]]:
    """The functions the output may call under ``tool_choice``."""
    functions = _functions(tools)
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name")
        return [f for f in functions if f.get("name") == name]
    return functions


def output_schema(tools: list[dict[str, Any]], tool_choice: Any, parallel: bool | None) -> dict:
    """The JSON schema the model's whole output must match."""
    calls = [
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": [f["name"]]},
                "arguments": f.get("parameters") or {"type": "object"},
            },
            "required": ["name", "arguments"],
        }
        for f in chosen_functions(tools, tool_choice)
    ]
    array: dict[str, Any] = {"type": "array", "items": {"anyOf": calls}, "minItems": 1}
    if parallel is False or isinstance(tool_choice, dict):
        array["maxItems"] = 1
    call_object = {"type": "object", "properties": {CALLS_KEY: array}, "required": [CALLS_KEY]}
    if tool_choice in (None, "auto"):
        reply = {
            "type": "object",
            "properties": {CONTENT_KEY: {"type": "string"}},
            "required": [CONTENT_KEY],
        }
        return {"anyOf": [reply, call_object]}
    return call_object


def instructions(tools: list[dict[str, Any]], tool_choice: Any) -> str:
    """What the model is told about its tools (it cannot see the schema)."""
    listing = [
        {k: f[k] for k in ("name", "description", "parameters") if k in f}
        for f in chosen_functions(tools, tool_choice)
    ]
    lines = ["You can call these functions (JSON Schema parameters):", json.dumps(listing)]
    call = '{"tool_calls": [{"name": "<function>", "arguments": {...}}]}'
    if tool_choice in (None, "auto"):
        lines.append(
            f"To call a function, reply only with {call}. "
            'Otherwise reply only with {"content": "<your answer>"}.'
        )
    else:
        lines.append(f"Reply only with {call}.")
    return "\n".join(lines)


def plain_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls and tool results as plain text, for chat templates without tool roles."""
    plain = []
    for message in messages:
        role, content = message.get("role"), message.get("content") or ""
        if role == "assistant" and message.get("tool_calls"):
            called = [
                {"name": c["function"]["name"], "arguments": c["function"].get("arguments")}
                for c in message["tool_calls"]
            ]
            plain.append({"role": "assistant", "content": json.dumps({CALLS_KEY: called})})
        elif role == "tool":
            plain.append(
                {"role": "user", "content": f"Result of {message.get('name') or 'the tool'}"
                 f" (call {message.get('tool_call_id', '')}): {content}"}
            )  # fmt: skip
        else:
            plain.append({"role": role, "content": content})
    return plain


def parse_output(text: str) -> tuple[str | None, list[dict[str, Any]] | None]:
    """``(content, tool_calls)`` from the constrained output (content when it is not JSON)."""
    try:
        data = json.loads(text)
    except ValueError:
        return text, None
    if isinstance(data, dict) and isinstance(data.get(CALLS_KEY), list):
        calls = []
        for index, call in enumerate(data[CALLS_KEY]):
            arguments = call.get("arguments", {})
            calls.append(
                {
                    "index": index,
                    "id": f"call_{uuid.uuid4().hex[:24]}",
                    "type": "function",
                    "function": {
                        "name": call.get("name", ""),
                        "arguments": arguments
                        if isinstance(arguments, str)
                        else json.dumps(arguments),
                    },
                }
            )
        return None, calls
    if isinstance(data, dict) and isinstance(data.get(CONTENT_KEY), str):
        return data[CONTENT_KEY], None
    return text, None
