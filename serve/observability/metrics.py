"""Application metrics, exported through Ray's metrics agent (Prometheus text format).

Names are prefixed ``ifz_`` (Ray adds ``ray_``); they sit beside Ray Serve's own
``ray_serve_*`` series on the node's metrics port, which ``GET /metrics`` relays.
Without a Ray worker (unit tests) every call is a no-op.
"""

from __future__ import annotations

from typing import Any

from serve.observability.record import RequestRecord

LATENCY_BOUNDARIES_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000]


class _NoOp:
    def inc(self, *args: Any, **kwargs: Any) -> None:
        pass

    def observe(self, *args: Any, **kwargs: Any) -> None:
        pass


class RouterMetrics:
    """Counters and histograms of the router."""

    def __init__(self) -> None:
        try:
            import ray
            from ray.util import metrics

            enabled = ray.is_initialized()
        except ImportError:  # pragma: no cover - ray is a hard dependency
            enabled = False
        if not enabled:
            self.requests = self.escalations = self.llm_tokens = _NoOp()
            self.request_latency = self.stage_latency = self.cost = _NoOp()
            self.small_answers = _NoOp()
            return
        self.requests = metrics.Counter(
            "ifz_requests_total",
            description="Chat requests by route, model and HTTP status.",
            tag_keys=("route", "model", "status"),
        )
        self.escalations = metrics.Counter(
            "ifz_escalations_total",
            description="Requests answered by the final LLM, by route.",
            tag_keys=("route",),
        )
        self.llm_tokens = metrics.Counter(
            "ifz_llm_tokens_total",
            description="LLM tokens by kind (prompt, completion).",
            tag_keys=("kind",),
        )
        self.cost = metrics.Counter(
            "ifz_estimated_cost_usd_total",
            description="Estimated cost (LLM tokens at configured prices + per-stage costs).",
            tag_keys=("route",),
        )
        self.small_answers = metrics.Counter(
            "ifz_small_stack_answers_total",
            description="Requests answered by a small-stack answerer, by answerer.",
            tag_keys=("answerer",),
        )
        self.request_latency = metrics.Histogram(
            "ifz_request_latency_ms",
            description="End-to-end request latency in the router.",
            boundaries=LATENCY_BOUNDARIES_MS,
            tag_keys=("route",),
        )
        self.stage_latency = metrics.Histogram(
            "ifz_stage_latency_ms",
            description="Latency of each pipeline stage.",
            boundaries=LATENCY_BOUNDARIES_MS,
            tag_keys=("stage",),
        )

    def record(self, record: RequestRecord) -> None:
        """Count one finished request (every figure comes from its record)."""
        route = record.route or "unplanned"
        self.requests.inc(
            tags={"route": route, "model": record.model, "status": str(record.status)}
        )
        if record.cost_usd > 0:
            self.cost.inc(record.cost_usd, tags={"route": route})
        if record.answerer:
            self.small_answers.inc(tags={"answerer": record.answerer})
        self.request_latency.observe(record.elapsed_ms(), tags={"route": route})
        for stage, ms in record.timings_ms().items():
            if stage != "total":
                self.stage_latency.observe(ms, tags={"stage": stage})
        if record.escalated:
            self.escalations.inc(tags={"route": route})
        if record.prompt_tokens:
            self.llm_tokens.inc(record.prompt_tokens, tags={"kind": "prompt"})
        if record.completion_tokens:
            self.llm_tokens.inc(record.completion_tokens, tags={"kind": "completion"})
