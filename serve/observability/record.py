"""The one record of how a request went.

A :class:`RequestRecord` is filled in as the request travels down the pipeline (plan, stages,
small stack, LLM) and closed once with its HTTP status. Every other view derives from it: the
stored decision trace (:meth:`RequestRecord.to_trace`), the ``interfaze`` metadata of the
response, the Prometheus metrics, the estimated cost and the gateway's audit line and usage.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from serve.context.observations import Observation

# Stage statuses a trace shows (a failed stage's exception name is kept in ``error``).
STAGE_OK, STAGE_SKIPPED, STAGE_TIMEOUT, STAGE_DEGRADED, STAGE_ERROR = (
    "ok",
    "skipped",
    "timeout",
    "degraded",
    "error",
)
# Pipeline steps that are not deployments (no cost, not a "stage run").
INTERNAL_STEPS = frozenset({"plan", "answer", "context"})
# Text kept per observation in a stored trace.
TRACE_TEXT_CHARS = 20_000


def new_request_id() -> str:
    """A server-generated id: trace ids are never chosen by the client."""
    return uuid.uuid4().hex


@dataclass
class StageRecord:
    """One timed step of the request (a stage call, planning, the answer, the LLM)."""

    name: str
    started_ms: float
    duration_ms: float = 0.0
    status: str = STAGE_OK
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "started_ms": self.started_ms,
            "duration_ms": self.duration_ms,
            "status": self.status,
            "summary": self.summary,
        }
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class ChoiceRecord:
    """One answer choice (n > 1 asks for several): text, tool calls, logprobs, finish."""

    index: int
    text: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    logprobs: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None

    @property
    def content(self) -> str:
        return "".join(self.text)

    def add_tool_calls(self, deltas: list[dict[str, Any]]) -> None:
        """Merge streamed tool-call deltas (by their ``index``) into whole calls."""
        for delta in deltas:
            position = int(delta.get("index", len(self.tool_calls)))
            while len(self.tool_calls) <= position:
                self.tool_calls.append(
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
                )
            call = self.tool_calls[position]
            call["id"] = delta.get("id") or call["id"]
            function = delta.get("function") or {}
            call["function"]["name"] += function.get("name") or ""
            call["function"]["arguments"] += function.get("arguments") or ""


@dataclass
class RequestRecord:
    """Everything known about one request, from admission to the last byte."""

    request_id: str
    model: str
    endpoint: str = "/v1/chat/completions"
    client_request_id: str | None = None
    key_id: str | None = None
    llm_only: bool = False
    # plan
    route: str = ""
    plan: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    degraded: dict[str, str] = field(default_factory=dict)  # stage calls that failed
    inputs: dict[str, int] = field(default_factory=dict)
    # stages and evidence
    stages: list[StageRecord] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    # answer
    choices: list[ChoiceRecord] = field(default_factory=lambda: [ChoiceRecord(0)])
    answerer: str | None = None
    sources: list[str] = field(default_factory=list)
    intent: str | None = None
    confidence: float = 0.0
    escalated: bool = False
    escalation_reason: str = ""
    # The small stack's best answer when it was not sure enough: a lead for the LLM's context.
    reading: dict[str, Any] | None = None
    # LLM (billed tokens) and, for small-stack answers, the usage an LLM would have reported
    llm_model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    answer_usage: tuple[int, int] | None = None
    # outcome
    status: int = 200
    error: str | None = None
    cost_usd: float = 0.0
    closed: bool = False
    started_at: float = field(default_factory=time.time)
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    # ---------------------------------------------------------------- timing
    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000

    @contextmanager
    def stage(self, name: str, **summary: Any):
        """Time a step; the body may add to ``record.summary`` or set ``record.status``."""
        record = StageRecord(name=name, started_ms=round(self.elapsed_ms(), 3), summary=summary)
        self.stages.append(record)
        start = time.perf_counter()
        try:
            yield record
        except BaseException as exc:
            from deployments.common.errors import StageTimeout

            if isinstance(exc, StageTimeout | TimeoutError):
                record.status = STAGE_TIMEOUT
            elif record.status == STAGE_OK:
                record.status = STAGE_ERROR
            record.error = type(exc).__name__
            raise
        finally:
            record.duration_ms = round((time.perf_counter() - start) * 1000, 3)

    def skip(self, name: str, reason: str) -> None:
        """A planned stage that did not run (denied, not deployed)."""
        self.skipped.setdefault(name, reason)

    def degrade(self, name: str, reason: str) -> None:
        """A stage call that failed or timed out: the answer was made without it."""
        self.degraded.setdefault(name, reason)
        self.skipped.setdefault(name, reason)

    def timings_ms(self) -> dict[str, float]:
        timings: dict[str, float] = {}
        for record in self.stages:
            timings[record.name] = round(timings.get(record.name, 0.0) + record.duration_ms, 3)
        timings["total"] = round(self.elapsed_ms(), 3)
        return timings

    # ------------------------------------------------------- derived views
    def choice(self, index: int = 0) -> ChoiceRecord:
        """The choice ``index``, created when it first appears."""
        while len(self.choices) <= index:
            self.choices.append(ChoiceRecord(len(self.choices)))
        return self.choices[index]

    @property
    def answer_text(self) -> str:
        return self.choices[0].content

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason

    @property
    def stage_names(self) -> list[str]:
        """Names of the steps that ran, in order (repeats kept)."""
        return [s.name for s in self.stages]

    @property
    def stage_runs(self) -> list[str]:
        """Deployment calls that ran (what per-stage costs are charged for)."""
        return [s.name for s in self.stages if s.name not in INTERNAL_STEPS and s.name != "llm"]

    @property
    def stage_timings_ms(self) -> dict[str, float]:
        return self.timings_ms()

    def citations(self) -> list[str]:
        return self.sources or sorted({o.citation for o in self.observations})

    def close(self, status: int, error: str | None = None) -> None:
        self.status, self.error, self.closed = status, error, True

    def to_trace(self) -> dict[str, Any]:
        """The stored decision trace (``GET /v1/traces/{id}``)."""
        return {
            "trace_id": self.request_id,
            "client_request_id": self.client_request_id,
            "key_id": self.key_id,
            "model": self.model,
            "endpoint": self.endpoint,
            "started_at": self.started_at,
            "route": self.route,
            "plan": list(self.plan),
            "skipped": dict(self.skipped),
            "degraded": dict(self.degraded),
            "inputs": dict(self.inputs),
            "stages": [s.to_dict() for s in self.stages],
            "observations": [trace_observation(o) for o in self.observations],
            "answer": {
                "text": self.answer_text[:TRACE_TEXT_CHARS],
                "tool_calls": self.choices[0].tool_calls,
                "answerer": self.answerer,
                "confidence": self.confidence,
                "sources": self.citations(),
                "intent": self.intent,
            },
            "llm": {
                "model": self.llm_model,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            },
            "confidence": self.confidence,
            "escalated": self.escalated,
            "escalation_reason": self.escalation_reason,
            "status": self.status,
            "error": self.error,
            "cost_usd": round(self.cost_usd, 8),
            "duration_ms": round(self.elapsed_ms(), 3),
        }


def trace_observation(observation: Observation) -> dict[str, Any]:
    """An observation as a trace shows it (long text cut, bulky data left out)."""
    data = {k: v for k, v in observation.data.items() if _jsonable(v)}
    return {
        "source_id": observation.source_id,
        "locator": observation.locator,
        "kind": observation.kind,
        "stage": observation.stage,
        "confidence": observation.confidence,
        "text": observation.text[:TRACE_TEXT_CHARS],
        "data": data,
    }


def _jsonable(value: Any) -> bool:
    return not isinstance(value, bytes | bytearray | memoryview)
