"""Indexing through the index deployment: one call, or a stream of progress events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from deployments.common.errors import InputRejected
from deployments.common.media import decode_data_url
from serve.api.errors import Overloaded
from serve.stages.client import rejection_to_api_error, unwrap_remote_error


class DocumentsService:
    """Turns the API request into the index deployment's request; maps its errors."""

    def __init__(self, handle: Any | None, *, max_bytes: int, timeout_s: float) -> None:
        self.handle = handle
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def _payload(self, body: Any) -> dict[str, Any]:
        if self.handle is None:
            raise Overloaded(
                "the index deployment is not enabled in this configuration",
                code="index_unavailable",
                retry_after=60,
            )
        payload = body.model_dump(exclude_none=True, exclude={"file_data", "stream"})
        if body.file_data is not None:
            try:
                media = decode_data_url(body.file_data, max_bytes=self.max_bytes)
            except InputRejected as exc:
                raise rejection_to_api_error(exc) from None
            payload.update(data=media.data, mime=media.mime)
        return payload

    async def index(self, body: Any) -> dict[str, Any]:
        payload = self._payload(body)
        try:
            return await self.handle.index.remote(payload)
        except Exception as exc:
            cause = unwrap_remote_error(exc)
            if isinstance(cause, InputRejected):
                raise rejection_to_api_error(cause) from None
            raise

    async def stream(self, body: Any) -> AsyncIterator[str]:
        payload = self._payload(body)
        events = self.handle.options(stream=True).index_stream.remote(payload)

        async def lines() -> AsyncIterator[str]:
            finished = False
            try:
                async for event in events:
                    yield json.dumps(event, default=str) + "\n"
                finished = True
            finally:
                if not finished:
                    events.cancel()

        return lines()
