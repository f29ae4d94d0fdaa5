"""Fixtures of the gateway tests: a fast deterministic embedder, settings, request builders."""

from __future__ import annotations

import base64
import hashlib
import io
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


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image_part(data: bytes, mime: str = "image/png") -> dict:
    return {"type": "image_url", "image_url": {"url": data_url(mime, data)}}


def file_part(data: bytes, mime: str = "application/pdf") -> dict:
    return {"type": "file", "file": {"file_data": data_url(mime, data), "filename": "a.pdf"}}


def audio_part(data: bytes, fmt: str = "wav") -> dict:
    return {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(data).decode(), "format": fmt},
    }


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (32, 16)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def pdf_bytes(pages: int) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        document.new_page(200, 200)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()
