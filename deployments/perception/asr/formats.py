"""OpenAI ``response_format`` renderings of a transcription: json, text, verbose_json, srt, vtt.

The router's ``POST /v1/audio/transcriptions`` calls :func:`render_transcription` with the
deployment's result and sends ``content`` with ``media_type``, so the official clients parse it
(``client.audio.transcriptions.create(..., response_format=...)``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from deployments.common.errors import MalformedInput
from deployments.perception.asr.languages import language_name
from deployments.perception.asr.protocol import Transcription

RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")


@dataclass(frozen=True)
class RenderedTranscription:
    """An HTTP body: ``content`` is a dict for JSON formats, text otherwise."""

    content: dict[str, Any] | str
    media_type: str

    @property
    def body(self) -> str:
        """``content`` serialised (JSON formats as compact JSON)."""
        if isinstance(self.content, str):
            return self.content
        return json.dumps(self.content, ensure_ascii=False, separators=(",", ":"))


def render_transcription(
    transcription: Transcription | dict[str, Any],
    response_format: str = "json",
    *,
    timestamp_granularities: list[str] | None = None,
) -> RenderedTranscription:
    """Render ``transcription`` (the deployment's dict or the model) as ``response_format``.

    ``timestamp_granularities`` containing "word" adds ``words`` to verbose_json; "segment"
    (the default) keeps ``segments``. Unknown formats raise MalformedInput (400).
    """
    fmt = (response_format or "json").lower()
    if fmt not in RESPONSE_FORMATS:
        raise MalformedInput(
            f"`response_format` must be one of {', '.join(RESPONSE_FORMATS)}; got "
            f"{response_format!r}",
            code="invalid_parameter",
        )
    result = (
        transcription
        if isinstance(transcription, Transcription)
        else Transcription.model_validate(transcription)
    )
    if fmt == "json":
        return RenderedTranscription(
            {"text": result.text, "usage": _usage(result)}, "application/json"
        )
    if fmt == "text":
        return RenderedTranscription(result.text + "\n", "text/plain; charset=utf-8")
    if fmt == "srt":
        return RenderedTranscription(to_srt(result), "text/plain; charset=utf-8")
    if fmt == "vtt":
        return RenderedTranscription(to_vtt(result), "text/vtt; charset=utf-8")
    return RenderedTranscription(
        to_verbose_json(result, timestamp_granularities), "application/json"
    )


def _usage(result: Transcription) -> dict[str, Any]:
    return {"type": "duration", "seconds": math.ceil(result.duration_s)}


def to_verbose_json(
    result: Transcription, timestamp_granularities: list[str] | None = None
) -> dict[str, Any]:
    """OpenAI's verbose_json: task, language name, duration, text, segments, words."""
    granularities = set(timestamp_granularities or ["segment"])
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": language_name(result.language),
        "duration": round(result.duration_s, 3),
        "text": result.text,
    }
    if "segment" in granularities or "word" not in granularities:
        body["segments"] = [
            {
                "id": s.id,
                "seek": s.seek,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": s.tokens,
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
                **({"speaker": s.speaker} if s.speaker else {}),
            }
            for s in result.segments
        ]
    if "word" in granularities:
        body["words"] = [
            {"word": w.word.strip(), "start": w.start, "end": w.end}
            for s in result.segments
            for w in s.words or []
        ]
    body["usage"] = _usage(result)
    return body


def format_timestamp(seconds: float, *, decimal: str = ",") -> str:
    """``HH:MM:SS,mmm`` (SRT) or with ``decimal="."`` ``HH:MM:SS.mmm`` (WebVTT)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def _cue_text(text: str) -> str:
    # a blank line would end the cue early in both formats
    return "\n".join(line for line in text.strip().splitlines() if line.strip())


def to_srt(result: Transcription) -> str:
    """SubRip: numbered cues from 1, comma before milliseconds."""
    cues = [
        f"{n}\n{format_timestamp(s.start)} --> {format_timestamp(s.end)}\n{_cue_text(s.text)}\n"
        for n, s in enumerate((s for s in result.segments if s.text.strip()), start=1)
    ]
    return "\n".join(cues)


def to_vtt(result: Transcription) -> str:
    """WebVTT: header, then cues with a dot before milliseconds."""
    cues = [
        f"{format_timestamp(s.start, decimal='.')} --> {format_timestamp(s.end, decimal='.')}\n"
        f"{_cue_text(s.text).replace('-->', '->')}\n"
        for s in result.segments
        if s.text.strip()
    ]
    return "WEBVTT\n\n" + "\n".join(cues)
