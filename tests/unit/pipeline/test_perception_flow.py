"""The pipeline with perception stages: media parsed once, dispatch, degradation, errors."""

import base64

import pytest

from deployments.common.errors import InputTooLarge
from tests.unit.fakes import FakeStageHandle, ocr_result, prompt_text, transcription
from tests.unit.harness import make_harness
from tests.unit.media_samples import image_bytes, pdf_bytes, wav_bytes

PDF = pdf_bytes(1)
PNG = image_bytes("PNG", (64, 48))
WAV = wav_bytes(2.1)

OCR_RESULT = ocr_result(
    {
        "text": "Invoice INV-0042\nTotal due: 1,234.50 EUR",
        "tables": [[["Item", "Amount"], ["Widget", "1,234.50"]]],
    }
)
CHART_RESULT = {
    "kind": "bar",
    "title": "Revenue",
    "x_labels": ["Q1", "Q2"],
    "y_axis": {"min": 0, "max": 100, "unit": "k$"},
    "series": [{"name": "Revenue", "values": [40, 55]}],
    "table": [["Quarter", "Revenue"], ["Q1", "40"], ["Q2", "55"]],
    "confidence": 0.9,
    "is_chart": True,
}
TRANSCRIPT = transcription("The meeting is on Friday.", [(0.0, 2.1, "The meeting is on Friday.")])


def chart_read(is_chart: bool, confidence: float = 0.9, result: dict | None = None):
    """A chart ``read`` handler: the verdict and, for a chart the caller would parse, ``result``."""

    def read(payload: dict) -> dict:
        verdict = {"is_chart": is_chart(payload) if callable(is_chart) else is_chart,
                   "confidence": confidence}  # fmt: skip
        parse = verdict["is_chart"] and confidence >= payload["min_confidence"]
        return {"verdict": verdict, "result": result if parse else None}

    return read


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
    app = make_harness(stage_handles, **overrides)
    return app, app.llm


def test_pdf_goes_through_ocr_and_reaches_the_prompt_with_citations():
    ocr = FakeStageHandle(process=lambda payload: OCR_RESULT)
    app, llm = build({"ocr": ocr})
    response = app.ask([pdf_part(filename="inv.pdf"), text_part("What is the total?")])
    assert response.status_code == 200, response.text
    method, payload = ocr.calls[0]
    assert method == "process" and payload["data"] == PDF and payload["filename"] == "inv.pdf"
    data = response.json()
    assert data["choices"][0]["message"]["content"] == "1,234.50 EUR"
    meta = data["interfaze"]
    assert meta["escalated"] is False and meta["sources"] == ["doc1 p.1"]
    assert meta["route"] == ["plan", "ocr", "answer"] and llm.requests == []
    trace = app.trace(meta["trace_id"])
    assert trace["stages"][1]["summary"]["confidence"] == 0.97
    assert trace["observations"][0]["data"]["width"] == 612.0  # page boxes for the playground


def test_generation_question_escalates_with_cited_context():
    ocr = FakeStageHandle(process=lambda payload: OCR_RESULT)
    app, llm = build({"ocr": ocr})
    response = app.ask([pdf_part(), text_part("Summarize this invoice.")])
    assert response.status_code == 200
    assert response.json()["interfaze"]["escalated"] is True
    prompt = prompt_text(llm.requests[0])
    assert "[doc1 p.1 | page via ocr" in prompt and "Total due: 1,234.50 EUR" in prompt
    assert "[doc1 table 1 p.1 | table" in prompt and "Widget | 1,234.50" in prompt


def test_chart_image_goes_to_chart_parser_and_scan_to_ocr():
    chart = FakeStageHandle(read=chart_read(lambda p: p["data"] == PNG, result=CHART_RESULT))
    ocr = FakeStageHandle(process=lambda p: OCR_RESULT)
    app, llm = build({"chart": chart, "ocr": ocr})
    response = app.ask([image_part(), text_part("Explain this chart.")])
    assert response.status_code == 200
    assert [m for m, _ in chart.calls] == ["read"] and ocr.calls == []  # one call per image
    assert chart.calls[0][1]["min_confidence"] == 0.5
    assert "Q2 | 55" in prompt_text(llm.requests[0])

    jpeg = image_bytes("JPEG")
    response = app.ask([{"type": "image_url", "image_url": {"url": data_url("image/jpeg", jpeg)}}])
    assert response.status_code == 200
    assert len(ocr.calls) == 1  # not a chart → OCR
    assert [m for m, _ in chart.calls] == ["read", "read"]


def test_an_unsure_chart_verdict_goes_to_ocr_unparsed():
    chart = FakeStageHandle(read=chart_read(True, confidence=0.4, result=CHART_RESULT))
    ocr = FakeStageHandle(process=lambda p: OCR_RESULT)
    app, llm = build({"chart": chart, "ocr": ocr})
    response = app.ask([image_part(), text_part("What does this say?")])
    assert response.status_code == 200
    assert len(chart.calls) == 1 and len(ocr.calls) == 1
    assert "Q2 | 55" not in prompt_text(llm.requests[0])


def test_audio_goes_to_asr_with_timestamps():
    asr = FakeStageHandle(transcribe=lambda p: TRANSCRIPT)
    app, llm = build({"asr": asr})
    response = app.ask([audio_part()])
    assert response.status_code == 200
    assert "[00:00.0-00:02.1] The meeting is on Friday." in prompt_text(llm.requests[0])


def test_stage_rejection_becomes_client_error_without_retry():
    def too_big(payload):
        raise InputTooLarge("PDF has 900 pages; the limit is 200", code="too_many_pages")

    ocr = FakeStageHandle(process=too_big)
    app, llm = build({"ocr": ocr})
    response = app.ask([{"type": "file", "file": {"file_data": data_url("application/pdf", PDF)}}])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_pages"
    assert "limit is 200" in response.json()["error"]["message"]
    assert len(ocr.calls) == 1 and llm.requests == []


def test_unreadable_document_is_a_retryable_503_not_a_silent_answer():
    def broken(payload):
        raise RuntimeError("replica crashed")

    ocr = FakeStageHandle(process=broken)
    app, llm = build({"ocr": ocr})
    response = app.ask([pdf_part(), text_part("What is the total?")])
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
    error = response.json()["error"]
    assert error["code"] == "stage_unavailable" and "doc1" in error["message"]
    assert len(ocr.calls) == 2 and llm.requests == []  # retried once, never answered blind
    [trace] = app.services.lifecycle.traces.list(None)
    stored = app.trace(trace["trace_id"])
    assert stored["status"] == 503 and "ocr:doc1" in stored["degraded"]
    assert [s["status"] for s in stored["stages"] if s["name"] == "ocr"] == ["degraded"]


def test_full_stage_queue_sheds_with_retry_after():
    from ray.serve.exceptions import BackPressureError

    def full(payload):
        raise BackPressureError(num_queued_requests=64, max_queued_requests=64)

    app, llm = build({"ocr": FakeStageHandle(process=full)})
    response = app.ask([pdf_part(), text_part("What is the total?")])
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "stage_overloaded" and llm.requests == []


def test_chart_parsed_but_ocr_backup_failed_keeps_the_chart():
    def broken(payload):
        raise RuntimeError("ocr down")

    weak = {**CHART_RESULT, "confidence": 0.2}
    chart = FakeStageHandle(read=chart_read(True, result=weak))
    app, _ = build({"chart": chart, "ocr": FakeStageHandle(process=broken)})
    response = app.ask([image_part(), text_part("Explain this chart.")])
    assert response.status_code == 200
    assert "ocr:img1" in response.json()["interfaze"]["degraded"]


@pytest.mark.parametrize(
    ("part", "status", "code"),
    [
        (pdf_part(PNG), 415, "media_type_mismatch"),
        ({"type": "file", "file": {"file_data": "data:application/pdf;base64,@@@"}}, 400, None),
        ({"type": "file", "file": {"file_data": "data:application/pdf;base64,"}}, 400, None),
        ({"type": "file", "file": {"file_id": "file-123"}}, 422, "file_id_unsupported"),
        (image_part(PDF), 415, "media_type_mismatch"),
        (
            {"type": "image_url", "image_url": {"url": "http://10.0.0.1/a.png"}},
            403,
            None,
        ),
        (audio_part(b"not audio at all"), 415, None),
        (audio_part(b"AAAA", fmt="aiff"), 422, "unsupported_audio_format"),
    ],
)
def test_bad_media_is_rejected_before_any_stage(part, status, code):
    handles = {
        "ocr": FakeStageHandle(process=lambda p: OCR_RESULT),
        "chart": FakeStageHandle(read=chart_read(False)),
        "asr": FakeStageHandle(transcribe=lambda p: TRANSCRIPT),
    }
    app, llm = build(handles)
    response = app.ask([part])
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"]["code"] == code
    assert all(not h.calls for h in handles.values()) and llm.requests == []


def test_media_over_the_router_limit_is_413():
    app, _ = build(
        {"ocr": FakeStageHandle(process=lambda p: OCR_RESULT)},
        gateway={"validation": {"max_part_bytes": 16}},
    )
    response = app.ask(
        [{"type": "file", "file": {"file_data": data_url("application/pdf", PDF * 4)}}]
    )
    assert response.status_code == 413
