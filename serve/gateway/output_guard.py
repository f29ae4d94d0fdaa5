"""Output guard hook: redact secrets/PII in answers and enforce ``response_format``."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from serve.gateway.config import EMAIL, GuardAction, OutputGuardSettings
from serve.gateway.context import RequestContext
from serve.gateway.detectors import find_sensitive, redact
from serve.gateway.errors import ResponseFormatViolation
from serve.gateway.hook import GatewayHook
from serve.gateway.offload import Offloader, shared_offloader
from serve.gateway.policy import Policy
from serve.gateway.screening import parse_json_answer, screen_answer

__all__ = [
    "LogprobsGate",
    "OutputGuardHook",
    "StreamRedactor",
    "format_problem",
    "parse_json_answer",
]


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

    def __init__(self, settings: OutputGuardSettings, offloader: Offloader | None = None) -> None:
        self.settings = settings
        self.policy = Policy(settings.policies)
        self.offloader = offloader or shared_offloader()

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
        return format_problem(getattr(ctx.body, "response_format", None), text)

    def needs_retry(self, ctx: RequestContext, text: str) -> bool:
        if self.format_problem(ctx, text) is None:
            return False
        if ctx.format_attempts >= self.settings.format_retries:
            return False
        ctx.format_attempts += 1
        return True

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
        fmt = getattr(ctx.body, "response_format", None)  # completions have none
        json_mode = (
            fmt is not None
            and fmt.type != "text"
            and self.settings.enforce_response_format
            and not ctx.truncated  # a cut answer is not JSON: redact it as text
        )
        # Long answers are scanned in a worker process (see serve.gateway.offload).
        [screen] = await self.offloader.map(screen_answer, [text], self.policy, json_mode)
        ctx.add_verdicts(self.policy.verdicts_for("response", "output", None, screen.sensitive))
        return screen.text

    def stream_redactor(self, ctx: RequestContext) -> StreamRedactor:
        return StreamRedactor(
            self.redact_categories() if self.settings.enabled else set(),
            self.settings.stream_holdback_chars,
        )


_SECRET_START = re.compile(
    r"[0-9@+]|[A-Za-z0-9_\-]{12,}|\b(sk|pk|AKIA|ghp|xox)|-{3,}"
    r"|\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)",
    re.I,
)


def _could_start_secret(text: str) -> bool:
    """Digits, '@', long tokens, key prefixes, PEM armour ('-----BEGIN ... PRIVATE KEY') or a
    password keyword may be the start of a secret or PII (the multi-word ones included)."""
    return bool(_SECRET_START.search(text))


_WORD_START = re.compile(r"\S*\Z")  # the trailing run of non-space characters
_CONTEXT_CHARS = 64  # released characters kept for detection (one word's worth)


def _plain_word(word: str) -> bool:
    """Letters only and shorter than a long token: may leave before the next chunk."""
    return 0 < len(word) < 12 and word.isalpha()


class StreamRedactor:
    """Redacts a streamed answer chunk by chunk.

    It holds back the last ``holdback`` characters (and any match reaching into them) so a
    secret split across chunks is still seen whole; :meth:`flush` releases the rest. While a
    match stays open at the end (a private key block, a long token), the buffer is rescanned
    only after it grew by half, so the work stays linear in the length of the answer.

    Plain words leave at once, the last one included when no redacted category can start
    with any word (e-mail addresses redacted: a word may be a local part, so the last word
    waits for the next chunk). A word released that way stays in the detection context: if
    the next chunks turn it into a key (``s`` + ``k-…``), an IBAN (``I`` + ``T60…``) or a
    password assignment (``pass`` + ``word: …``), the match is still seen whole and all of it
    but the released letters is masked. What can leave early is at most one chunk's letters,
    never a digit.
    """

    def __init__(self, categories: set[str], holdback: int) -> None:
        self.categories = categories
        self.holdback = holdback
        self.release_last_word = bool(categories) and EMAIL not in categories
        self._parts: list[str] = []
        self._size = 0
        self._next_scan = 0  # buffer size at which an open match is looked at again
        self._context = ""  # released characters of the word the buffer continues

    def _take(self) -> str:
        text = "".join(self._parts)
        self._parts, self._size = [], 0
        return text

    def feed(self, chunk: str) -> str:
        if not self.categories:
            return chunk
        self._parts.append(chunk)
        self._size += len(chunk)
        if self._size < self._next_scan:
            return ""
        buffer = self._take()
        off = len(self._context)
        text = self._context + buffer  # positions below are in ``text``
        cut = len(text) - self.holdback
        if not _could_start_secret(text[max(cut, 0) :]):
            # plain words leave up to the last space now, the answer's first ones included
            # (holding the first `holdback` characters cost ~12 tokens of first-token time)
            space = text.rfind(" ")
            cut = max(cut, space + 1)
            if self.release_last_word and _plain_word(text[space + 1 :]):
                cut = len(text)  # and the last word (kept as context for the next chunks)
        if cut <= off:  # nothing new may leave: all of it may still begin a secret
            self._parts, self._size = [buffer], len(buffer)
            return ""
        findings = [f for f in find_sensitive(text) if f.category in self.categories]
        held = False
        for f in findings:
            if f.start < cut < f.end:
                cut, held = f.start, True  # never split a match: keep it for the next round
        cut = max(cut, off)
        head, rest = text[off:cut], text[cut:]
        self._parts, self._size = [rest], len(rest)
        self._next_scan = max(len(rest) + self.holdback, len(rest) * 3 // 2) if held else 0
        released = text[:cut]
        self._context = released[_WORD_START.search(released).start() :][-_CONTEXT_CHARS:]
        done = [
            replace(f, start=max(f.start - off, 0), end=f.end - off)
            for f in findings
            if off < f.end <= cut  # matches reaching into the new text (those before: masked)
        ]
        return redact(head, done, self.categories)

    def flush(self) -> str:
        text = self._take()
        self._next_scan = 0
        context, self._context = self._context, ""
        if not self.categories or not text:
            return text
        off = len(context)
        findings = [
            replace(f, start=max(f.start - off, 0), end=f.end - off)
            for f in find_sensitive(context + text)
            if f.end > off
        ]
        return redact(text, findings, self.categories)


class LogprobsGate:
    """Holds a streamed choice's logprob entries back in step with its :class:`StreamRedactor`.

    Logprob entries spell the generated tokens, so sending them ahead of the redactor would
    leak what it later masks. An entry leaves once as many characters of the text have been
    released verbatim; after the first redaction none leave at all (their tokens would spell
    the secret). Without redaction every entry leaves by :meth:`flush`.
    """

    def __init__(self) -> None:
        self.redacted = False
        self._raw = ""  # text fed but not yet released verbatim
        self._budget = 0  # released characters not yet covered by released entries
        self._pending: list[dict[str, Any]] = []

    def feed(self, raw: str, released: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``raw`` went into the redactor, ``released`` came out; the entries that may go."""
        self._raw += raw
        if not self.redacted:
            if self._raw.startswith(released):
                self._raw = self._raw[len(released) :]
                self._budget += len(released)
            else:
                self.redacted = True
        if self.redacted:
            self._pending.clear()
            return []
        self._pending.extend(entries)
        ready = 0
        for entry in self._pending:
            size = len(str(entry.get("token") or ""))
            if size > self._budget:
                break
            self._budget -= size
            ready += 1
        out, self._pending = self._pending[:ready], self._pending[ready:]
        return out

    def flush(self, released: str) -> list[dict[str, Any]]:
        """The redactor's last words came out: the rest of the entries, unless it redacted."""
        out = self.feed("", released, [])
        if self.redacted:
            return []
        out, self._pending = out + self._pending, []
        return out
