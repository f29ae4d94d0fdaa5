"""The execute deployment as a plain class (the builder turns it into a Ray Serve deployment)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.layers import probe
from deployments.actions.execute.request import parse_request
from deployments.actions.execute.runner import SandboxRunner

logger = logging.getLogger(__name__)

CANARY_INTERVAL_S = 60.0  # how often check_health really runs a sandbox


class ExecuteDeployment:
    """Runs untrusted Python snippets in the strongest sandbox this host allows.

    The layering is probed once here; ``describe`` reports it (the router shows it in
    /healthz). Runs go to a thread pool of ``max_concurrent_runs`` threads, so the event loop
    never blocks and at most that many sandboxes exist at once; further requests wait.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = ExecuteSettings.model_validate(settings)
        found = probe(self.settings)
        self.plan = found.plan
        self.runner = SandboxRunner(found.plan, self.settings, found.cgroups)
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.max_concurrent_runs, thread_name_prefix="ifz-execute"
        )
        self._last_canary = time.monotonic()
        logger.info("execute ready: %s (%s)", self.plan.label, self.plan.strength)

    async def run(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run ``{"code", "stdin"?, "timeout_s"?}``; returns an ``ExecutionResult`` dict.

        Raises MalformedInput (400) / InputTooLarge (413) for bad input, SandboxFailure when
        the sandbox itself breaks. A cancelled request stops its sandbox.
        """
        parsed = parse_request(request, self.settings)
        cancel = threading.Event()
        job = functools.partial(
            self.runner.run,
            parsed.code,
            stdin=parsed.stdin,
            timeout_s=parsed.timeout_s,
            cancel=cancel,
        )
        future = asyncio.get_running_loop().run_in_executor(self._pool, job)
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            cancel.set()
            raise
        return result.model_dump(mode="json")

    async def describe(self) -> dict[str, Any]:
        """The ``SandboxReport``: active layers, missing ones with reasons, strength."""
        return self.plan.report().model_dump(mode="json")

    async def check_health(self) -> None:
        """Raise when the sandbox no longer runs a trivial snippet (checked once a minute)."""
        if time.monotonic() - self._last_canary < CANARY_INTERVAL_S:
            return
        self._last_canary = time.monotonic()
        job = functools.partial(self.runner.run, "print('ok')", timeout_s=10.0)
        result = await asyncio.get_running_loop().run_in_executor(self._pool, job)
        if result.exit_code != 0 or result.stdout.strip() != "ok":
            raise RuntimeError(f"execute sandbox canary failed: {result.stderr[-300:]}")

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._pool.shutdown(wait=False, cancel_futures=True)
