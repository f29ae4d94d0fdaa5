"""The router's client of the LLM deployment, over a DeploymentHandle."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from deployments.common.errors import (
    BadRequest,
    Overloaded,
    ServeError,
    StageTimeout,
    UpstreamError,
)
from deployments.llm.protocol import GenerationChunk, GenerationRequest

logger = logging.getLogger(__name__)


def _error_from_chunk(error: dict[str, Any]) -> ServeError:
    message = str(error.get("message") or "the LLM returned an error")
    code = error.get("code")
    status = code if isinstance(code, int) else 0
    if status == 400 or error.get("type") in ("BadRequestError", "invalid_request_error"):
        return BadRequest(f"LLM rejected the request: {message}", code="llm_bad_request")
    if status == 503:
        return Overloaded(f"LLM unavailable: {message}", retry_after=5)
    return UpstreamError(f"LLM error: {message}")


class LLMClient:
    """Streams a generation from the LLM deployment; closing the stream cancels it there.

    After a replica died under a request, new requests do not wait in Serve's queue for the
    replacement (a minute on CPU): each first asks a live replica for its counters (within
    ``probe_timeout_s``, one probe shared by concurrent callers) and gets a retryable 503 while
    none answers. The first answer ends this state.
    """

    def __init__(self, handle: Any, model_id: str, *, probe_timeout_s: float = 1.0) -> None:
        self.handle = handle
        self.model_id = model_id
        self.probe_timeout_s = probe_timeout_s
        self.replica_lost_at: float | None = None  # monotonic time of the last replica death
        self._probe: asyncio.Task | None = None

    async def _check_replica(self) -> None:
        """Raise a retryable 503 while no LLM replica answers after a replica died."""
        if self.replica_lost_at is None:
            return
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self.stats(timeout_s=self.probe_timeout_s))
        try:
            await asyncio.shield(self._probe)
        except Exception as exc:
            raise Overloaded(
                "the LLM replica is restarting; retry shortly",
                code="llm_replica_unavailable",
                retry_after=5,
            ) from exc
        logger.info(
            "LLM replica answers again %.1f s after one died",
            time.monotonic() - self.replica_lost_at,
        )
        self.replica_lost_at = None

    async def stream(
        self, request: GenerationRequest, *, timeout_s: float
    ) -> AsyncIterator[GenerationChunk]:
        """Yield chunks; raises a :class:`ServeError` on engine errors, overload, a dead
        replica (retryable 503) or the deadline (504)."""
        from ray.exceptions import RayActorError
        from ray.serve.exceptions import BackPressureError

        await self._check_replica()
        response = self.handle.options(stream=True).generate.remote(
            request.model_dump(exclude_defaults=True)
        )
        finished = False
        try:
            async with asyncio.timeout(timeout_s):
                async for raw in response:
                    for item in raw if isinstance(raw, list) else [raw]:
                        chunk = GenerationChunk.model_validate(item)
                        if chunk.kind == "error":
                            raise _error_from_chunk(chunk.error or {})
                        yield chunk
            finished = True
        except TimeoutError:
            raise StageTimeout(f"LLM stage exceeded its {timeout_s:.0f} s deadline") from None
        except BackPressureError as exc:
            raise Overloaded(
                "the LLM deployment's queue is full; retry shortly", retry_after=2
            ) from exc
        except RayActorError as exc:  # the replica died mid-request: the next one may serve
            logger.warning("LLM replica failed during %s: %s", request.request_id, exc)
            self.replica_lost_at = time.monotonic()
            raise Overloaded(
                "the LLM replica failed while generating; retry shortly",
                code="llm_replica_unavailable",
                retry_after=5,
            ) from exc
        finally:
            if not finished:
                response.cancel()

    async def stats(self, timeout_s: float = 5.0) -> dict[str, Any]:
        """The LLM replica's live counters (used by health checks and tests)."""
        return await asyncio.wait_for(self.handle.stats.remote(), timeout=timeout_s)
