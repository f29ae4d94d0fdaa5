"""Gateway-specific errors (policy refusals, format failures) and the refusal renderings."""

from __future__ import annotations

import time
import uuid
from typing import Any

from deployments.common.errors import BadRequest, UpstreamError


class ResponseFormatViolation(UpstreamError):
    """The answer still broke ``response_format`` after the allowed retries."""

    status, type, code = 502, "upstream_error", "response_format_violation"


class PolicyRefusal(BadRequest):
    """The input guard refused the request.

    Raised as an ``ServeError`` it renders as HTTP 400 ``content_policy_violation``. When
    ``as_message`` is true (``input_guard.refuse_with: message``), the router should catch it
    and return :meth:`completion` (or :meth:`sse_events` when streaming) with HTTP 200.
    """

    code = "content_policy_violation"

    def __init__(
        self, message: str, *, refusal: str, categories: list[str], as_message: bool
    ) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.categories = categories
        self.as_message = as_message

    def completion(self, model: str, request_id: str | None = None) -> dict[str, Any]:
        """A ``chat.completion`` whose assistant message is a refusal (OpenAI shape)."""
        return refusal_completion(self.refusal, model, request_id)

    def sse_events(self, model: str, request_id: str | None = None) -> list[str]:
        """The same refusal as SSE ``data:`` lines, ``[DONE]`` included."""
        return refusal_sse_events(self.refusal, model, request_id)


def _completion_id(request_id: str | None) -> str:
    return f"chatcmpl-{request_id or uuid.uuid4().hex}"


def refusal_completion(refusal: str, model: str, request_id: str | None = None) -> dict[str, Any]:
    """OpenAI's refusal shape: ``content`` null, ``refusal`` set, finish_reason content_filter."""
    return {
        "id": _completion_id(request_id),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": refusal},
                "finish_reason": "content_filter",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def refusal_sse_events(refusal: str, model: str, request_id: str | None = None) -> list[str]:
    from serve.api import sse

    base = {
        "id": _completion_id(request_id),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    deltas = [
        ({"role": "assistant", "content": None, "refusal": ""}, None),
        ({"refusal": refusal}, None),
        ({}, "content_filter"),
    ]
    events = [
        sse.event(
            {**base, "choices": [{"index": 0, "delta": d, "finish_reason": f, "logprobs": None}]}
        )
        for d, f in deltas
    ]
    events.append(sse.DONE)
    return events
