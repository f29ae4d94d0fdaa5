"""Metadata filters (a JSON dict from the caller) → a safe Milvus boolean expression."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from deployments.common.errors import MalformedInput

STRING_FIELDS = {"source": "source", "doc_id": "doc_id", "mime": "mime", "title": "title"}
STRING_FIELDS |= {"content_hash": "content_hash", "owner": "owner"}
INT_FIELDS = {"page": "page"}
TIME_BOUNDS = {
    "fetched_after": ("fetched_at", ">="),
    "fetched_before": ("fetched_at", "<"),
}
FILTER_KEYS = sorted([*STRING_FIELDS, *INT_FIELDS, *TIME_BOUNDS, "source_prefix"])
MAX_LIST = 1000


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def quote(value: str) -> str:
    """A Milvus string literal: double quotes; backslash and quote escaped.

    Control characters and lone surrogates are refused: Milvus Lite's expression parser crashes
    its server process on escapes it does not know, so only ``\\`` and ``\"`` are ever emitted.
    """
    if _UNSAFE.search(value):
        raise MalformedInput(
            "filter values must not contain control characters", code="invalid_filter"
        )
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_epoch(value: Any, *, what: str) -> int:
    """Epoch seconds from an int/float or an ISO-8601 string (naive means UTC)."""
    if isinstance(value, bool):
        raise MalformedInput(f"{what} must be epoch seconds or ISO-8601", code="invalid_filter")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise MalformedInput(
                f"{what}: {value!r} is not ISO-8601 nor epoch seconds", code="invalid_filter"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    raise MalformedInput(f"{what} must be epoch seconds or ISO-8601", code="invalid_filter")


def iso(epoch: int) -> str:
    """Epoch seconds → ``2026-11-22T00:36:37Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _string_clause(field: str, key: str, value: Any) -> str:
    if isinstance(value, str):
        return f"{field} == {quote(value)}"
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        if len(value) > MAX_LIST:
            raise MalformedInput(f"filter {key}: at most {MAX_LIST} values", code="invalid_filter")
        return f"{field} in [{', '.join(quote(v) for v in value)}]"
    raise MalformedInput(
        f"filter {key} must be a string or a non-empty list of strings", code="invalid_filter"
    )


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedInput(f"filter {key} must hold integers", code="invalid_filter")
    return value


def _int_clause(field: str, key: str, value: Any) -> str:
    if isinstance(value, dict):
        ops = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
        unknown = set(value) - set(ops)
        if unknown or not value:
            raise MalformedInput(
                f"filter {key}: range keys are gte, gt, lte, lt", code="invalid_filter"
            )
        return " and ".join(f"{field} {ops[op]} {_int(v, key)}" for op, v in value.items())
    if isinstance(value, list) and value:
        if len(value) > MAX_LIST:
            raise MalformedInput(f"filter {key}: at most {MAX_LIST} values", code="invalid_filter")
        return f"{field} in [{', '.join(str(_int(v, key)) for v in value)}]"
    return f"{field} == {_int(value, key)}"


def build_filter(filters: dict[str, Any] | None) -> str:
    """The caller's filters as one expression ('' for none); unknown keys are rejected."""
    if not filters:
        return ""
    if not isinstance(filters, dict):
        raise MalformedInput("filters must be an object", code="invalid_filter")
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise MalformedInput(
            f"unknown filter key(s) {', '.join(unknown)}; known: {', '.join(FILTER_KEYS)}",
            code="invalid_filter",
        )
    clauses: list[str] = []
    for key, value in filters.items():
        if value is None:
            continue
        if key in STRING_FIELDS:
            clauses.append(_string_clause(STRING_FIELDS[key], key, value))
        elif key in INT_FIELDS:
            clauses.append(_int_clause(INT_FIELDS[key], key, value))
        elif key in TIME_BOUNDS:
            field, op = TIME_BOUNDS[key]
            clauses.append(f"{field} {op} {to_epoch(value, what=key)}")
        elif key == "source_prefix":
            # LIKE treats "_" as a wildcard: the match is a superset, which the caller narrows
            # with :func:`matches_prefix`; "%" and backslashes are refused outright.
            if not isinstance(value, str) or not value or "%" in value or "\\" in value:
                raise MalformedInput(
                    "filter source_prefix must be a non-empty string without % or \\",
                    code="invalid_filter",
                )
            clauses.append(f"source like {quote(value + '%')}")
    return " and ".join(f"({c})" for c in clauses)


def visibility_clause(now: int, hidden_doc_ids: set[str] | frozenset[str]) -> str:
    """Hide expired chunks and documents whose insert or delete has not finished."""
    clause = f"(expires_at == 0 or expires_at > {now})"
    if hidden_doc_ids:
        ids = ", ".join(quote(d) for d in sorted(hidden_doc_ids))
        clause += f" and (doc_id not in [{ids}])"
    return clause


def combine(*clauses: str) -> str:
    return " and ".join(f"({c})" for c in clauses if c)


def matches_prefix(filters: dict[str, Any] | None, source: str) -> bool:
    """Exact check of ``source_prefix`` (LIKE's "_" wildcard may have matched too much)."""
    prefix = (filters or {}).get("source_prefix")
    return not prefix or source.startswith(prefix)
