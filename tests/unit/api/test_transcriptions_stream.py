"""POST /v1/audio/transcriptions with stream=true: OpenAI's SSE events, in order, per segment."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from deployments.common.errors import InputTooLarge, MalformedInput
from deployments.embed.handles import LocalHandle
from tests.unit.fakes import transcription
from tests.unit.harness import make_harness

WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 64
SEGMENTS = [(0.0, 1.5, "The invoice total"), (1.5, 3.0, "is 42 dollars."), (3.0, 3.5, "")]


class StreamingAsr:
    """An ASR replica stand-in with both methods; records how far each stream was read."""

    def __init__(self, segments=SEGMENTS, fail_with: Exception | None = None, delay_s=0.0):
        self.result = transcription(" ".join(t for _, _, t in segments if t).strip(), segments)
        self.fail_with = fail_with
        self.delay_s = delay_s
        self.payloads: list[dict[str, Any]] = []
        self.yielded = 0
        self.closed = False

    async def transcribe(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        if self.fail_with:
            raise self.fail_with
        return self.result

    async def transcribe_stream(self, payload: dict[str, Any]):
        self.payloads.append(payload)
        if self.fail_with:
            raise self.fail_with
        try:
            for segment in self.result["segments"]:
                await asyncio.sleep(self.delay_s)
                self.yielded += 1
                yield {"type": "segment", "segment": segment}
            yield {"type": "done", "transcription": self.result}
        finally:
            self.closed = True


def make_client(asr: StreamingAsr, **gateway):
    app = make_harness({"asr": LocalHandle(asr)}, llm_handle=False, gateway=gateway)
    return app


def post(client, stream=True, **form):
    form.setdefault("model", "whisper-1")
    return client.post(
        "/v1/audio/transcriptions",
        files={"file": ("clip.wav", WAV, "audio/wav")},
        data={"stream": "true" if stream else "false", **form},
    )


def events(response) -> list[dict[str, Any]]:
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


def test_stream_sends_a_delta_per_spoken_segment_then_done():
    asr = StreamingAsr()
    app = make_client(asr)
    response = post(app.client, language="en")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    got = events(response)
    assert [e["type"] for e in got] == [
        "transcript.text.delta",
        "transcript.text.delta",
        "transcript.text.done",
    ]
    assert [e["delta"] for e in got[:2]] == ["The invoice total", " is 42 dollars."]
    done = got[-1]
    assert done["text"] == "".join(e["delta"] for e in got[:2])
    assert done["text"] == "The invoice total is 42 dollars."
    assert done["usage"] == {"type": "duration", "seconds": 4}
    assert asr.payloads[0]["language"] == "en" and asr.payloads[0]["data"] == WAV
    trace = app.trace(done["interfaze"]["trace_id"])
    assert trace["status"] == 200 and trace["stages"][0]["summary"]["segments"] == 3


def test_non_stream_is_unchanged():
    asr = StreamingAsr()
    response = post(make_client(asr).client, stream=False)
    assert response.status_code == 200
    assert response.json()["text"] == "The invoice total is 42 dollars."


def test_errors_before_the_first_segment_keep_their_status():
    assert post(make_client(StreamingAsr()).client, model="dall-e").status_code == 404
    bad = post(make_client(StreamingAsr(fail_with=MalformedInput("not audio"))).client)
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "not audio"
    big = post(make_client(StreamingAsr(fail_with=InputTooLarge("too long", code="x"))).client)
    assert big.status_code == 413
    srt = post(make_client(StreamingAsr()).client, response_format="srt")
    assert srt.status_code == 400 and srt.json()["error"]["param"] == "response_format"
    small = make_client(StreamingAsr(), validation={"max_part_bytes": 16})
    assert post(small.client).status_code == 413


def test_deadline_mid_stream_is_an_error_event_and_the_replica_stream_is_closed():
    asr = StreamingAsr(delay_s=0.3)
    app = make_client(asr)
    app.services.transcription.asr.timeout_s = 0.45
    response = post(app.client)
    assert response.status_code == 200  # the first segment came in time
    got = events(response)
    assert got[0]["type"] == "transcript.text.delta"
    assert got[-1]["error"]["code"] == "stage_timeout"
    assert asr.closed and asr.yielded < len(SEGMENTS)
    trace = app.services.lifecycle.traces.list(None)[0]
    assert trace["status"] == 504
