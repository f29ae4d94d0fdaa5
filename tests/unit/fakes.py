"""In-process stand-ins for DeploymentHandles (unit tests only; integration uses Ray)."""

from __future__ import annotations

import asyncio
from typing import Any


class FakeStreamResponse:
    """Mimics ``DeploymentResponseGenerator``: async iteration plus ``cancel()``."""

    def __init__(self, chunks: list[dict[str, Any]], delay_s: float) -> None:
        self._chunks = list(chunks)
        self._delay = delay_s
        self.cancelled = False

    def __aiter__(self):
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self.cancelled or not self._chunks:
            raise StopAsyncIteration
        if self._delay:
            await asyncio.sleep(self._delay)
        return self._chunks.pop(0)

    def cancel(self) -> None:
        self.cancelled = True


class _Method:
    def __init__(self, fn) -> None:
        self._fn = fn

    def remote(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)


class FakeLLMHandle:
    """Replies with the given text split into word chunks, then usage."""

    def __init__(self, text: str = "Paris is the capital.", delay_s: float = 0.0) -> None:
        self.text = text
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        self.responses: list[FakeStreamResponse] = []
        self.error: dict[str, Any] | None = None

    def options(self, **_: Any) -> FakeLLMHandle:
        return self

    def _generate(self, request: dict[str, Any]) -> FakeStreamResponse:
        self.requests.append(request)
        if self.error:
            chunks = [{"kind": "error", "error": self.error}]
        else:
            words = self.text.split(" ")
            chunks = [
                {"kind": "delta", "text": (w if i == 0 else " " + w)} for i, w in enumerate(words)
            ]
            chunks.append({"kind": "delta", "text": "", "finish_reason": "stop"})
            chunks.append(
                {"kind": "usage", "usage": {"prompt_tokens": 11, "completion_tokens": len(words)}}
            )
        response = FakeStreamResponse(chunks, self.delay_s)
        self.responses.append(response)
        return response

    @property
    def generate(self) -> _Method:
        return _Method(self._generate)

    @property
    def stats(self) -> _Method:
        async def _stats() -> dict[str, Any]:
            return {"model_id": "fake", "active": 0, "finished": 0, "cancelled": 0}

        return _Method(_stats)


class FakeStageHandle:
    """A perception/action handle: ``methods`` maps a method name to ``fn(payload) -> result``.

    ``fn`` may raise (as a replica would); ``calls`` records (method, payload) pairs.
    """

    def __init__(self, **methods) -> None:
        self.methods = methods
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> _Method:
        if name not in self.methods:
            raise AttributeError(name)

        def call(payload: dict[str, Any]):
            self.calls.append((name, payload))

            async def run():
                return self.methods[name](payload)

            return run()

        return _Method(call)


# ------------------------------------------------------------ deployment results (protocol)
def ocr_result(*pages: dict[str, Any], confidence: float = 0.97) -> dict[str, Any]:
    """An ``OcrResult`` dict; each page gives at least ``text`` (and ``tables`` as row lists)."""
    full = []
    for number, page in enumerate(pages, start=1):
        full.append(
            {
                "number": page.get("number", number),
                "width": 612.0,
                "height": 792.0,
                "source": page.get("source", "text_layer"),
                "text": page["text"],
                "blocks": page.get("blocks", []),
                "tables": [{"rows": rows} for rows in page.get("tables", [])],
                "confidence": page.get("confidence", confidence),
            }
        )
    return {
        "pages": full,
        "text": "\n\n".join(p["text"] for p in full),
        "confidence": confidence,
        "backend": "text_layer",
        "mime": "application/pdf",
        "page_count": len(full),
    }


def transcription(text: str, segments: list[tuple[float, float, str]], confidence: float = 0.92):
    """A ``Transcription`` dict."""
    return {
        "text": text,
        "language": "en",
        "language_probability": 0.99,
        "duration_s": segments[-1][1] if segments else 0.0,
        "segments": [
            {"id": i, "start": s, "end": e, "text": t, "confidence": confidence}
            for i, (s, e, t) in enumerate(segments)
        ],
        "confidence": confidence,
        "backend": "faster_whisper",
        "model": "tiny.en",
    }


def page_result(url: str, text: str, *, title: str = "", tables=(), status: int = 200):
    """A browse ``PageResult`` dict."""
    return {
        "url": url,
        "final_url": url,
        "status": status,
        "title": title,
        "text": text,
        "tables": [{"rows": rows} for rows in tables],
        "fetched_at": "2026-01-01T00:00:00Z",
        "renderer": "chromium",
    }


def execution_result(stdout: str, *, stderr: str = "", exit_code: int = 0, limits_hit=()):
    """An execute ``ExecutionResult`` dict."""
    return {
        "stdout": stdout,
        "stderr": stderr,
        "exit_code": exit_code,
        "duration_ms": 120.0,
        "limits_hit": list(limits_hit),
        "sandbox": "test",
    }


def prompt_text(request: dict[str, Any]) -> str:
    """What the LLM was given, whichever prompt format the profile uses."""
    if request.get("prompt") is not None:
        return request["prompt"]
    return "\n".join(str(m.get("content") or "") for m in request.get("messages") or [])
