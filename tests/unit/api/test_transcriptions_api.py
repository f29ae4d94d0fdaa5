"""POST /v1/audio/transcriptions: form parsing, formats, limits, error mapping (fake ASR)."""

import pytest

from deployments.common.errors import InputTooLarge
from tests.unit.fakes import FakeStageHandle
from tests.unit.harness import make_harness

WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 64
TEXT = "The invoice total is 42 dollars."
RESULT = {
    "text": TEXT,
    "language": "en",
    "language_probability": 0.99,
    "duration_s": 2.5,
    "segments": [{"id": 0, "start": 0.0, "end": 2.5, "text": TEXT, "confidence": 0.9}],
    "confidence": 0.9,
    "backend": "faster_whisper",
    "model": "tiny.en",
}


def make_client(fn=lambda payload: RESULT, max_bytes=1 << 20, enabled=True):
    handle = FakeStageHandle(transcribe=fn)
    app = make_harness(
        {"asr": handle} if enabled else {},
        llm_handle=False,
        gateway={"validation": {"max_part_bytes": max_bytes}},
    )
    return app.client, handle


def post(client, data=WAV, **form):
    form.setdefault("model", "whisper-1")
    return client.post(
        "/v1/audio/transcriptions", files={"file": ("clip.wav", data, "audio/wav")}, data=form
    )


def test_json_default_and_payload_forwarded():
    client, handle = make_client()
    response = post(client, language="en", prompt="invoice")
    assert response.status_code == 200, response.text
    assert response.json()["text"] == "The invoice total is 42 dollars."
    _, payload = handle.calls[0]
    assert payload["data"] == WAV and payload["mime"] == "audio/wav"
    assert payload["language"] == "en" and payload["prompt"] == "invoice"


@pytest.mark.parametrize(
    ("fmt", "media", "snippet"),
    [
        ("text", "text/plain", "The invoice total is 42 dollars."),
        ("srt", "text/plain", "00:00:00,000 --> 00:00:02,500"),
        ("vtt", "text/vtt", "WEBVTT"),
        ("verbose_json", "application/json", '"segments"'),
    ],
)
def test_formats(fmt, media, snippet):
    client, _ = make_client()
    response = post(client, response_format=fmt)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert snippet in response.text


def test_bad_format_unknown_model_limits_and_disabled():
    client, _ = make_client()
    assert post(client, response_format="mp4").status_code == 400
    assert post(client, model="dall-e").status_code == 404
    big, _ = make_client(max_bytes=16)
    assert post(big).status_code == 413
    off, _ = make_client(enabled=False)
    assert (
        off.post(
            "/v1/audio/transcriptions",
            files={"file": ("a.wav", WAV, "audio/wav")},
            data={"model": "whisper-1"},
        ).status_code
        == 503
    )


def test_deployment_rejection_maps_to_its_status():
    def too_long(payload):
        raise InputTooLarge("audio lasts 36000 s; the limit is 3600 s", code="audio_too_long")

    client, _ = make_client(too_long)
    response = post(client)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "audio_too_long"


def test_missing_file_is_400():
    client, _ = make_client()
    response = client.post("/v1/audio/transcriptions", data={"model": "whisper-1"})
    assert response.status_code == 400
