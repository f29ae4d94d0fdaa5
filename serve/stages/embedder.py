"""Sentence embeddings from the ``embed`` deployment, for the router's own model work.

The gateway's injection detector, the intent classifier and passage re-ranking all take an
object with ``encode(texts) -> unit-normalised rows``. :class:`DeploymentEmbedder` gives them
the embed deployment (batched across callers and router replicas, scaled on its own) instead
of a MiniLM copy in every router replica. ``encode`` is synchronous: its callers run it in a
worker thread, never on the router's event loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class DeploymentEmbedder:
    """``encode`` through the embed deployment's handle (``embed(texts) -> rows``)."""

    def __init__(self, handle: Any, *, timeout_s: float = 30.0) -> None:
        self.handle = handle
        self.timeout_s = timeout_s

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        rows = self.handle.embed.remote(list(texts)).result(timeout_s=self.timeout_s)
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)
