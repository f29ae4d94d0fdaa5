"""A fake LLM deployment that honours what /v1/completions and /v1/responses forward:
``n``, ``max_tokens`` (finish ``length``), ``logprobs``/``top_logprobs``, ``stop``, tools."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.unit.fakes import FakeLLMHandle, FakeStreamResponse


def token_entry(token: str, logprob: float, alternatives: int) -> dict[str, Any]:
    """A chat-style logprob entry, as the LLM protocol carries it."""
    tops = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}]
    tops += [
        {"token": f" alt{k}", "logprob": logprob - k - 1, "bytes": list(f" alt{k}".encode())}
        for k in range(max(0, alternatives - 1))
    ]
    return {"token": token, "logprob": logprob, "bytes": list(token.encode()), "top_logprobs": tops}


class ScriptedLLM(FakeLLMHandle):
    """Replies ``reply(prompt_or_last_message)`` word by word for each of ``n`` choices.

    ``tool_call`` (name, arguments) is returned instead of text when the request has tools.
    """

    def __init__(
        self,
        reply: Callable[[str], str] = lambda prompt: f"echo of {prompt}",
        *,
        tool_call: tuple[str, dict[str, Any]] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        super().__init__("unused", delay_s=delay_s)
        self.reply = reply
        self.tool_call = tool_call
        self.fail_after: int | None = None  # chunks before an engine error

    def _generate(self, request: dict[str, Any]) -> FakeStreamResponse:
        self.requests.append(request)
        source = request.get("prompt")
        if source is None:
            source = str((request.get("messages") or [{}])[-1].get("content") or "")
        n, limit = request.get("n", 1), request.get("max_tokens", 256)
        alternatives = request.get("top_logprobs") or 0
        chunks: list[dict[str, Any]] = []
        completion = 0
        for index in range(n):
            if request.get("tools") and self.tool_call:
                name, arguments = self.tool_call
                call = {
                    "index": 0,
                    "id": f"call_{index}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                chunks.append(
                    {
                        "kind": "delta",
                        "index": index,
                        "tool_calls": [call],
                        "finish_reason": "tool_calls",
                    }
                )
                continue
            words = self.reply(source).split(" ")
            for position, word in enumerate(words[:limit]):
                text = word if position == 0 else " " + word
                chunk = {"kind": "delta", "index": index, "text": text}
                if request.get("logprobs"):
                    chunk["logprobs"] = [token_entry(text, -0.25 - position / 10, alternatives)]
                chunks.append(chunk)
                completion += 1
            finish = "length" if len(words) > limit else "stop"
            chunks.append({"kind": "delta", "index": index, "text": "", "finish_reason": finish})
        if self.fail_after is not None:
            chunks = chunks[: self.fail_after]
            chunks.append({"kind": "error", "error": {"message": "engine died", "code": 500}})
        else:
            usage = {"prompt_tokens": len(source.split()), "completion_tokens": completion}
            chunks.append({"kind": "usage", "usage": usage})
        response = FakeStreamResponse(chunks, self.delay_s)
        self.responses.append(response)
        return response
