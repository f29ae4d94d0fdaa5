"""``/v1/documents``: the gateway lifecycle around the index deployment (one call or a stream)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request

from deployments.actions.retrieve.schema import LEGACY_OWNER
from deployments.common.errors import Overloaded, ServeError
from deployments.common.media import decode_data_url
from serve.api.lifecycle import RequestLifecycle
from serve.gateway.context import RequestContext
from serve.observability.record import RequestRecord
from serve.stages.client import unwrap_remote_error


class DocumentServing:
    """Turns the API request into the index deployment's request; maps its errors."""

    def __init__(
        self, handle: Any | None, lifecycle: RequestLifecycle, *, max_bytes: int, timeout_s: float
    ) -> None:
        self.handle = handle
        self.lifecycle = lifecycle
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def _payload(self, body: Any, owner: str) -> dict[str, Any]:
        if self.handle is None:
            raise Overloaded(
                "the index deployment is not enabled in this configuration",
                code="index_unavailable",
                retry_after=60,
            )
        payload = body.model_dump(exclude_none=True, exclude={"file_data", "stream"})
        payload["owner"] = owner
        if body.file_data is not None:
            media = decode_data_url(body.file_data, max_bytes=self.max_bytes)
            payload.update(data=media.data, mime=media.mime)
        return payload

    async def create(self, body: Any, request: Request, ctx: RequestContext | None) -> Any:
        await self.lifecycle.admit(ctx, body)
        record = self.lifecycle.open(request, ctx, "index")
        record.route = "documents"
        try:
            payload = self._payload(body, record.key_id or LEGACY_OWNER)
            if body.stream:
                events = self.handle.options(stream=True).index_stream.remote(payload)
                return self._lines(events, record, ctx)
            with record.stage("index"):
                result = await self.handle.index.remote(payload)
        except Exception as exc:
            cause = unwrap_remote_error(exc)
            error = cause if isinstance(cause, ServeError) else None
            status = error.status if error else 500
            await self.lifecycle.finish(record, ctx, status, str(cause)[:300])
            if error is not None:
                raise error from None
            raise
        await self.lifecycle.finish(record, ctx, 200)
        return result

    async def _lines(
        self, events: Any, record: RequestRecord, ctx: RequestContext | None
    ) -> AsyncIterator[str]:
        finished, status, error = False, 200, None
        try:
            with record.stage("index"):
                async for event in events:
                    yield json.dumps(event, default=str) + "\n"
            finished = True
        except BaseException as exc:
            status, error = 499, type(exc).__name__
            raise
        finally:
            if not finished:
                events.cancel()
            await self.lifecycle.finish(record, ctx, status, error)
