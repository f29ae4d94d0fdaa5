"""The browse deployment: a plain class Ray Serve wraps (see ``builder.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.service import BrowseService

logger = logging.getLogger(__name__)


class BrowseDeployment:
    """One Chromium per replica (launched on the first request) and a bounded page pool.

    ``browse`` takes ``{"url", "render_js"=True, "wait_for"=None, "timeout_s"=None}`` and
    returns ``PageResult.model_dump(mode="json")``; bad input raises an InputRejected
    subclass (the router maps it to 400/403/413/415/422/502/504), never a replica crash.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = BrowseSettings.model_validate(settings)
        self.service = BrowseService(self.settings)
        self._closed = False
        # Chromium's network namespace: a host that cannot make a required one fails here.
        self.service.prepare()

    async def browse(self, request: dict[str, Any]) -> dict[str, Any]:
        result = await self.service.browse(request)
        return result.model_dump(mode="json")

    async def describe(self) -> dict[str, Any]:
        """The ``IsolationReport`` (for /healthz): Chromium's network namespace, uid and
        sandbox, what is missing and why, and the uids its processes run as."""
        return (await self.service.describe()).model_dump(mode="json")

    async def check_health(self) -> None:
        """Ray Serve's health check: launch the browser early (the first check runs seconds
        after start, so the first request does not pay for it), relaunch a crashed one, and
        fail only if that is impossible."""
        await self.service.start()
        await self.service.check_health()

    async def shutdown(self) -> None:
        """Close the browser and its pages."""
        if not self._closed:
            self._closed = True
            await self.service.close()

    def __del__(self) -> None:
        # Ray Serve calls __del__ on the replica's event loop: schedule the clean close there.
        if getattr(self, "_closed", True):
            return
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            self._shutdown_task = loop.create_task(self.shutdown())
