"""The interface every ASR backend implements, and the factory that picks one from settings."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.protocol import Segment


class BackendUnavailable(RuntimeError):
    """The configured backend's libraries are not installed (a deployment error)."""


@dataclass(frozen=True)
class DecodeOptions:
    """Per-request decoding choices (OpenAI form fields, already validated)."""

    language: str | None = None
    prompt: str | None = None
    temperature: float | None = None
    word_timestamps: bool = False


@dataclass
class BackendResult:
    """What a backend returns for one audio: segments and the language it heard."""

    segments: list[Segment]
    language: str
    language_probability: float


@dataclass
class BackendStream:
    """Segments produced lazily, one window at a time (the language is known up front)."""

    segments: Iterator[Segment]
    language: str
    language_probability: float


def stream_of(result: BackendResult) -> BackendStream:
    """A finished result as a stream (backends that cannot produce segments lazily)."""
    return BackendStream(iter(result.segments), result.language, result.language_probability)


class AsrBackend(Protocol):
    """Speech to timed segments; implementations hold one loaded model."""

    name: str
    model_name: str
    multilingual: bool

    def transcribe(self, samples: np.ndarray, options: DecodeOptions) -> BackendResult:
        """Transcribe 16 kHz mono float32 samples (blocking; called in a worker thread)."""
        ...


def start_stream(backend: AsrBackend, samples: np.ndarray, options: DecodeOptions) -> BackendStream:
    """The backend's lazy segments when it has ``transcribe_stream``, else its whole result."""
    lazy = getattr(backend, "transcribe_stream", None)
    if lazy is not None:
        return lazy(samples, options)
    return stream_of(backend.transcribe(samples, options))


def segment_confidence(avg_logprob: float | None, no_speech_prob: float | None) -> float:
    """exp(mean token log-prob), scaled down linearly once no-speech probability passes 0.5."""
    if avg_logprob is None or math.isnan(avg_logprob):
        return 0.0
    token_confidence = math.exp(min(0.0, avg_logprob))
    no_speech = no_speech_prob or 0.0
    speech = 1.0 - max(0.0, no_speech - 0.5) / 0.5
    return round(max(0.0, min(1.0, token_confidence * speech)), 4)


def load_backend(settings: AsrSettings) -> AsrBackend:
    """Load the configured backend and its model (once per replica)."""
    from deployments.perception.asr.models import resolve_model

    model = resolve_model(settings.model, settings.model_cache_dir)
    if settings.backend == "faster_whisper":
        from deployments.perception.asr.faster_whisper_backend import FasterWhisperBackend

        return FasterWhisperBackend(model, settings)
    if settings.backend == "whisperx":
        from deployments.perception.asr.whisperx_backend import WhisperXBackend

        return WhisperXBackend(model, settings)
    raise BackendUnavailable(f"unknown ASR backend {settings.backend!r}")
