"""Estimated request cost: LLM tokens at per-model prices plus a flat cost per stage run."""

from __future__ import annotations

from serve.gateway.config import LimitSettings
from serve.observability.record import RequestRecord


class CostEstimator:
    """Prices from ``gateway.limits`` (``prices``, ``stage_costs``)."""

    def __init__(self, settings: LimitSettings) -> None:
        self.settings = settings

    def llm_cost(self, model: str | None, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.settings.prices.get(model or "", self.settings.default_price)
        return (
            prompt_tokens * price.prompt_per_1k + completion_tokens * price.completion_per_1k
        ) / 1000.0

    def stage_cost(self, stages: list[str]) -> float:
        costs, default = self.settings.stage_costs, self.settings.default_stage_cost
        return sum(costs.get(s, default) for s in stages if s != "llm")

    def estimate(self, record: RequestRecord) -> float:
        """The one cost rule: the LLM's tokens (when it ran) plus each deployment call."""
        return self.llm_cost(
            record.llm_model, record.prompt_tokens, record.completion_tokens
        ) + self.stage_cost(record.stage_runs)
