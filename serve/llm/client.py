"""The router's client of the LLM deployment, over a DeploymentHandle."""

from __future__ import annotations

import asyncio
import logging
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
    """Streams a generation from the LLM deployment; closing the stream cancels it there."""

    def __init__(self, handle: Any, model_id: str) -> None:
        self.handle = handle
        self.model_id = model_id

    async def stream(
        self, request: GenerationRequest, *, timeout_s: float
    ) -> AsyncIterator[GenerationChunk]:
        """Yield chunks; raises a :class:`ServeError` on engine errors, overload, a dead
        replica (retryable 503) or the deadline (504)."""
        from ray.exceptions import RayActorError
        from ray.serve.exceptions import BackPressureError

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
