"""WhisperX: batched faster-whisper with pyannote VAD, wav2vec2 word alignment and pyannote
speaker diarization. The gpu profile's backend; every WhisperX import is lazy.

WhisperX 3.8 pins torch 2.8 (CUDA), so it lives in the GPU image, not in the local CPU venv.
Alignment and diarization models come from the hub (or its cache): set ``align``/``diarize``
in ``backend_options`` only where they can be loaded (``hf_token`` for pyannote's pipeline).
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy as np

from deployments.perception.asr.backends import (
    BackendResult,
    BackendUnavailable,
    DecodeOptions,
    segment_confidence,
)
from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.faster_whisper_backend import hub_offline
from deployments.perception.asr.models import ResolvedModel
from deployments.perception.asr.protocol import Segment, Word

# backend_options consumed here; the rest go to whisperx.load_model(asr_options=...)
_OWN_OPTIONS = {
    "compute_type",
    "batch_size",
    "vad_method",
    "vad_options",
    "align",
    "align_model",
    "diarize",
    "diarize_model",
    "hf_token",
    "min_speakers",
    "max_speakers",
    # faster-whisper options with no WhisperX counterpart: ignored, so profiles can switch
    "vad_filter",
    "vad_parameters",
}


def import_whisperx() -> Any:
    """The ``whisperx`` module, or a BackendUnavailable that says how to get it."""
    try:
        import whisperx
    except Exception as exc:  # ImportError, or a broken torch/torchaudio pairing
        raise BackendUnavailable(
            "ASR backend 'whisperx' needs the whisperx package (gpu profile: "
            "pip install whisperx==3.8.6 with its CUDA torch 2.8); "
            f"import failed: {type(exc).__name__}: {exc}"
        ) from exc
    return whisperx


class WhisperXBackend:
    """One WhisperX pipeline per replica; alignment models are loaded per language, once."""

    name = "whisperx"

    def __init__(self, model: ResolvedModel, settings: AsrSettings) -> None:
        self._wx = import_whisperx()
        options = dict(settings.backend_options)
        self.model_name = model.name
        self._device = settings.device
        self._batch_size = int(options.get("batch_size", 8))
        self._align = bool(options.get("align", False))
        self._align_model_name = options.get("align_model")
        self._speaker_bounds = {
            k: options[k] for k in ("min_speakers", "max_speakers") if options.get(k)
        }
        asr_options = {k: v for k, v in options.items() if k not in _OWN_OPTIONS}
        self._pipeline = self._wx.load_model(
            model.source,
            device=settings.device,
            compute_type=options.get("compute_type", "default"),
            asr_options=asr_options or None,
            vad_method=options.get("vad_method", "pyannote"),
            vad_options=options.get("vad_options"),
            threads=settings.cpu_threads or 4,
            local_files_only=model.is_local or hub_offline(),
        )
        self.multilingual = bool(self._pipeline.model.model.is_multilingual)
        self._default_options = self._pipeline.options
        self._align_models: dict[str, tuple[Any, dict]] = {}
        self._lock = threading.Lock()
        if self._align and not self.multilingual:
            self._align_model("en")  # fail at replica start, not on the first request
        self._diarizer = None
        if options.get("diarize"):
            from whisperx.diarize import DiarizationPipeline

            self._diarizer = DiarizationPipeline(
                model_name=options.get("diarize_model"),
                token=options.get("hf_token"),
                device=settings.device,
            )

    def transcribe(self, samples: np.ndarray, options: DecodeOptions) -> BackendResult:
        language, probability = self._language(samples, options.language)
        with self._lock:  # the pipeline keeps per-call options on itself
            self._pipeline.options = self._request_options(options)
            try:
                result = self._pipeline.transcribe(
                    samples, batch_size=self._batch_size, language=language
                )
            finally:
                self._pipeline.options = self._default_options
        segments = result["segments"]
        if self._align and segments:
            align_model, metadata = self._align_model(language)
            segments = self._wx.align(segments, align_model, metadata, samples, self._device)[
                "segments"
            ]
        if self._diarizer is not None and segments:
            speakers = self._diarizer(samples, **self._speaker_bounds)
            segments = self._wx.assign_word_speakers(speakers, {"segments": segments})["segments"]
        converted = [
            whisperx_segment(i, s, words=options.word_timestamps) for i, s in enumerate(segments)
        ]
        return BackendResult(converted, language, probability)

    def _language(self, samples: np.ndarray, requested: str | None) -> tuple[str, float]:
        if requested:
            return requested, 1.0
        if not self.multilingual:
            return "en", 1.0
        language, probability, _ = self._pipeline.model.detect_language(samples)
        return language, float(probability)

    def _request_options(self, options: DecodeOptions) -> Any:
        changes: dict[str, Any] = {}
        if options.prompt:
            changes["initial_prompt"] = options.prompt
        if options.temperature is not None:
            changes["temperatures"] = [options.temperature]
        return dataclasses.replace(self._default_options, **changes)

    def _align_model(self, language: str) -> tuple[Any, dict]:
        if language not in self._align_models:
            try:
                self._align_models[language] = self._wx.load_align_model(
                    language_code=language,
                    device=self._device,
                    model_name=self._align_model_name,
                    model_cache_only=hub_offline(),
                )
            except Exception as exc:  # download refused, no model for the language, ...
                raise BackendUnavailable(
                    f"WhisperX alignment model for {language!r} could not be loaded "
                    f"({type(exc).__name__}: {exc}); set backend_options.align_model to a "
                    "cached wav2vec2 model or align: false"
                ) from exc
        return self._align_models[language]


def whisperx_segment(index: int, segment: dict[str, Any], *, words: bool) -> Segment:
    """Our Segment from a WhisperX segment dict (plain, aligned or with speakers)."""
    avg_logprob = segment.get("avg_logprob")
    scores = [float(w["score"]) for w in segment.get("words") or [] if "score" in w]
    if avg_logprob is not None:
        confidence = segment_confidence(avg_logprob, None)
    else:  # aligned segments may carry word scores only
        confidence = round(sum(scores) / len(scores), 4) if scores else 0.0
    word_list = None
    if words and segment.get("words") is not None:
        word_list = [
            Word(
                word=w["word"],
                start=round(float(w.get("start", segment["start"])), 3),
                end=round(float(w.get("end", segment["end"])), 3),
                probability=min(1.0, max(0.0, float(w.get("score", 1.0)))),
                speaker=w.get("speaker"),
            )
            for w in segment["words"]
        ]
    return Segment(
        id=index,
        start=round(float(segment["start"]), 3),
        end=round(float(segment["end"]), 3),
        text=str(segment["text"]).strip(),
        confidence=min(1.0, max(0.0, confidence)),
        avg_logprob=float(avg_logprob) if avg_logprob is not None else 0.0,
        speaker=segment.get("speaker"),
        words=word_list,
    )
