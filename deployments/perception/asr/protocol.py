"""What the ASR deployment takes and returns (plain JSON across DeploymentHandles)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Word(BaseModel):
    """One word with its time span (word-level timestamps)."""

    word: str = Field(description="The word as written, with its leading space or punctuation.")
    start: float = Field(description="Start, in seconds from the beginning of the audio.")
    end: float = Field(description="End, in seconds.")
    probability: float = Field(1.0, ge=0, le=1, description="Model probability of the word.")
    speaker: str | None = Field(None, description="Speaker label (WhisperX diarization).")


class Segment(BaseModel):
    """One transcribed stretch of speech."""

    id: int = Field(description="Position of the segment, from 0.")
    start: float = Field(description="Start, in seconds.")
    end: float = Field(description="End, in seconds.")
    text: str = Field(description="The segment's text (stripped).")
    confidence: float = Field(
        ge=0, le=1, description="exp(avg_logprob), or the mean word probability, less no-speech."
    )
    avg_logprob: float = Field(0.0, description="Mean token log-probability of the segment.")
    no_speech_prob: float = Field(0.0, ge=0, le=1, description="Probability of no speech.")
    compression_ratio: float = Field(0.0, ge=0, description="gzip ratio (repetition detector).")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature that produced it.")
    seek: int = Field(0, ge=0, description="Offset of the 30 s window, in mel frames.")
    tokens: list[int] = Field(default_factory=list, description="Token ids of the segment.")
    speaker: str | None = Field(None, description="Speaker label (WhisperX diarization).")
    words: list[Word] | None = Field(None, description="Words, when word timestamps were asked.")


class SecondReading(BaseModel):
    """The same audio decoded again by another model (``second_reading_model``)."""

    model: str = Field(description="The model that made the second reading.")
    text: str = Field(description="Its whole transcript.")
    segments: list[Segment] = Field(default_factory=list, description="Its timed segments.")
    reasons: list[str] = Field(
        default_factory=list,
        description="Why the clip was read again: the unsure value words, or 'always'.",
    )
    transcribe_ms: float = Field(0.0, ge=0, description="Milliseconds the second model took.")


class Transcription(BaseModel):
    """The result of one transcription request."""

    text: str = Field(description="The whole transcript.")
    language: str = Field(description="ISO 639-1 code of the spoken language, e.g. 'en'.")
    language_probability: float = Field(ge=0, le=1, description="Confidence of the language.")
    duration_s: float = Field(ge=0, description="Duration of the decoded audio, in seconds.")
    segments: list[Segment] = Field(default_factory=list, description="Timed segments.")
    confidence: float = Field(
        ge=0, le=1, description="Duration-weighted mean of segment confidences (0 when silent)."
    )
    backend: str = Field(description="Backend that produced it: faster_whisper or whisperx.")
    model: str = Field(description="Model name from the settings.")
    timings_ms: dict[str, float] = Field(
        default_factory=dict, description="Milliseconds per step: probe, decode, transcribe, total."
    )
    second_reading: SecondReading | None = Field(
        None,
        description=(
            "A second model's reading of the clip, made when its value words were heard "
            "unsurely (settings second_reading_*); the answerers trust the values both hold."
        ),
    )


class TranscriptionRequest(BaseModel):
    """The dict the router sends to ``AsrDeployment.transcribe`` (OpenAI form fields + bytes)."""

    model_config = ConfigDict(extra="forbid")

    data: bytes = Field(description="The uploaded audio file, as is.")
    mime: str | None = Field(None, description="Content type the client declared.")
    filename: str | None = Field(None, description="File name the client sent.")
    language: str | None = Field(None, description="ISO 639-1 hint; None: detect.")
    prompt: str | None = Field(None, description="Text to condition on (names, spelling).")
    temperature: float | None = Field(
        None, ge=0, le=1, description="0..1; None: the fallback schedule."
    )
    timestamp_granularities: list[Literal["segment", "word"]] | None = Field(
        None, description="'word' adds word timestamps (slower)."
    )


class TranscriptionEvent(BaseModel):
    """One event of ``AsrDeployment.transcribe_stream``: a segment, then the whole result."""

    type: Literal["segment", "done"] = Field(description="segment: one more; done: the last.")
    segment: Segment | None = Field(None, description="The new segment (type segment).")
    transcription: Transcription | None = Field(
        None, description="The finished transcription, every segment included (type done)."
    )
