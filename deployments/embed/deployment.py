"""The embed deployment class (plain Python; the builder turns it into a Ray Serve deployment)."""

from __future__ import annotations

import asyncio
from typing import Any

from deployments.common.errors import InputTooLarge, MalformedInput
from deployments.embed.batching import MicroBatcher
from deployments.embed.config import EmbedSettings
from deployments.embed.model import Embedder


class EmbedDeployment:
    """Sentence embeddings; concurrent callers share forward passes (micro-batching)."""

    def __init__(self, settings: dict[str, Any] | EmbedSettings | None = None) -> None:
        self.settings = (
            settings
            if isinstance(settings, EmbedSettings)
            else EmbedSettings.model_validate(settings or {})
        )
        s = self.settings
        self.embedder = Embedder(
            s.model,
            device=s.device,
            batch_size=s.batch_size,
            normalize=s.normalize,
            max_length=s.max_length,
            torch_threads=s.torch_threads,
        )
        self._batcher = MicroBatcher(self.embedder.embed, max_batch=s.batch_size)

    def _validate(self, texts: Any) -> list[str]:
        if isinstance(texts, str) or not isinstance(texts, list):
            raise MalformedInput("texts must be a list of strings", code="invalid_texts")
        if len(texts) > self.settings.max_texts_per_request:
            raise InputTooLarge(
                f"{len(texts)} texts exceed max_texts_per_request="
                f"{self.settings.max_texts_per_request}",
                code="too_many_texts",
            )
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise MalformedInput(f"texts[{i}] is not a string", code="invalid_texts")
            if len(text) > self.settings.max_text_chars:
                raise InputTooLarge(
                    f"texts[{i}] has {len(text)} characters, over max_text_chars="
                    f"{self.settings.max_text_chars}",
                    code="text_too_long",
                )
        return texts

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text (``dimension`` floats each), in order."""
        return await self._batcher.submit(self._validate(texts))

    async def embed_counted(self, texts: list[str]) -> dict[str, Any]:
        """:meth:`embed` plus the embedder's token count per text (``/v1/embeddings`` usage):
        ``{"vectors", "tokens", "truncated"}`` (truncated: longer than ``max_length``)."""
        texts = self._validate(texts)
        counted = asyncio.to_thread(self.embedder.count_tokens, texts)
        vectors, counts = await asyncio.gather(self._batcher.submit(texts), counted)
        return {
            "vectors": vectors,
            "tokens": [n for n, _ in counts],
            "truncated": [cut for _, cut in counts],
        }

    async def info(self) -> dict[str, Any]:
        """Model name, vector dimension and limits (used by retrieve to size its schema)."""
        return {
            "model": self.settings.model,
            "dimension": self.embedder.dimension,
            "max_length": self.embedder.max_length,
            "normalize": self.settings.normalize,
        }

    async def check_health(self) -> None:
        """Cheap liveness: the model is loaded (a forward pass would queue behind real work)."""
        if self.embedder.dimension <= 0:
            raise RuntimeError("embedding model not loaded")

    def __del__(self) -> None:
        self._batcher.close()
