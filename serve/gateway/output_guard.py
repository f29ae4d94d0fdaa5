"""Output guard hook: redact secrets/PII in answers and enforce ``response_format``."""

from __future__ import annotations

import json
import re
from typing import Any

from serve.gateway.config import GuardAction, OutputGuardSettings
from serve.gateway.context import RequestContext
from serve.gateway.detectors import find_sensitive, redact
from serve.gateway.errors import ResponseFormatViolation
from serve.gateway.hook import GatewayHook
from serve.gateway.policy import Policy

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(?P<body>.*?)\n?```\s*$", re.S | re.I)


def parse_json_answer(text: str) -> Any:
    """The JSON value of an answer, tolerating a surrounding Markdown code fence."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        fenced = _FENCE.match(text)
        if not fenced:
            raise
        return json.loads(fenced.group("body"))


def format_problem(response_format: Any, text: str) -> str | None:
    """Why ``text`` breaks the request's ``response_format`` (None when it complies)."""
    if response_format is None or response_format.type == "text":
        return None
    try:
        value = parse_json_answer(text)
    except json.JSONDecodeError as exc:
        return f"the answer is not valid JSON: {exc.msg} at position {exc.pos}"
    if response_format.type == "json_object":
        return None if isinstance(value, dict) else "the answer is JSON but not an object"
    import jsonschema

    schema = (response_format.json_schema or {}).get("schema") or {}
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"the answer does not match the JSON schema at {where}: {error.message}"


class OutputGuardHook(GatewayHook):
    """Checks ``response_format`` first (on the model's own text), then redacts.

    Call :meth:`needs_retry` before :meth:`on_response`: it is true once per allowed retry
    when the answer breaks the format; after that, :meth:`on_response` raises 502
    ``response_format_violation``.
    """

    name = "output_guard"

    def __init__(self, settings: OutputGuardSettings) -> None:
        self.settings = settings
        self.policy = Policy(settings.policies)

    def redact_categories(self) -> set[str]:
        return {
            c
            for c, steps in self.settings.policies.items()
            if any(s.action is GuardAction.REDACT for s in steps)
        }

    def format_problem(self, ctx: RequestContext, text: str) -> str | None:
        if ctx.truncated:  # cut at max_tokens: returned as is, finish_reason "length" (OpenAI)
            return None
        if not (self.settings.enabled and self.settings.enforce_response_format):
            return None
        return format_problem(ctx.body.response_format if ctx.body else None, text)

    def needs_retry(self, ctx: RequestContext, text: str) -> bool:
        if self.format_problem(ctx, text) is None:
            return False
        if ctx.format_attempts >= self.settings.format_retries:
            return False
        ctx.format_attempts += 1
        return True

    def _redact_text(self, ctx: RequestContext, text: str, source: str) -> str:
        findings = find_sensitive(text)
        if not findings:
            return text
        verdicts = self.policy.verdicts(source, "output", None, findings, text)
        ctx.add_verdicts(verdicts)
        categories = {v.category for v in verdicts if v.action is GuardAction.REDACT}
        return redact(text, findings, categories) if categories else text

    def _redact_json(self, ctx: RequestContext, value: Any) -> Any:
        if isinstance(value, str):
            return self._redact_text(ctx, value, "response")
        if isinstance(value, list):
            return [self._redact_json(ctx, v) for v in value]
        if isinstance(value, dict):
            return {k: self._redact_json(ctx, v) for k, v in value.items()}
        return value

    async def on_response(self, ctx: RequestContext, text: str) -> str:
        if not self.settings.enabled:
            return text
        problem = self.format_problem(ctx, text)
        if problem is not None:
            raise ResponseFormatViolation(
                f"{problem} (after {ctx.format_attempts} retr"
                f"{'y' if ctx.format_attempts == 1 else 'ies'})",
                param="response_format",
            )
        fmt = ctx.body.response_format if ctx.body else None
        if fmt is not None and fmt.type != "text" and self.settings.enforce_response_format:
            value = parse_json_answer(text)
            cleaned = self._redact_json(ctx, value)
            if cleaned != value or _FENCE.match(text):
                return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))
            return text
        return self._redact_text(ctx, text, "response")

    def stream_redactor(self, ctx: RequestContext) -> StreamRedactor:
        return StreamRedactor(
            self.redact_categories() if self.settings.enabled else set(),
            self.settings.stream_holdback_chars,
        )


_SECRET_START = re.compile(r"[0-9@+]|[A-Za-z0-9_\-]{12,}|\b(sk|pk|AKIA|ghp|xox)", re.I)


def _could_start_secret(text: str) -> bool:
    """Digits, '@', long tokens or key prefixes may be the start of a secret or PII."""
    return bool(_SECRET_START.search(text))


class StreamRedactor:
    """Redacts a streamed answer chunk by chunk.

    It holds back the last ``holdback`` characters (and any match reaching into them) so a
    secret split across chunks is still seen whole; :meth:`flush` releases the rest.
    """

    def __init__(self, categories: set[str], holdback: int) -> None:
        self.categories = categories
        self.holdback = holdback
        self._buffer = ""

    def feed(self, chunk: str) -> str:
        if not self.categories:
            return chunk
        self._buffer += chunk
        cut = len(self._buffer) - self.holdback
        tail = self._buffer[max(cut, 0) :]
        if not _could_start_secret(tail):  # plain words: release up to the last space now
            space = self._buffer.rfind(" ")
            cut = max(cut, space + 1 if space >= 0 else 0)
        if cut <= 0:
            return ""
        findings = [f for f in find_sensitive(self._buffer) if f.category in self.categories]
        for f in findings:
            if f.start < cut < f.end:
                cut = f.start  # never split a match: keep it for the next round
        if cut <= 0:
            return ""
        head, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return redact(head, [f for f in findings if f.end <= cut], self.categories)

    def flush(self) -> str:
        text, self._buffer = self._buffer, ""
        if not self.categories or not text:
            return text
        return redact(text, find_sensitive(text), self.categories)
