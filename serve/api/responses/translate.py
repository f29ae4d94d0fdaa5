"""A Responses API request → the :class:`ChatCompletionRequest` the chat pipeline runs.

Each chat message remembers where it came from (``instructions``, ``input[3]``, the stored
conversation), so errors the pipeline raises about ``messages[i]...`` name the client's field.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from deployments.common.errors import BadRequest, ServeError
from serve.api.errors import openai_param
from serve.api.protocol import ChatCompletionRequest
from serve.api.responses.protocol import ResponsesRequest

INPUT_PART_TYPES = ("input_text", "input_image", "input_file", "input_audio")
ITEM_TYPES = ("message", "function_call", "function_call_output")
IGNORED_ITEM_TYPES = ("reasoning",)  # another model's reasoning: nothing to give ours
_MESSAGES_PARAM = re.compile(r"^messages(?:\[(\d+)\]|\.(\d+))")


def _refuse(message: str, param: str, code: str = "invalid_value") -> BadRequest:
    return BadRequest(message, code=code, param=param)


@dataclass
class Conversation:
    """Chat messages (dicts) and, per message, the client field it came from."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)

    def add(self, message: dict[str, Any], origin: str) -> None:
        self.messages.append(message)
        self.origins.append(origin)

    def remap(self, exc: ServeError) -> ServeError:
        """``exc`` with ``messages[i]...`` in its param and message replaced by the origin."""
        match = _MESSAGES_PARAM.match(exc.param or "")
        if not match:
            return exc
        index = int(match.group(1) or match.group(2))
        if index >= len(self.origins):
            return exc
        origin = self.origins[index]
        rest = (
            "" if origin in ("instructions", "previous_response_id") else exc.param[match.end() :]
        )
        rest = re.sub(r"\.(\d+)", r"[\1]", rest)
        param = origin + rest
        exc.message = exc.message.replace(exc.param, param)
        exc.param = param
        return exc


# ------------------------------------------------------------------ content parts
def _part(part: Any, param: str) -> dict[str, Any]:
    """One input content part as a chat content part."""
    if not isinstance(part, dict):
        raise _refuse(f"{param} must be an object", param)
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": _string(part.get("text"), f"{param}.text")}
    if kind == "refusal":
        return {"type": "text", "text": _string(part.get("refusal"), f"{param}.refusal")}
    if kind == "input_image":
        url = part.get("image_url")
        if isinstance(url, dict):  # the chat shape, sent by some wrappers
            url = url.get("url")
        if not url:
            raise _refuse(
                f"{param}: input_image needs image_url (a data: or https URL); file_id is not "
                "supported here (no Files API)",
                f"{param}.image_url",
                "unsupported_parameter",
            )
        image = {"url": _string(url, f"{param}.image_url")}
        if part.get("detail"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        data = part.get("file_data")
        if not data:
            what = "file_url" if part.get("file_url") else "file_id"
            raise _refuse(
                f"{param}: input_file needs file_data (a data: URL of a PDF); {what} is not "
                "supported here",
                f"{param}.file_data",
                "unsupported_parameter",
            )
        file = {"file_data": _string(data, f"{param}.file_data")}
        if part.get("filename"):
            file["filename"] = str(part["filename"])
        return {"type": "file", "file": file}
    if kind == "input_audio":
        audio = part.get("input_audio")
        if not isinstance(audio, dict):
            raise _refuse(f"{param}.input_audio must be an object (data, format)", param)
        return {"type": "input_audio", "input_audio": audio}
    raise _refuse(
        f"Invalid value: {kind!r}. Supported content part types are: "
        f"{', '.join(INPUT_PART_TYPES)}.",
        f"{param}.type",
    )


def _string(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise _refuse(f"{param} must be a string", param)
    return value


def _content(content: Any, param: str, *, role: str) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise _refuse(f"{param} must be a string or a list of content parts", param)
    parts = [_part(p, f"{param}[{j}]") for j, p in enumerate(content)]
    if role == "assistant":  # earlier answers: their text
        return "".join(p["text"] for p in parts if p["type"] == "text")
    return parts


def _tool_output(output: Any, param: str) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        texts = []
        for j, part in enumerate(output):
            converted = _part(part, f"{param}[{j}]")
            if converted["type"] != "text":
                raise _refuse(
                    f"{param}[{j}]: only text tool outputs are supported",
                    f"{param}[{j}].type",
                    "unsupported_parameter",
                )
            texts.append(converted["text"])
        return "\n".join(texts)
    raise _refuse(f"{param} must be a string or a list of input_text parts", param)


# ------------------------------------------------------------------------- items
def add_items(conversation: Conversation, items: str | list[dict[str, Any]]) -> None:
    """Append the request's ``input`` to ``conversation`` as chat messages."""
    if isinstance(items, str):
        conversation.add({"role": "user", "content": items}, "input")
        return
    for i, item in enumerate(items):
        param = f"input[{i}]"
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind in IGNORED_ITEM_TYPES:
            continue
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "system", "developer", "assistant"):
                raise _refuse(
                    f"{param}.role must be user, assistant, system or developer; got {role!r}",
                    f"{param}.role",
                )
            content = _content(item.get("content"), f"{param}.content", role=role)
            conversation.add({"role": role, "content": content}, param)
        elif kind == "function_call":
            call = {
                "id": _string(item.get("call_id"), f"{param}.call_id"),
                "type": "function",
                "function": {
                    "name": _string(item.get("name"), f"{param}.name"),
                    "arguments": item.get("arguments") or "{}",
                },
            }
            last = conversation.messages[-1] if conversation.messages else None
            if (
                last is not None
                and last["role"] == "assistant"
                and conversation.origins[-1] == f"input[{i - 1}]"
            ):
                last.setdefault("tool_calls", []).append(call)  # one turn, several calls
            else:
                conversation.add(
                    {"role": "assistant", "content": None, "tool_calls": [call]}, param
                )
        elif kind == "function_call_output":
            conversation.add(
                {
                    "role": "tool",
                    "tool_call_id": _string(item.get("call_id"), f"{param}.call_id"),
                    "content": _tool_output(item.get("output"), f"{param}.output"),
                },
                param,
            )
        else:
            raise _refuse(
                f"Invalid value: {kind!r}. Supported input item types are: "
                f"{', '.join(ITEM_TYPES)}.",
                f"{param}.type",
            )


# ------------------------------------------------------------------ other fields
def tools(body: ResponsesRequest) -> list[dict[str, Any]] | None:
    if body.tools is None:
        return None
    converted = []
    for i, tool in enumerate(body.tools):
        if tool.get("type") != "function":
            raise _refuse(
                f"tools[{i}].type {tool.get('type')!r} is not supported here; only function "
                "tools are",
                f"tools[{i}].type",
                "unsupported_parameter",
            )
        function = {
            k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool
        }
        converted.append({"type": "function", "function": function})
    return converted


def tool_choice(body: ResponsesRequest) -> str | dict[str, Any] | None:
    choice = body.tool_choice
    if choice is None or isinstance(choice, str):
        return choice
    if choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise _refuse(
        "tool_choice must be none, auto, required or {type: function, name}",
        "tool_choice",
        "unsupported_parameter",
    )


def response_format(body: ResponsesRequest) -> dict[str, Any] | None:
    fmt = body.text.format if body.text else None
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return {"type": "json_object"}
    if fmt.schema_ is None:
        raise _refuse("text.format json_schema needs schema", "text.format.schema")
    schema = {"name": fmt.name or "response", "schema": fmt.schema_}
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    if fmt.description:
        schema["description"] = fmt.description
    return {"type": "json_schema", "json_schema": schema}


def refuse_unsupported(body: ResponsesRequest) -> None:
    """Fields this server cannot honour get a 400 rather than a silently different answer."""
    if body.background:
        raise _refuse(
            "background responses are not supported", "background", "unsupported_parameter"
        )
    if body.conversation is not None:
        raise _refuse(
            "conversation objects are not supported; chain with previous_response_id",
            "conversation",
            "unsupported_parameter",
        )
    if body.prompt is not None:
        raise _refuse("prompt templates are not supported", "prompt", "unsupported_parameter")


def chat_request(
    body: ResponsesRequest, history: list[dict[str, Any]] | None
) -> tuple[ChatCompletionRequest, Conversation]:
    """The chat request for ``body`` after the stored conversation ``history``."""
    refuse_unsupported(body)
    if body.input is None and history is None:
        raise _refuse("input is required", "input", "missing_required_parameter")
    conversation = Conversation()
    if body.instructions:
        conversation.add({"role": "system", "content": body.instructions}, "instructions")
    for message in copy.deepcopy(history or []):
        conversation.add(message, "previous_response_id")
    if body.input is not None:
        add_items(conversation, body.input)
    fields: dict[str, Any] = {
        "model": body.model,
        "messages": conversation.messages,
        "max_completion_tokens": body.max_output_tokens,
        "temperature": body.temperature,
        "top_p": body.top_p,
        "tools": tools(body),
        "tool_choice": tool_choice(body),
        "parallel_tool_calls": body.parallel_tool_calls,
        "response_format": response_format(body),
        "user": body.user,
    }
    if body.wants_logprobs:
        fields.update(logprobs=True, top_logprobs=body.top_logprobs or 0)
    try:
        chat = ChatCompletionRequest.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = openai_param(first.get("loc", ()))
        error = BadRequest(
            f"{param}: {first.get('msg')}" if param else str(first.get("msg")),
            code="invalid_value",
            param=param,
        )
        raise conversation.remap(_tool_param(error)) from None
    return chat, conversation


def _tool_param(exc: BadRequest) -> BadRequest:
    """Chat's ``tools[i].function.x`` is ``tools[i].x`` in the Responses API."""
    if exc.param and exc.param.startswith("tools[") and ".function." in exc.param:
        param = exc.param.replace(".function.", ".", 1)
        exc.message = exc.message.replace(exc.param, param)
        exc.param = param
    if exc.param == "tool_choice.function.name":
        exc.param = "tool_choice.name"
    return exc
