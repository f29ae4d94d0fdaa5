"""Server-sent events: the one place the ``data:`` framing is written."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from deployments.common.errors import ServeError

DONE = "data: [DONE]\n\n"


def event(payload: BaseModel | dict[str, Any]) -> str:
    """One ``data:`` event of a JSON object (pydantic models without their None fields)."""
    if isinstance(payload, BaseModel):
        return f"data: {payload.model_dump_json(exclude_none=True)}\n\n"
    return f"data: {json.dumps(payload)}\n\n"


def error_event(exc: ServeError) -> str:
    """An error mid-stream, in the OpenAI error shape (the HTTP status is already sent)."""
    return event({"error": exc.to_dict()})


HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
