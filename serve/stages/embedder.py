"""Sentence embeddings from the ``embed`` deployment, for the router's own model work.

The gateway's injection detector, the intent classifier and passage re-ranking all take an
object with ``encode(texts) -> unit-normalised rows``. :class:`DeploymentEmbedder` gives them
the embed deployment (batched across callers and router replicas, scaled on its own) instead
of a MiniLM copy in every router replica. ``encode`` is synchronous: its callers run it in a
worker thread, never on the router's event loop.

The call itself is made on the event loop the embedder was built on (the replica's): with
Ray Serve's throughput-optimised mode the handle's router shares that loop and a handle may
not be used from a thread without one, so ``encode`` hands the call to the loop and waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class DeploymentEmbedder:
    """``encode`` through the embed deployment's handle (``embed(texts) -> rows``)."""

    def __init__(
        self,
        handle: Any,
        *,
        timeout_s: float = 30.0,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.handle = handle
        self.timeout_s = timeout_s
        self.loop = loop or _running_loop()  # built in the replica's constructor: its loop

    async def aencode_rows(self, texts: list[str]) -> list[list[float]]:
        return await self.handle.embed.remote(list(texts))

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self.loop is None or self.loop.is_closed():
            rows = self.handle.embed.remote(list(texts)).result(timeout_s=self.timeout_s)
        else:
            if _running_loop() is self.loop:
                raise RuntimeError("encode() blocks: call it from a worker thread, not the loop")
            future = asyncio.run_coroutine_threadsafe(self.aencode_rows(texts), self.loop)
            rows = future.result(timeout=self.timeout_s)
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)
