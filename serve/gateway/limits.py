"""Limits hook: per-key requests/min, LLM tokens/min and daily budget → 429 + Retry-After."""

from __future__ import annotations

import logging

from deployments.common.errors import RateLimited
from serve.gateway.config import LimitSettings
from serve.gateway.context import KeyIdentity, RequestContext
from serve.gateway.hook import GatewayHook
from serve.gateway.ledger import Admission, KeyLimits
from serve.gateway.limiter import LimitBackend
from serve.gateway.usage import UsageRecorder
from serve.observability.record import RequestRecord

logger = logging.getLogger(__name__)

_LIMIT_TEXT = {
    "requests_per_minute": ("rate_limit_requests", "{n} requests per minute"),
    "llm_tokens_per_minute": ("rate_limit_tokens", "{n} LLM tokens per minute"),
    "daily_budget": ("daily_budget_exceeded", "a daily budget of {n} (estimated cost)"),
}


class LimitsHook(GatewayHook):
    """Admits a request against the shared ledger; charges tokens and cost when it ends."""

    name = "limits"

    def __init__(
        self,
        settings: LimitSettings,
        backend: LimitBackend,
        *,
        recorder: UsageRecorder | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.recorder = recorder

    def limits_for(self, identity: KeyIdentity) -> KeyLimits:
        s = self.settings
        return KeyLimits(
            requests_per_minute=identity.requests_per_minute or s.requests_per_minute,
            request_burst=None if identity.requests_per_minute else s.request_burst,
            llm_tokens_per_minute=identity.llm_tokens_per_minute or s.llm_tokens_per_minute,
            daily_budget=(
                identity.daily_budget if identity.daily_budget is not None else s.daily_budget
            ),
        )

    async def on_request(self, ctx: RequestContext) -> None:
        if not self.settings.enabled:
            return
        limits = self.limits_for(ctx.identity)
        try:
            admission = await self.backend.admit(ctx.key_id, limits)
        except Exception as exc:
            if not self.settings.fail_open:
                raise
            logger.warning("limits backend unreachable, admitting (fail_open): %s", exc)
            return
        self._headers(ctx, limits, admission)
        if not admission.allowed:
            code, text = _LIMIT_TEXT[admission.limit or "requests_per_minute"]
            value = getattr(limits, admission.limit or "requests_per_minute")
            raise RateLimited(
                f"key {ctx.key_id} reached {text.format(n=value)}; retry in "
                f"{max(1, round(admission.retry_after_s))} s",
                code=code,
                retry_after=max(1.0, admission.retry_after_s),
            )

    @staticmethod
    def _headers(ctx: RequestContext, limits: KeyLimits, admission: Admission) -> None:
        """OpenAI-style ``x-ratelimit-*`` headers the router may add to its response."""
        headers = ctx.response_headers
        if limits.requests_per_minute:
            headers["x-ratelimit-limit-requests"] = str(limits.requests_per_minute)
            if admission.remaining_requests is not None:
                headers["x-ratelimit-remaining-requests"] = str(admission.remaining_requests)
        if limits.llm_tokens_per_minute:
            headers["x-ratelimit-limit-tokens"] = str(limits.llm_tokens_per_minute)
            if admission.remaining_tokens is not None:
                headers["x-ratelimit-remaining-tokens"] = str(max(0, admission.remaining_tokens))

    async def on_complete(self, ctx: RequestContext, completion: RequestRecord) -> None:
        ctx.cost = completion.cost_usd  # priced once, when the record closed
        if ctx.rejected_by == "auth":
            return  # no key to charge
        tokens = completion.prompt_tokens + completion.completion_tokens
        rejected = completion.status >= 400
        if self.settings.enabled and ctx.rejected_by != self.name:
            try:
                await self.backend.record(
                    ctx.key_id,
                    self.limits_for(ctx.identity),
                    llm_tokens=tokens,
                    cost=ctx.cost,
                    rejected=rejected,
                )
            except Exception as exc:
                logger.warning("could not record usage of %s: %s", ctx.key_id, exc)
        if self.recorder is not None:
            self.recorder.add(
                ctx.key_id,
                rejected=rejected,
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
                cost=ctx.cost,
            )
            await self.recorder.maybe_flush()

    async def close(self) -> None:
        if self.recorder is not None:
            await self.recorder.flush()
