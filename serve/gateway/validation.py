"""Validation hook: the body size, then the request parsed once into ``ctx.inputs``.

The parsing itself (counts, media headers, MIME sniffing, URL checks) is
:class:`serve.inputs.parse.InputParser`; everything downstream reads its
:class:`~serve.inputs.record.RequestInputs` instead of decoding the request again.
"""

from __future__ import annotations

from deployments.common.errors import PayloadTooLarge
from serve.gateway.context import RequestContext
from serve.gateway.hook import GatewayHook
from serve.inputs.parse import InputParser


class ValidationHook(GatewayHook):
    """Rejects oversized, malformed or mislabelled input before any stage sees it."""

    name = "validation"

    def __init__(self, parser: InputParser) -> None:
        self.parser = parser
        self.settings = parser.settings

    async def on_request(self, ctx: RequestContext) -> None:
        s = self.settings
        if s.enabled and ctx.body_bytes is not None and ctx.body_bytes > s.max_body_bytes:
            raise PayloadTooLarge(
                f"request body of {ctx.body_bytes} bytes is too large "
                f"(limit gateway.validation.max_body_bytes = {s.max_body_bytes})",
                code="request_too_large",
            )
        if ctx.body is not None and hasattr(ctx.body, "messages"):
            ctx.inputs = await self.parser.read(ctx.body)
