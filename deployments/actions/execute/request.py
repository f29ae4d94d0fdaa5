"""Validation of an execute request: bad input becomes a clear 400/413, never a crash."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from deployments.actions.execute.config import ExecuteSettings
from deployments.common.errors import InputTooLarge, MalformedInput


@dataclass(frozen=True)
class RunRequest:
    """A validated request: UTF-8 code, optional stdin bytes, timeout within the cap."""

    code: str
    stdin: bytes | None
    timeout_s: float


def _text(value: Any, field: str) -> str:
    """A str (or UTF-8 bytes) that encodes as UTF-8."""
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedInput(f"{field} is not valid UTF-8 ({exc.reason})") from None
    if not isinstance(value, str):
        raise MalformedInput(f"{field} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedInput(f"{field} is not valid UTF-8 (lone surrogate)") from None
    return value


def _size(text: str, field: str, limit: int) -> bytes:
    data = text.encode("utf-8")
    if len(data) > limit:
        raise InputTooLarge(f"{field} is {len(data)} bytes; the limit is {limit} bytes")
    return data


def parse_request(request: Any, settings: ExecuteSettings) -> RunRequest:
    """Check ``{"code", "stdin", "timeout_s"}`` against the configured limits."""
    if not isinstance(request, dict):
        raise MalformedInput("request must be an object with a 'code' string")
    code = _text(request.get("code"), "code")
    if not code.strip():
        raise MalformedInput("code is empty")
    if "\x00" in code:
        raise MalformedInput("code contains a NUL byte")
    _size(code, "code", settings.max_code_bytes)
    stdin: bytes | None = None
    if request.get("stdin") is not None:
        stdin = _size(_text(request["stdin"], "stdin"), "stdin", settings.max_stdin_bytes)
    timeout = settings.timeout_s
    raw_timeout = request.get("timeout_s")
    if raw_timeout is not None:
        if isinstance(raw_timeout, bool) or not isinstance(raw_timeout, int | float):
            raise MalformedInput("timeout_s must be a number of seconds")
        if not math.isfinite(raw_timeout) or raw_timeout <= 0:
            raise MalformedInput("timeout_s must be a positive number of seconds")
        timeout = min(float(raw_timeout), settings.timeout_s)
    return RunRequest(code=code, stdin=stdin or None, timeout_s=timeout)
