"""ChatService with perception stages: media decoding, dispatch, degradation, error mapping."""

import base64

import pytest
from fastapi.testclient import TestClient

from deployments.common.errors import InputTooLarge
from serve.api.app import create_app
from serve.config.loader import load_config
from serve.llm.client import LLMClient
from serve.router.health import HealthReporter
from serve.router.service import ChatService
from serve.stages.client import StageClient
from tests.unit.fakes import FakeLLMHandle, FakeStageHandle

PDF = b"%PDF-1.4\n fake but sniffable"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 32

OCR_RESULT = {
    "pages": [
        {
            "number": 1,
            "text": "Invoice INV-0042\nTotal due: 1,234.50 EUR",
            "tables": [{"rows": [["Item", "Amount"], ["Widget", "1,234.50"]]}],
            "confidence": 0.97,
        }
    ],
    "confidence": 0.97,
}
CHART_RESULT = {
    "title": "Revenue",
    "y_axis": {"min": 0, "max": 100, "unit": "k$"},
    "table": [["Quarter", "Revenue"], ["Q1", 40], ["Q2", 55]],
    "confidence": 0.9,
    "is_chart": True,
}
TRANSCRIPT = {
    "text": "The meeting is on Friday.",
    "segments": [{"start": 0.0, "end": 2.1, "text": "The meeting is on Friday."}],
    "confidence": 0.92,
}


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def pdf_part(data: bytes = PDF, mime: str = "application/pdf", **extra) -> dict:
    return {"type": "file", "file": {"file_data": data_url(mime, data), **extra}}


def image_part(data: bytes = PNG, mime: str = "image/png") -> dict:
    return {"type": "image_url", "image_url": {"url": data_url(mime, data)}}


def audio_part(data: bytes = WAV, fmt: str = "wav") -> dict:
    encoded = base64.b64encode(data).decode()
    return {"type": "input_audio", "input_audio": {"data": encoded, "format": fmt}}


def text_part(text: str) -> dict:
    return {"type": "text", "text": text}


def build(stage_handles, **overrides):
    config = load_config("local", overrides or None)
    llm_handle = FakeLLMHandle("Answer.")
    timeout = config.routing.timeouts
    stages = {
        name: StageClient(
            name,
            handle,
            "transcribe" if name == "asr" else "process",
            timeout_s=timeout.for_stage(name),
        )
        for name, handle in stage_handles.items()
    }
    service = ChatService(config, LLMClient(llm_handle, config.llm.model_id), stages=stages)
    llm = service.llm
    app = create_app(
        chat_service=service,
        health=HealthReporter(llm, "local"),
        metrics_relay=None,
        max_request_bytes=config.router.max_request_bytes,
    )
    return TestClient(app), llm_handle, service


def ask(client, parts):
    return client.post(
        "/v1/chat/completions",
        json={"model": "interfaze", "messages": [{"role": "user", "content": parts}]},
    )


def test_pdf_goes_through_ocr_and_reaches_the_prompt_with_citations():
    ocr = FakeStageHandle(process=lambda payload: OCR_RESULT)
    client, llm, service = build({"ocr": ocr})
    response = ask(
        client,
        [pdf_part(filename="inv.pdf"), text_part("What is the total?")],
    )
    assert response.status_code == 200, response.text
    method, payload = ocr.calls[0]
    assert method == "process" and payload["data"] == PDF and payload["filename"] == "inv.pdf"
    data = response.json()
    assert data["choices"][0]["message"]["content"] == "1,234.50 EUR"
    meta = data["interfaze"]
    assert meta["escalated"] is False and meta["sources"] == ["doc1 p.1"]
    assert meta["route"] == ["plan", "ocr", "answer"] and llm.requests == []
    trace = service.traces.get(meta["trace_id"])
    assert trace["stages"][1]["summary"]["confidence"] == 0.97


def test_generation_question_escalates_with_cited_context():
    ocr = FakeStageHandle(process=lambda payload: OCR_RESULT)
    client, llm, _ = build({"ocr": ocr})
    response = ask(client, [pdf_part(), text_part("Summarize this invoice.")])
    assert response.status_code == 200
    assert response.json()["interfaze"]["escalated"] is True
    prompt = llm.requests[0]["prompt"]
    assert "[doc1 p.1 | page via ocr" in prompt and "Total due: 1,234.50 EUR" in prompt
    assert "[doc1 table 1 p.1 | table" in prompt and "Widget | 1,234.50" in prompt


def test_chart_image_goes_to_chart_parser_and_scan_to_ocr():
    chart = FakeStageHandle(
        classify=lambda p: {"is_chart": p["data"] == PNG, "confidence": 0.9},
        process=lambda p: CHART_RESULT,
    )
    ocr = FakeStageHandle(process=lambda p: OCR_RESULT)
    client, llm, _ = build({"chart": chart, "ocr": ocr})
    response = ask(
        client,
        [image_part(), text_part("Explain this chart.")],
    )
    assert response.status_code == 200
    assert [m for m, _ in chart.calls] == ["classify", "process"] and ocr.calls == []
    assert "Q2 | 55" in llm.requests[0]["prompt"]

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 16
    response = ask(
        client, [{"type": "image_url", "image_url": {"url": data_url("image/jpeg", jpeg)}}]
    )
    assert response.status_code == 200
    assert len(ocr.calls) == 1  # not a chart → OCR


def test_audio_goes_to_asr_with_timestamps():
    asr = FakeStageHandle(transcribe=lambda p: TRANSCRIPT)
    client, llm, _ = build({"asr": asr})
    response = ask(
        client,
        [audio_part()],
    )
    assert response.status_code == 200
    assert "[00:00.0-00:02.1] The meeting is on Friday." in llm.requests[0]["prompt"]


def test_stage_rejection_becomes_client_error_without_retry():
    def too_big(payload):
        raise InputTooLarge("PDF has 900 pages; the limit is 200", code="too_many_pages")

    ocr = FakeStageHandle(process=too_big)
    client, llm, _ = build({"ocr": ocr})
    response = ask(
        client, [{"type": "file", "file": {"file_data": data_url("application/pdf", PDF)}}]
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_pages"
    assert "limit is 200" in response.json()["error"]["message"]
    assert len(ocr.calls) == 1 and llm.requests == []


def test_failing_stage_is_retried_once_then_degraded():
    def broken(payload):
        raise RuntimeError("replica crashed")

    ocr = FakeStageHandle(process=broken)
    client, _, service = build({"ocr": ocr})
    response = ask(client, [pdf_part(), text_part("hi")])
    assert response.status_code == 200  # degraded, not failed
    assert len(ocr.calls) == 2
    trace = service.traces.get(response.json()["interfaze"]["trace_id"])
    assert "ocr:doc1" in trace["skipped"]


@pytest.mark.parametrize(
    ("part", "status", "code"),
    [
        (pdf_part(PNG), 415, "unsupported_media_type"),
        ({"type": "file", "file": {"file_data": "data:application/pdf;base64,@@@"}}, 400, None),
        ({"type": "file", "file": {"file_data": "data:application/pdf;base64,"}}, 400, None),
        ({"type": "file", "file": {"file_id": "file-123"}}, 415, "file_id_unsupported"),
        (image_part(PDF), 415, "media_type_mismatch"),
        ({"type": "image_url", "image_url": {"url": "https://e.com/a.png"}}, 415, None),
        (audio_part(b"not audio at all"), 415, None),
        (audio_part(b"AAAA", fmt="aiff"), 415, "unsupported_audio_format"),
    ],
)
def test_bad_media_is_rejected_before_any_stage(part, status, code):
    handles = {
        "ocr": FakeStageHandle(process=lambda p: OCR_RESULT),
        "chart": FakeStageHandle(classify=lambda p: {"is_chart": False, "confidence": 0.9}),
        "asr": FakeStageHandle(transcribe=lambda p: TRANSCRIPT),
    }
    client, llm, _ = build(handles)
    response = ask(client, [part])
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"]["code"] == code
    assert all(not h.calls for h in handles.values()) and llm.requests == []


def test_media_over_the_router_limit_is_413():
    client, _, _ = build(
        {"ocr": FakeStageHandle(process=lambda p: OCR_RESULT)}, router={"max_media_bytes": 16}
    )
    response = ask(
        client, [{"type": "file", "file": {"file_data": data_url("application/pdf", PDF * 4)}}]
    )
    assert response.status_code == 413
