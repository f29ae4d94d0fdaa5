"""One downstream deployment method behind a deadline, one retry, and error mapping."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from deployments.common.errors import Overloaded, ServeError, StageTimeout, UpstreamError

logger = logging.getLogger(__name__)


class StageUnavailable(Exception):
    """The stage failed, timed out or shed the call; the request may degrade around it."""

    def __init__(self, stage: str, reason: str, error: ServeError) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
        self.error = error

    @property
    def timed_out(self) -> bool:
        return isinstance(self.error, StageTimeout)


def unwrap_remote_error(exc: BaseException) -> BaseException:
    """Ray wraps a replica's exception; its ``cause`` is the original one."""
    return getattr(exc, "cause", None) or exc


class StageClient:
    """Calls ``handle.<method>.remote(payload)`` with a deadline and one retry.

    A :class:`ServeError` with a 4xx status (bad input) is the client's fault: it is raised
    as is, never retried. A full queue (backpressure) sheds the request: a 503 with
    Retry-After. A 5xx error, any other failure and timeouts raise :class:`StageUnavailable`,
    so the caller can answer around the stage (and say so) instead of failing the request.
    """

    def __init__(
        self, name: str, handle: Any, method: str, *, timeout_s: float, retries: int = 1
    ) -> None:
        self.name = name
        self.handle = handle
        self.method = method
        self.timeout_s = timeout_s
        self.retries = retries

    async def call(self, payload: dict[str, Any], *, method: str | None = None) -> Any:
        from ray.serve.exceptions import BackPressureError

        method = method or self.method
        last: ServeError = UpstreamError(f"stage {self.name} failed")
        reason = "failed"
        for attempt in range(self.retries + 1):
            response = getattr(self.handle, method).remote(payload)
            try:
                return await asyncio.wait_for(_await(response), timeout=self.timeout_s)
            except TimeoutError:
                _cancel(response)
                reason = f"timed out after {self.timeout_s:g} s"
                last = StageTimeout(f"stage {self.name} {reason}")
                break  # a retry would exceed the stage budget
            except asyncio.CancelledError:
                _cancel(response)
                raise
            except BackPressureError:
                # Shed, not degraded: the client is told to come back, with Retry-After.
                raise Overloaded(
                    f"stage {self.name} is at capacity; retry shortly",
                    code="stage_overloaded",
                    retry_after=2,
                ) from None
            except Exception as exc:
                cause = unwrap_remote_error(exc)
                if isinstance(cause, ServeError) and cause.is_client_error:
                    raise cause from None
                if isinstance(cause, ServeError):
                    reason = f"{cause.status} {cause.code}: {cause.message}"[:300]
                    last = cause
                else:
                    reason = f"error: {type(cause).__name__}: {cause}"[:300]
                    last = UpstreamError(f"stage {self.name} failed: {type(cause).__name__}")
                logger.warning("stage %s attempt %d failed: %s", self.name, attempt + 1, reason)
        raise StageUnavailable(self.name, reason, last)


async def _await(response: Any) -> Any:
    return await response


def _cancel(response: Any) -> None:
    cancel = getattr(response, "cancel", None)
    if cancel is not None:
        cancel()
