"""``AsrDeployment.transcribe_stream``: lazy segments, the same result as ``transcribe``, and
cancel safety (the real model, then a backend that decodes on demand)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from deployments.common.errors import MalformedInput
from deployments.perception.asr import deployment as deployment_module
from deployments.perception.asr.backends import BackendResult, BackendStream
from deployments.perception.asr.protocol import Segment, Transcription, TranscriptionEvent
from deployments.perception.asr.transcriber import Transcriber

from .samples import wav_header

session_loop = pytest.mark.asyncio(loop_scope="session")
SILENCE = wav_header(data_size=32000) + b"\x00" * 32000  # 1 s at 16 kHz


async def collect(stream) -> list[TranscriptionEvent]:
    return [TranscriptionEvent.model_validate(event) async for event in stream]


@session_loop
async def test_stream_matches_the_whole_transcription(asr_deployment, speech):
    request = {"data": speech.read("speech.wav"), "filename": "speech.wav"}
    events = await collect(asr_deployment.transcribe_stream(dict(request)))
    whole = Transcription.model_validate(await asr_deployment.transcribe(dict(request)))
    assert [e.type for e in events[:-1]] == ["segment"] * (len(events) - 1) and events[-1].type == (
        "done"
    )
    streamed = [e.segment for e in events[:-1]]
    done = events[-1].transcription
    assert done is not None and done.segments == streamed
    assert done.text == whole.text == " ".join(s.text for s in streamed if s.text)
    assert set(done.timings_ms) >= {"probe", "decode", "transcribe", "queue", "total"}


@session_loop
async def test_bad_input_fails_before_the_first_event(asr_deployment):
    with pytest.raises(MalformedInput):
        await anext(asr_deployment.transcribe_stream({"data": b"not audio at all"}))


class OnDemandBackend:
    """Decodes one segment each time the stream is advanced; ``gate`` can hold a decode."""

    name, model_name, multilingual = "fake", "fake", False

    def __init__(self, count: int = 5) -> None:
        self.count = count
        self.decoded = 0
        self.closed = False
        self.gate = threading.Event()
        self.gate.set()
        self.decoding = threading.Event()

    def transcribe(self, samples, options) -> BackendResult:
        stream = self.transcribe_stream(samples, options)
        return BackendResult(list(stream.segments), stream.language, stream.language_probability)

    def transcribe_stream(self, samples, options) -> BackendStream:
        def segments():
            try:
                for i in range(self.count):
                    self.decoding.set()
                    self.gate.wait(10)
                    self.decoded += 1
                    yield Segment(id=i, start=i, end=i + 1, text=f"part {i}", confidence=0.9)
            finally:
                self.closed = True

        return BackendStream(segments(), "en", 1.0)


@pytest.fixture
def fake_deployment(asr_settings, monkeypatch):
    backend = OnDemandBackend()
    monkeypatch.setattr(
        deployment_module, "Transcriber", lambda settings: Transcriber(settings, backend)
    )
    return deployment_module.AsrDeployment(asr_settings.model_dump(mode="json")), backend


@session_loop
async def test_segments_are_decoded_only_as_the_stream_is_read(fake_deployment):
    replica, backend = fake_deployment
    stream = replica.transcribe_stream({"data": SILENCE})
    first = await anext(stream)
    assert first["segment"]["text"] == "part 0" and backend.decoded == 1
    await anext(stream)
    assert backend.decoded == 2
    await stream.aclose()  # the caller went away: decoding stops, the slot is free again
    assert backend.closed and backend.decoded == 2
    assert replica._slots._value == replica.settings.max_concurrent_transcriptions


@session_loop
async def test_cancel_during_a_decode_waits_for_it_then_stops(fake_deployment):
    replica, backend = fake_deployment
    received: list[dict] = []

    async def consume():
        async for event in replica.transcribe_stream({"data": SILENCE}):
            received.append(event)
            backend.decoding.clear()
            backend.gate.clear()  # the next decode blocks in its worker thread

    task = asyncio.create_task(consume())
    while not (received and backend.decoding.is_set()):
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.sleep(0.1)
    assert not task.done()  # the decoder is still running: the stream is not closed under it
    backend.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.closed and backend.decoded == 2 and len(received) == 1
    assert replica._slots._value == replica.settings.max_concurrent_transcriptions
