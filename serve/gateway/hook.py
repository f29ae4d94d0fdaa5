"""The hook interface every gateway concern implements (all methods optional)."""

from __future__ import annotations

from serve.context.observations import Observation
from serve.gateway.context import RequestContext
from serve.observability.record import RequestRecord


class GatewayHook:
    """One concern of the gateway. The :class:`~serve.gateway.gateway.Gateway` calls, in order:

    ``on_request`` before planning (raise an ``ServeError`` to reject), ``on_observations``
    on text extracted by perception/action stages, ``on_response`` on the answer text, and
    ``on_complete`` once, however the request ended (must not raise).
    """

    name = "hook"

    async def on_request(self, ctx: RequestContext) -> None:
        return None

    async def on_observations(
        self, ctx: RequestContext, observations: list[Observation]
    ) -> list[Observation]:
        return observations

    async def on_response(self, ctx: RequestContext, text: str) -> str:
        return text

    async def on_complete(self, ctx: RequestContext, record: RequestRecord) -> None:
        return None

    async def close(self) -> None:
        return None
