"""faster-whisper (CTranslate2 Whisper): the local CPU backend, Silero VAD built in."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from deployments.perception.asr.backends import (
    BackendResult,
    BackendStream,
    BackendUnavailable,
    DecodeOptions,
    segment_confidence,
)
from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.models import ResolvedModel
from deployments.perception.asr.protocol import Segment, Word

# backend_options that configure the model rather than each transcription
_MODEL_OPTIONS = {"compute_type"}


def hub_offline() -> bool:
    """Whether Hugging Face downloads are switched off (always the case in the local profile)."""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}


def transcribe_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """``WhisperModel.transcribe`` keywords from ``backend_options``; unknown keys fail early."""
    from faster_whisper import WhisperModel

    accepted = set(inspect.signature(WhisperModel.transcribe).parameters) - {"self", "audio"}
    kwargs = {k: v for k, v in options.items() if k not in _MODEL_OPTIONS}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ValueError(f"unknown faster-whisper backend_options {unknown}")
    return kwargs


class FasterWhisperBackend:
    """One ``faster_whisper.WhisperModel`` per replica."""

    name = "faster_whisper"

    def __init__(self, model: ResolvedModel, settings: AsrSettings) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise BackendUnavailable(f"faster-whisper is not installed: {exc}") from exc
        self.model_name = model.name
        self._kwargs = transcribe_kwargs(settings.backend_options)
        self._model = WhisperModel(
            model.source,
            device=settings.device,
            compute_type=settings.backend_options.get("compute_type", "default"),
            cpu_threads=settings.cpu_threads,
            num_workers=settings.num_workers,
            local_files_only=model.is_local or hub_offline(),
        )
        self.multilingual = bool(self._model.model.is_multilingual)

    def transcribe(self, samples: np.ndarray, options: DecodeOptions) -> BackendResult:
        stream = self.transcribe_stream(samples, options)
        return BackendResult(
            segments=list(stream.segments),
            language=stream.language,
            language_probability=stream.language_probability,
        )

    def transcribe_stream(self, samples: np.ndarray, options: DecodeOptions) -> BackendStream:
        """VAD and language detection now; each 30 s window is decoded when iterated."""
        kwargs = dict(self._kwargs)
        kwargs.update(
            language=options.language,
            initial_prompt=options.prompt or None,
            word_timestamps=options.word_timestamps,
        )
        if options.temperature is not None:
            kwargs["temperature"] = options.temperature
        segments, info = self._model.transcribe(samples, **kwargs)
        return BackendStream(
            segments=_segments(segments),
            language=info.language,
            language_probability=float(info.language_probability),
        )


def _segments(raw: Iterator[Any]) -> Iterator[Segment]:
    """Converted segments; closing this closes faster-whisper's generator (decoding stops)."""
    try:
        for index, segment in enumerate(raw):
            yield _segment(index, segment)
    finally:
        close = getattr(raw, "close", None)
        if close is not None:
            close()


def _segment(index: int, segment: Any) -> Segment:
    words = None
    if segment.words is not None:
        words = [
            Word(
                word=w.word,
                start=round(w.start, 3),
                end=round(w.end, 3),
                probability=min(1.0, max(0.0, float(w.probability))),
            )
            for w in segment.words
        ]
    return Segment(
        id=index,
        start=round(segment.start, 3),
        end=round(segment.end, 3),
        text=segment.text.strip(),
        confidence=segment_confidence(segment.avg_logprob, segment.no_speech_prob),
        avg_logprob=segment.avg_logprob,
        no_speech_prob=min(1.0, max(0.0, segment.no_speech_prob)),
        compression_ratio=segment.compression_ratio,
        temperature=segment.temperature or 0.0,
        seek=segment.seek,
        tokens=list(segment.tokens),
        words=words,
    )
