"""How every gateway-facing endpoint opens and closes a request, in one place.

Open: a :class:`RequestRecord` under a server-generated id, owned by the caller's key.
Admit: the gateway's inbound hooks (limits, validation, input guard, audit of raw input).
Finish: the record is priced once and closed; the gateway charges usage and writes the audit
line from it, the trace store keeps it, the metrics count it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from fastapi import Request

from deployments.common.errors import ServeError
from serve.api import sse
from serve.context.observations import Observation
from serve.gateway.context import RequestContext
from serve.gateway.gateway import Gateway
from serve.gateway.pricing import CostEstimator
from serve.observability.metrics import RouterMetrics
from serve.observability.record import RequestRecord
from serve.observability.traces import SharedTraceStore, TraceStore


class GatewayScreen:
    """The pipeline's view of the gateway for one request (tools allowed, text screened)."""

    def __init__(self, gateway: Gateway, ctx: RequestContext) -> None:
        self.gateway = gateway
        self.ctx = ctx

    def denied(self, stages: list[str]) -> dict[str, str]:
        kept = set(self.ctx.allowed_stages(stages))
        return {
            s: f"tool denied by gateway: {self.ctx.denied_tools.get(s, 'not allowed for this key')}"
            for s in stages
            if s not in kept
        }

    async def observations(self, observations: list[Observation]) -> list[Observation]:
        screen = await self.gateway.on_observations(self.ctx, observations)
        return screen.observations


class RequestLifecycle:
    """Shared by every gateway-facing endpoint."""

    def __init__(
        self,
        *,
        gateway: Gateway | None,
        traces: TraceStore | SharedTraceStore,
        metrics: RouterMetrics,
        pricing: CostEstimator,
    ) -> None:
        self.gateway = gateway
        self.traces = traces
        self.metrics = metrics
        self.pricing = pricing

    def open(
        self, request: Request, ctx: RequestContext | None, model: str, *, llm_only: bool = False
    ) -> RequestRecord:
        state = request.state
        return RequestRecord(
            request_id=getattr(state, "request_id", None) or "unknown",
            model=model,
            endpoint=request.url.path,
            client_request_id=getattr(state, "client_request_id", None),
            key_id=ctx.key_id if ctx is not None else None,
            llm_only=llm_only,
        )

    async def admit(self, ctx: RequestContext | None, body: Any) -> None:
        """The gateway's inbound hooks; a rejection is audited there and re-raised."""
        if ctx is None or self.gateway is None:
            return
        ctx.body = body
        await self.gateway.on_request(ctx)

    def screen(self, ctx: RequestContext | None) -> GatewayScreen | None:
        if ctx is None or self.gateway is None:
            return None
        return GatewayScreen(self.gateway, ctx)

    def owner(self, ctx: RequestContext | None) -> str | None:
        """Whose traces a caller may read (None: no gateway, tests)."""
        return ctx.key_id if ctx is not None else None

    async def finish(
        self,
        record: RequestRecord,
        ctx: RequestContext | None,
        status: int,
        error: str | None = None,
    ) -> None:
        """Close the record once: price it, charge and audit it, store and count it."""
        if record.closed:
            return
        record.close(status, error)
        record.cost_usd = self.pricing.estimate(record)
        if ctx is not None and self.gateway is not None:
            await self.gateway.on_complete(ctx, record)
        self.traces.put(record)
        self.metrics.record(record)

    async def stream(
        self,
        events: AsyncIterator[str],
        record: RequestRecord,
        ctx: RequestContext | None,
        *,
        on_error: Callable[[ServeError], Iterable[str]] = lambda exc: [sse.error_event(exc)],
        close: Callable[[], Awaitable[Any]] | None = None,
        done: str | None = sse.DONE,
    ) -> AsyncIterator[str]:
        """A streamed body, finished once with the status it really ended with.

        A :class:`ServeError` mid-stream (the HTTP status is already sent) becomes the
        endpoint's error events (``on_error``) and is audited with its own status; a client
        disconnect or a bug is audited as 499 and re-raised. ``close`` releases upstream
        streams; ``done`` ends a stream that completed or failed cleanly.
        """
        status, error = 200, None
        try:
            async for item in events:
                yield item
        except ServeError as exc:
            items = list(on_error(exc))  # may refine the error's message or param first
            status, error = exc.status, exc.message
            for item in items:
                yield item
        except BaseException as exc:  # client disconnect (cancellation) or a bug
            status, error = 499, type(exc).__name__
            raise
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()
            if close is not None:
                await close()
            await self.finish(record, ctx, status, error)
        if done is not None:
            yield done
