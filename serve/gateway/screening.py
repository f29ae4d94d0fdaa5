"""The CPU-heavy part of the guards as pure functions of one text, so that a large text can be
screened in a worker process (:mod:`serve.gateway.offload`) and only small results — scores,
summaries, the rewritten text — come back to the event loop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from serve.gateway.config import InjectionSettings
from serve.gateway.detectors import (
    FindingGroup,
    find_sensitive,
    merge_groups,
    redact,
    summarize,
)
from serve.gateway.injection import PreparedText, neutralize, prepare_text
from serve.gateway.policy import Policy


@dataclass(frozen=True)
class ScreenSpec:
    """What :func:`screen_text` computes."""

    injection: InjectionSettings | None  # None: no injection rules or chunks
    embed: bool  # also pick the chunks the embedding reads
    policy: Policy | None  # secrets/PII: found, and redacted where this policy says so
    spread: int = 3  # see :func:`serve.gateway.injection.neutralize`


@dataclass
class TextScreen:
    """One text, screened: injection evidence, secrets/PII per category and the rewrites a
    hook may pick once it knows its verdicts."""

    prepared: PreparedText | None  # compact: the first hit of each rule
    sensitive: list[FindingGroup] = field(default_factory=list)
    redacted: str | None = None  # secrets/PII redacted per policy (None: nothing to redact)
    neutralized: str | None = None  # injected sentences removed, then redacted (None: no hit)

    def text(self, original: str, *, neutralize: bool) -> str:
        if neutralize and self.neutralized is not None:
            return self.neutralized
        return self.redacted if self.redacted is not None else original


def screen_text(text: str, spec: ScreenSpec) -> TextScreen:
    """Rules, chunks, secrets/PII and both rewrites of ``text``; linear in its length."""
    prepared = prepare_text(text, spec.injection, spec.embed) if spec.injection else None
    findings = find_sensitive(text) if spec.policy else []
    groups = summarize(findings)
    categories = spec.policy.redact_categories(groups) if spec.policy else set()
    redacted = redact(text, findings, categories) if categories else None
    neutralized = None
    if prepared is not None and prepared.hits:
        neutralized = neutralize(text, prepared.hits, spread=spec.spread)
        if categories:
            neutralized = redact(neutralized, find_sensitive(neutralized), categories)
    return TextScreen(prepared.compact() if prepared else None, groups, redacted, neutralized)


@dataclass
class AnswerScreen:
    """An answer with secrets/PII redacted per policy, and what was found in it."""

    text: str
    sensitive: list[FindingGroup]


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


def screen_answer(text: str, policy: Policy, json_mode: bool = False) -> AnswerScreen:
    """Redact an answer. In ``json_mode`` (a valid JSON answer, perhaps fenced) every string
    inside it is redacted, and the JSON is re-serialised (unfenced) when fenced or changed."""
    if not json_mode:
        findings = find_sensitive(text)
        groups = summarize(findings)
        categories = policy.redact_categories(groups)
        return AnswerScreen(redact(text, findings, categories) if categories else text, groups)
    value = parse_json_answer(text)
    found: list[FindingGroup] = []

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            findings = find_sensitive(item)
            if not findings:
                return item
            groups = summarize(findings)
            found.extend(groups)
            categories = policy.redact_categories(groups)
            return redact(item, findings, categories) if categories else item
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    cleaned = walk(value)
    if cleaned == value and not _FENCE.match(text):
        return AnswerScreen(text, merge_groups(found))
    return AnswerScreen(
        json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")), merge_groups(found)
    )
