"""What the gateway hooks share about one request."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from serve.gateway.config import GuardAction


@dataclass
class Verdict:
    """One guard decision: a category scored on one source, and the action taken."""

    category: str
    score: float
    action: GuardAction
    source: str  # "messages.2", "doc1 p.3", "response"
    stage: str  # "input", "observation", "output"
    evidence: list[str] = field(default_factory=list)  # rule names, masked snippets

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "score": round(self.score, 3),
            "action": self.action.value,
            "source": self.source,
            "stage": self.stage,
            "evidence": self.evidence[:5],
        }


@dataclass(frozen=True)
class KeyIdentity:
    """The caller as auth resolved it (``anonymous`` when auth is off)."""

    key_id: str
    name: str = ""
    allowed_models: frozenset[str] | None = None  # None: every model
    allowed_tools: frozenset[str] | None = None  # None: every tool
    requests_per_minute: int | None = None  # None: the configured default
    llm_tokens_per_minute: int | None = None
    daily_budget: float | None = None


ANONYMOUS = KeyIdentity(key_id="anonymous", name="anonymous (auth disabled)")


@dataclass
class RequestContext:
    """State of one request through the hook chain; hooks read and fill it."""

    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    route: str = "/v1/chat/completions"
    body: Any = None  # the parsed request body (ChatCompletionRequest, ...)
    body_bytes: int | None = None
    client: str | None = None
    identity: KeyIdentity = ANONYMOUS
    verdicts: list[Verdict] = field(default_factory=list)
    risk: float = 0.0
    denied_tools: dict[str, str] = field(default_factory=dict)  # tool → reason
    refusal: str | None = None
    inputs: Any = None  # RequestInputs, parsed once by the validation hook
    cost: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    raw_inputs: dict[str, bytes | str] = field(default_factory=dict)
    format_attempts: int = 0
    truncated: bool = False  # the answer was cut at max_tokens: its format is not enforced
    rejected_by: str | None = None
    passed: set[str] = field(default_factory=set)  # inbound hooks already run
    completed: bool = False
    started_at: float = field(default_factory=time.time)
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    @property
    def key_id(self) -> str:
        return self.identity.key_id

    @property
    def model(self) -> str | None:
        return self.body.model if self.body is not None else None

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000

    # ------------------------------------------------------------------ tools
    def tool_allowed(self, tool: str) -> bool:
        """May the router run this action stage (browse, retrieve, execute) for this request?"""
        allowed = self.identity.allowed_tools
        if allowed is not None and tool not in allowed:
            return False
        return tool not in self.denied_tools

    def allowed_stages(self, stages: Iterable[str]) -> list[str]:
        """``stages`` without the tools this request may not use (perception stays)."""
        from serve.stages.registry import TOOL_STAGES

        return [s for s in stages if s not in TOOL_STAGES or self.tool_allowed(s)]

    def deny_tools(self, tools: Iterable[str], reason: str) -> None:
        for tool in tools:
            self.denied_tools.setdefault(tool, reason)

    # --------------------------------------------------------------- verdicts
    def add_verdicts(self, verdicts: Iterable[Verdict]) -> None:
        for verdict in verdicts:
            self.verdicts.append(verdict)
            self.risk = max(self.risk, verdict.score)

    def strongest_action(self) -> GuardAction:
        return max(
            (v.action for v in self.verdicts), key=lambda a: a.rank, default=GuardAction.ALLOW
        )
