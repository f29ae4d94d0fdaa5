"""Fixtures of the gateway tests: a fast deterministic embedder, settings, request builders."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
import pytest

from serve.api.protocol import ChatCompletionRequest
from serve.gateway.config import GatewaySettings


class HashingEmbedder:
    """Bag of words hashed into 512 dimensions, unit-normalised (stands in for MiniLM)."""

    dims = 512

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dims] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


def settings(**overrides: Any) -> GatewaySettings:
    """Gateway settings with the given sections merged over the defaults."""
    return GatewaySettings.model_validate(overrides)


def chat(*parts: Any, role: str = "user", model: str = "interfaze", **extra: Any):
    """A chat request whose one message holds ``parts`` (a str for plain text)."""
    content = parts[0] if len(parts) == 1 and isinstance(parts[0], str) else list(parts)
    return ChatCompletionRequest.model_validate(
        {"model": model, "messages": [{"role": role, "content": content}], **extra}
    )


def text_part(text: str) -> dict:
    return {"type": "text", "text": text}


from tests.unit.media_samples import (  # noqa: E402,F401 - re-exported for the gateway tests
    audio_part,
    data_url,
    file_part,
    image_bytes,
    image_part,
    pdf_bytes,
    wav_bytes,
)
