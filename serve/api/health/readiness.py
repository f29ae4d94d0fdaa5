"""Readiness: the warm-ups one router replica runs at start, and whether all have finished.

``/healthz`` says ``starting`` (503) until every tracked warm-up is done, so `ifz serve`'s
"ready" (and any load balancer) only sends traffic once the first request is as fast as the
tenth. A warm-up that fails still counts as finished: the replica serves without it (e.g.
rules-only intent) and the report says why.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from deployments.common.threads import lower_this_thread_priority

logger = logging.getLogger(__name__)


@dataclass
class WarmUp:
    """One warm-up (a thread or an asyncio task), timed."""

    name: str
    alive: Callable[[], bool]
    started: float
    finished: float | None = None
    error: str | None = None
    thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        if self.finished is None and not self.alive():
            self.finished = time.monotonic()  # a thread or task we did not start ourselves
        return self.finished is not None

    def report(self) -> dict[str, Any]:
        end = self.finished if self.finished is not None else time.monotonic()
        status = "running" if not self.done else ("failed" if self.error else "ok")
        out: dict[str, Any] = {"status": status, "s": round(end - self.started, 2)}
        if self.error:
            out["error"] = self.error
        return out


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


class Readiness:
    """The replica is ready when every warm-up registered here has finished."""

    def __init__(self) -> None:
        self._warm_ups: dict[str, WarmUp] = {}
        self._lock = threading.Lock()
        self.created = time.monotonic()

    def _add(self, warm_up: WarmUp) -> None:
        with self._lock:
            self._warm_ups[warm_up.name] = warm_up

    def run(self, name: str, fn: Callable[[], Any]) -> threading.Thread:
        """Run ``fn`` in a daemon thread, tracked as ``name``; exceptions are recorded."""

        def target() -> None:
            lower_this_thread_priority()  # the LLM engine's start and requests come first
            try:
                fn()
            except Exception as exc:  # the replica still serves; the report says why
                logger.exception("warm-up %s failed", name)
                warm_up.error = _describe(exc)
            finally:
                warm_up.finished = time.monotonic()

        thread = threading.Thread(target=target, name=f"warm-up-{name}", daemon=True)
        warm_up = WarmUp(name, thread.is_alive, time.monotonic(), thread=thread)
        self._add(warm_up)
        thread.start()
        return thread

    def run_async(self, name: str, work: Awaitable[Any]) -> asyncio.Task:
        """Run ``work`` as a task on the running loop, tracked as ``name``."""

        async def wrapped() -> None:
            try:
                await work
            except Exception as exc:
                logger.exception("warm-up %s failed", name)
                warm_up.error = _describe(exc)
            finally:
                warm_up.finished = time.monotonic()

        task = asyncio.get_running_loop().create_task(wrapped(), name=f"warm-up-{name}")
        warm_up = WarmUp(name, lambda: not task.done(), time.monotonic())
        self._add(warm_up)
        return task

    def track(self, name: str, thread: threading.Thread) -> None:
        """Track a thread someone else started (done when it has exited)."""
        self._add(WarmUp(name, thread.is_alive, time.monotonic(), thread=thread))

    @property
    def ready(self) -> bool:
        with self._lock:
            return all(w.done for w in self._warm_ups.values())

    def pending(self) -> list[str]:
        with self._lock:
            return [name for name, w in self._warm_ups.items() if not w.done]

    def join(self, name: str, timeout_s: float | None = None) -> None:
        """Wait for one threaded warm-up (a no-op for a name never registered)."""
        with self._lock:
            warm_up = self._warm_ups.get(name)
        if warm_up is not None and warm_up.thread is not None:
            warm_up.thread.join(timeout_s)

    def wait(self, timeout_s: float) -> bool:
        """Block until ready or ``timeout_s`` passed (tests, scripts); True when ready."""
        deadline = time.monotonic() + timeout_s
        while not self.ready and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.ready

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {name: w.report() for name, w in self._warm_ups.items()}
