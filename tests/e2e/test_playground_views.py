"""The playground in headless Chromium against the full trace contract.

The live app does not record every field of the contract yet (observations, answer, llm,
cost, the trace list), so this module serves the real playground router next to a small API
that answers in that contract: a PDF's OCR blocks come from the project's own PDF text layer,
everything else is fixture data. ``test_playground.py`` drives the page against the live app.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from tests.unit.playground.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    INVOICE_LINES,
    ThreadServer,
    artifact_dir,
    invoice_pdf,
)

pytestmark = pytest.mark.e2e

LLM = "gemma-3-270m"


def speech_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    import math
    import struct
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(int(seconds * rate))
        )
        out.writeframes(b"".join(frames))
    return buffer.getvalue()


# ------------------------------------------------------------------ the contract-shaped API
def _ocr_page(pdf: bytes) -> dict[str, Any]:
    """OCR page data as the contract has it, from the PDF's real text layer (PDFium)."""
    from deployments.perception.ocr.pdf_text import PdfDocument

    document = PdfDocument(pdf)
    try:
        page = document.text_layer(0)
    finally:
        document.close()
    blocks = [{"text": line.text, "bbox": list(line.bbox)} for line in page.lines]
    return {"page": 1, "width": page.width, "height": page.height, "blocks": blocks}


def _stage(name, start, duration, status="ok", **summary) -> dict[str, Any]:
    return {
        "name": name,
        "started_ms": start,
        "duration_ms": duration,
        "status": status,
        "summary": summary,
    }


def _trace(trace_id: str, model: str, **fields: Any) -> dict[str, Any]:
    base = {
        "trace_id": trace_id,
        "model": model,
        "started_at": time.time(),
        "route": "text",
        "plan": [],
        "skipped": {},
        "inputs": {},
        "stages": [],
        "confidence": 0.0,
        "escalated": False,
        "escalation_reason": "",
        "status": 200,
        "error": None,
    }
    base.update(fields)
    return base


def scenario(body: dict[str, Any], trace_id: str) -> tuple[str, dict[str, Any]]:
    """The answer text and the trace for a request (chosen by its inputs and question)."""
    message = body["messages"][-1]["content"]
    parts = message if isinstance(message, list) else [{"type": "text", "text": message}]
    question = " ".join(p.get("text", "") for p in parts if p["type"] == "text")
    pdf = next((p for p in parts if p["type"] == "file"), None)
    audio = next((p for p in parts if p["type"] == "input_audio"), None)
    model = body["model"]
    if pdf and model == LLM:
        return "The total due on the invoice is $1,231.20.", _trace(
            trace_id,
            model,
            route="pdf",
            plan=["ocr", "context", "llm"],
            stages=[
                _stage("plan", 0.1, 1.9, route="pdf"),
                _stage("ocr", 2.2, 150.0, source="doc1", confidence=0.99),
                _stage("context", 152.5, 2.0),
                _stage("llm", 155.0, 1460.0, model=LLM, first_token_ms=390.0),
            ],
            escalated=True,
            escalation_reason="llm_only baseline: every request goes to the LLM",
            confidence=0.0,
            llm={"model": LLM, "prompt_tokens": 412, "completion_tokens": 18},
            answer={"text": None, "answerer": "llm", "confidence": None, "sources": []},
            observations=[],
            cost_usd=0.000431,
        )
    if pdf:
        data = base64.b64decode(pdf["file"]["file_data"].split(",", 1)[1])
        page = _ocr_page(data)
        text = "\n".join(b["text"] for b in page["blocks"])
        rows = [["Item", "Qty", "Price"], ["Widgets", "10", "$114.00"], ["Total", "", "$1,231.20"]]
        return "$1,231.20", _trace(
            trace_id,
            model,
            route="pdf",
            plan=["ocr", "context", "answer"],
            stages=[
                _stage("plan", 0.1, 2.1, route="pdf", stages=["ocr", "context", "answer"]),
                _stage("ocr", 2.5, 180.4, source="doc1", bytes=len(data), confidence=0.99),
                _stage("context", 183.2, 3.1, blocks=2),
                _stage("answer", 186.5, 4.4, answerer="document_fields"),
            ],
            confidence=0.97,
            observations=[
                {
                    "source_id": "doc1",
                    "locator": "p.1",
                    "kind": "page",
                    "stage": "ocr",
                    "confidence": 0.99,
                    "text": text,
                    "data": page,
                },
                {
                    "source_id": "doc1",
                    "locator": "table 1 p.1",
                    "kind": "table",
                    "stage": "ocr",
                    "confidence": 0.95,
                    "text": "Item | Qty | Price",
                    "data": {"page": 1, "rows": rows},
                },
            ],
            answer={
                "text": "$1,231.20",
                "answerer": "document_fields",
                "confidence": 0.97,
                "sources": ["doc1 p.1"],
            },
            llm={"model": LLM, "prompt_tokens": 0, "completion_tokens": 0},
            cost_usd=0.00012,
        )
    if audio:
        segments = [
            {"start": 0.0, "end": 2.4, "text": "The invoice total is four hundred dollars."},
            {"start": 2.4, "end": 4.1, "text": "Payment is due on Friday."},
        ]
        return "Friday", _trace(
            trace_id,
            model,
            route="audio",
            stages=[
                _stage("plan", 0.1, 1.5, route="audio"),
                _stage("asr", 1.8, 620.0, source="audio1", confidence=0.86),
                _stage("answer", 622.0, 3.0),
            ],
            confidence=0.9,
            observations=[
                {
                    "source_id": "audio1",
                    "locator": "",
                    "kind": "transcript",
                    "stage": "asr",
                    "confidence": 0.86,
                    "text": " ".join(s["text"] for s in segments),
                    "data": {"segments": segments, "language": "en"},
                }
            ],
            answer={
                "text": "Friday",
                "answerer": "transcript",
                "confidence": 0.9,
                "sources": ["audio1"],
            },
            llm={"model": LLM, "prompt_tokens": 0, "completion_tokens": 0},
            cost_usd=0.0002,
        )
    if "```" in question:
        code = "print(sum(range(10)))"
        return "45", _trace(
            trace_id,
            model,
            route="url",
            plan=["browse", "execute", "retrieve", "answer"],
            skipped={"ocr": "not deployed"},
            stages=[
                _stage("plan", 0.1, 1.2, route="url"),
                _stage(
                    "browse", 1.5, 15000.0, "timeout", source="url1", url="http://127.0.0.1:9/x"
                ),
                _stage("execute", 1.6, 130.0, source="exec1", code_chars=len(code)),
                _stage("retrieve", 132.0, 40.0, "degraded", reason="index unavailable"),
                _stage("chart", 175.0, 12.0, "StageUnavailable"),
                _stage("answer", 15002.0, 2.0),
            ],
            confidence=1.0,
            observations=[
                {
                    "source_id": "exec1",
                    "locator": "",
                    "kind": "execution",
                    "stage": "execute",
                    "confidence": 1.0,
                    "text": "45",
                    "data": {"code": code, "stdout": "45\n", "stderr": "", "exit_code": 0},
                }
            ],
            answer={"text": "45", "answerer": "execute", "confidence": 1.0, "sources": ["exec1"]},
            llm={"model": LLM, "prompt_tokens": 0, "completion_tokens": 0},
            cost_usd=0.0001,
        )
    if "legacy" in question:  # a trace as today's server records it
        return "Paris is the capital of France.", _trace(
            trace_id,
            model,
            stages=[
                _stage("plan", 0.1, 1.0, route="text"),
                _stage("llm", 1.5, 800.0, "TimeoutError", model=LLM),
            ],
            escalated=True,
            status=504,
            error="stage llm timed out",
        )
    return "Paris is the capital of France.", _trace(
        trace_id,
        model,
        stages=[_stage("plan", 0.1, 1.0, route="text"), _stage("llm", 1.5, 700.0, model=LLM)],
        escalated=True,
        escalation_reason="no small-stack answerer for a knowledge question",
        confidence=0.3,
        llm={"model": LLM, "prompt_tokens": 35, "completion_tokens": 8},
        answer={"text": None, "answerer": "llm", "confidence": None, "sources": []},
        observations=[],
        cost_usd=0.00004,
    )


class ContractAPI:
    """The API routes the page calls, answering in the trace contract."""

    def __init__(self) -> None:
        self.traces: dict[str, dict[str, Any]] = {}
        self.list_calls: list[dict[str, str]] = []
        self.list_supported = True
        self.requests: list[dict[str, Any]] = []
        self.required_key: str | None = None
        self.authorizations: list[str | None] = []

    def app(self):
        from serve.api.errors import install_error_handlers
        from serve.playground.router import router

        app = FastAPI()
        install_error_handlers(app)
        app.include_router(router)

        @app.get("/v1/models")
        async def models():
            embed = {"id": "minilm", "description": "Sentence embeddings (/v1/embeddings)."}
            return {"object": "list", "data": [{"id": "interfaze"}, {"id": LLM}, embed]}

        @app.get("/v1/traces")
        async def list_traces(request: Request):
            if not self.list_supported:
                return JSONResponse(
                    {"error": {"message": "no", "type": "x", "code": "not_found"}}, status_code=404
                )
            params = dict(request.query_params)
            self.list_calls.append(params)
            items = sorted(self.traces.values(), key=lambda t: -t["started_at"])
            if params.get("escalated"):
                items = [t for t in items if str(t["escalated"]).lower() == params["escalated"]]
            if params.get("route"):
                items = [t for t in items if t["route"] == params["route"]]
            if params.get("status"):
                items = [t for t in items if t["status"] == int(params["status"])]
            summaries = [
                {
                    k: t.get(k)
                    for k in (
                        "trace_id",
                        "model",
                        "started_at",
                        "route",
                        "escalated",
                        "confidence",
                        "status",
                        "cost_usd",
                    )
                }
                for t in items
            ]
            return {"object": "list", "data": summaries[: int(params.get("limit", 50))]}

        @app.get("/v1/traces/{trace_id}")
        async def get_trace(trace_id: str):
            if trace_id not in self.traces:
                return JSONResponse(
                    {
                        "error": {
                            "message": "not found",
                            "type": "invalid_request_error",
                            "code": "trace_not_found",
                        }
                    },
                    status_code=404,
                )
            return self.traces[trace_id]

        @app.post("/v1/chat/completions")
        async def chat(request: Request):
            self.authorizations.append(request.headers.get("authorization"))
            if self.required_key and request.headers.get("authorization") != (
                f"Bearer {self.required_key}"
            ):
                error = {"message": "missing API key", "type": "authentication_error"}
                return JSONResponse({"error": error | {"code": "missing_api_key"}}, 401)
            body = await request.json()
            self.requests.append(body)
            trace_id = uuid.uuid4().hex
            text, trace = scenario(body, trace_id)
            meta = {
                "escalated": trace["escalated"],
                "route": [s["name"] for s in trace["stages"]],
                "confidence": trace["confidence"],
                "trace_id": trace_id,
                "usage": {
                    "llm_prompt_tokens": (trace.get("llm") or {}).get("prompt_tokens", 0),
                    "llm_completion_tokens": (trace.get("llm") or {}).get("completion_tokens", 0),
                },
                "timings_ms": {s["name"]: s["duration_ms"] for s in trace["stages"]}
                | {"total": max(s["started_ms"] + s["duration_ms"] for s in trace["stages"])},
                "answerer": (trace.get("answer") or {}).get("answerer"),
                "sources": (trace.get("answer") or {}).get("sources", []),
            }

            async def events():
                chunk = {
                    "id": f"chatcmpl-{trace_id}",
                    "object": "chat.completion.chunk",
                    "model": body["model"],
                }
                words = text.split(" ")
                for index, word in enumerate(words):
                    piece = word if index == 0 else f" {word}"
                    yield (
                        "data: "
                        + json.dumps(
                            chunk | {"choices": [{"index": 0, "delta": {"content": piece}}]}
                        )
                        + "\n\n"
                    )
                    await asyncio.sleep(0.02)
                final = {
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "interfaze": meta,
                }
                yield "data: " + json.dumps(chunk | final) + "\n\n"
                self.traces[trace_id] = trace
                usage = {
                    "prompt_tokens": meta["usage"]["llm_prompt_tokens"],
                    "completion_tokens": meta["usage"]["llm_completion_tokens"],
                }
                yield "data: " + json.dumps(chunk | {"choices": [], "usage": usage}) + "\n\n"
                yield "data: [DONE]\n\n"

            return StreamingResponse(
                events(), media_type="text/event-stream", headers={"x-request-id": trace_id}
            )

        return app


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def api():
    contract = ContractAPI()
    with ThreadServer(contract.app()) as server:
        contract.url = server.url
        yield contract


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/apt-packages.txt installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, api):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=api.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Chromium logs every 4xx response as a console error; the page expects some (a trace not
    # flushed yet is retried, a server without the trace list falls back, a 401 asks for the
    # key) and shows them itself, so those are not failures. Script errors always are.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not re.search(r"status of 4\d\d", m.text)
            else None
        ),
    )
    page.goto(api.url + "/")
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_selector("#server-status[data-state='ok']")
    # Chat models only: the pipeline and the LLM alone, not the embedding model.
    assert page.eval_on_selector_all("#model option", "os => os.map(o => o.value)") == [
        "interfaze",
        LLM,
    ]
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    return artifact_dir(tmp_path_factory.mktemp("playground-artifacts"))


def ask(page, question: str, files: list[tuple[str, str, bytes]] = ()):
    for name, mime, data in files:
        page.set_input_files(
            "#file-input", files=[{"name": name, "mimeType": mime, "buffer": data}]
        )
    page.fill("#question", question)
    page.click("#send")
    turn = page.locator(".turn").last
    turn.locator(".trace .trace-id").wait_for()
    return turn


def stage_row(turn, name: str):
    return turn.locator(f".stage-row[data-stage='{name}']")


# ----------------------------------------------------------------------------- tests
def test_pdf_answer_waterfall_and_ocr_boxes_over_the_page(page, api, artifacts):
    turn = ask(page, "What is the total due?", [("invoice.pdf", "application/pdf", invoice_pdf())])
    assert turn.locator(".answer-text").inner_text() == "$1,231.20"
    sent = api.requests[-1]["messages"][0]["content"]
    assert [p["type"] for p in sent] == ["file", "text"] and api.requests[-1]["stream"] is True
    assert sent[0]["file"]["filename"] == "invoice.pdf"
    rows = turn.locator(".stage-row")
    assert [r.get_attribute("data-stage") for r in rows.all()] == [
        "plan",
        "ocr",
        "context",
        "answer",
    ]
    assert {r.get_attribute("data-status") for r in rows.all()} == {"ok"}
    facts = turn.locator(".facts").inner_text()
    for expected in (
        "document_fields",
        "0.97",
        "small stack",
        "0 in · 0 out",
        "$0.000120",
        "doc1 p.1",
    ):
        assert expected in facts, (expected, facts)
    # Bars sit on the time axis: the OCR bar starts after the plan bar and is far longer.
    plan_box = stage_row(turn, "plan").locator(".bar").bounding_box()
    ocr_box = stage_row(turn, "ocr").locator(".bar").bounding_box()
    assert ocr_box["x"] > plan_box["x"] and ocr_box["width"] > 20 * plan_box["width"]
    assert stage_row(turn, "ocr").locator(".cited-mark").count() == 1  # its page is cited

    stage_row(turn, "ocr").click()
    detail = turn.locator(".stage-detail")
    assert stage_row(turn, "ocr").get_attribute("aria-expanded") == "true"
    image = detail.locator("img.page-image")
    image.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    boxes = detail.locator(".box")
    assert boxes.count() == len(INVOICE_LINES)
    hit = detail.locator(".box.hit")
    assert hit.count() == 1 and "Total due" in hit.get_attribute("title")
    # The highlighted box lies over the page where the line was printed (y=520 of 792 pt, from
    # the bottom): about 34% down the rendered page.
    page_box = detail.locator(".page").bounding_box()
    hit_box = hit.bounding_box()
    assert abs((hit_box["y"] - page_box["y"]) / page_box["height"] - (792 - 532) / 792) < 0.03
    assert detail.locator(".observation.cited mark").first.inner_text() == "$1,231.20"
    table = detail.locator(".observation[data-view='table']")
    assert "Widgets" in table.inner_text() and table.locator("td.hit").count() == 0  # not cited
    page.screenshot(path=str(artifacts / "views-pdf-ocr.png"), full_page=True)


def test_statuses_keyboard_and_program_output(page):
    turn = ask(page, "What does this print?\n```python\nprint(sum(range(10)))\n```")
    statuses = {
        r.get_attribute("data-stage"): r.get_attribute("data-status")
        for r in turn.locator(".stage-row").all()
    }
    assert statuses == {
        "plan": "ok",
        "browse": "timeout",
        "execute": "ok",
        "retrieve": "degraded",
        "chart": "error",
        "answer": "ok",
        "ocr": "skipped",
    }
    skipped = stage_row(turn, "ocr")
    assert "not deployed" in skipped.inner_text() and skipped.locator(".bar").count() == 0
    assert "timed out" in stage_row(turn, "browse").locator(".badge").inner_text()
    # Colour is not the only cue: each status has its own label and its own bar colour.
    colours = {
        status: turn.locator(f".stage-row[data-status='{status}'] .bar").first.evaluate(
            "el => getComputedStyle(el).backgroundColor"
        )
        for status in ("ok", "timeout", "degraded", "error")
    }
    assert len(set(colours.values())) == 4
    # Keyboard: focus the execute row and open it with Enter.
    stage_row(turn, "execute").focus()
    page.keyboard.press("Enter")
    detail = turn.locator(".stage-detail")
    assert detail.is_visible()
    assert detail.locator(".code").inner_text() == "print(sum(range(10)))"
    assert detail.locator(".stdout").inner_text().strip() == "45"
    assert "Exit code: 0" in detail.inner_text()
    page.keyboard.press("Enter")  # the same row again closes it
    assert detail.is_hidden()


def test_recorded_speech_is_sent_as_wav_and_the_transcript_has_timestamps(page, api):
    page.click("#record")
    page.wait_for_timeout(1200)
    page.click("#record")
    attachment = page.locator(".attachment[data-kind='audio']")
    attachment.wait_for()
    assert "recording-1.wav" in attachment.inner_text()
    turn = ask(page, "When is payment due?")
    part = api.requests[-1]["messages"][0]["content"][0]
    assert part["type"] == "input_audio" and part["input_audio"]["format"] == "wav"
    audio = base64.b64decode(part["input_audio"]["data"])
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE" and len(audio) > 16000
    stage_row(turn, "asr").click()
    segments = turn.locator(".segments li")
    assert segments.count() == 2
    assert segments.nth(0).locator(".stamp").inner_text() == "0:00.0–0:02.4"
    assert segments.nth(1).locator("mark").inner_text() == "Friday"
    assert turn.locator(".transcript audio").count() == 1  # the recording can be replayed


def test_files_dropped_on_the_box_are_attached(page):
    wav = base64.b64encode(speech_wav()).decode()
    page.evaluate(
        """async (wav) => {
            const data = new DataTransfer();
            const bytes = Uint8Array.from(atob(wav), (c) => c.charCodeAt(0));
            data.items.add(new File([bytes], "speech.wav", { type: "audio/wav" }));
            data.items.add(new File(["%PDF-1.4"], "scan.pdf", { type: "application/pdf" }));
            data.items.add(new File(["hello"], "notes.txt", { type: "text/plain" }));
            const zone = document.getElementById("dropzone");
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true }));
            }
        }""",
        wav,
    )
    items = page.locator("#attachments .attachment")
    items.nth(1).wait_for()
    assert [i.get_attribute("data-kind") for i in items.all()] == ["audio", "pdf"]
    assert "only PDFs, images and audio" in page.locator("#ask-error").inner_text()
    page.click("button[aria-label='Remove scan.pdf']")
    assert page.locator("#attachments .attachment").count() == 1


def test_compare_runs_both_and_shows_the_difference(page, api):
    turn = ask(page, "What is the total due?", [("invoice.pdf", "application/pdf", invoice_pdf())])
    turn.locator("text=Compare with the LLM alone").click()
    assert page.locator("#tab-compare").get_attribute("aria-selected") == "true"
    summary = page.locator(".compare-summary li")
    summary.first.wait_for()
    assert [r["model"] for r in api.requests[-2:]] == ["interfaze", LLM]
    assert api.requests[-1]["messages"] == api.requests[-2]["messages"]
    cols = page.locator(".compare-col")
    assert cols.nth(0).locator(".answer-text").inner_text() == "$1,231.20"
    assert "1,231.20" in cols.nth(1).locator(".answer-text").inner_text()
    right = cols.nth(1).locator(".metrics").inner_text()
    assert "412" in right and "18" in right and "$0.000431" in right
    text = page.locator(".compare-summary").inner_text()
    assert "430 LLM tokens less (100% less)" in text
    assert "Estimated cost: $0.000311 less" in text


def test_recent_lists_this_keys_traces_with_filters(page, api):
    ask(page, "What is the capital of France?")
    ask(page, "What is the total due?", [("invoice.pdf", "application/pdf", invoice_pdf())])
    page.click("#tab-recent")
    page.locator("#recent-rows tr[data-trace-id]").first.wait_for()
    assert "Traces of this key" in page.locator("#recent-note").inner_text()
    page.select_option("#filter-escalated", "false")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#recent-rows tr[data-trace-id]')]"
        ".every(tr => tr.children[3].textContent === 'no')"
    )
    assert api.list_calls[-1]["escalated"] == "false"
    page.select_option("#filter-route", "pdf")
    page.wait_for_function(
        "() => { const rows = [...document.querySelectorAll('#recent-rows tr[data-trace-id]')];"
        " return rows.length > 0 && rows.every(tr => tr.children[2].textContent === 'pdf'); }"
    )
    assert api.list_calls[-1]["route"] == "pdf"
    page.select_option("#filter-route", "")
    page.select_option("#filter-status", "200")
    page.wait_for_function(
        "() => document.querySelectorAll('#recent-rows tr[data-trace-id]').length"
    )
    assert api.list_calls[-1]["status"] == "200"
    page.select_option("#filter-status", "error")  # "any error" is filtered in the page
    page.wait_for_function(
        "() => document.querySelector('#recent-note').textContent.startsWith('Traces')"
        " && !document.querySelector('#recent-rows tr[data-trace-id]')"
    )
    assert "status" not in api.list_calls[-1]
    page.select_option("#filter-status", "")
    page.locator("#recent-rows tr[data-trace-id]").first.wait_for()
    page.locator("#recent-rows button", has_text="Open").first.click()
    detail = page.locator("#recent-detail")
    detail.locator(".stage-row[data-stage='ocr']").click()
    # No file in this view: the boxes are drawn on a blank page of the recorded size.
    detail.locator(".page.blank").wait_for()
    assert detail.locator(".box").count() == len(INVOICE_LINES)


def test_recent_falls_back_to_this_browsers_requests(page, api):
    api.list_supported = False
    try:
        ask(page, "What is the capital of France? (local history)")
        page.click("#tab-recent")
        page.locator("#recent-rows tr[data-trace-id]").first.wait_for()
        assert "cannot list traces yet" in page.locator("#recent-note").inner_text()
    finally:
        api.list_supported = True


def test_a_trace_without_the_new_fields_says_not_recorded(page):
    turn = ask(page, "legacy: what is the capital of France?")
    facts = turn.locator(".facts")
    assert "not recorded" in facts.locator(".fact", has_text="Est. cost").inner_text()
    assert "reason not recorded" in facts.inner_text()
    assert "HTTP 504" in turn.locator(".trace").inner_text()
    assert stage_row(turn, "llm").get_attribute("data-status") == "timeout"
    stage_row(turn, "llm").click()
    assert "TimeoutError" in turn.locator(".stage-detail").inner_text()


A11Y_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.closest('[hidden]') || el.type === 'hidden') continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || (el.tagName === 'BUTTON' && el.textContent.trim());
    if (!named) problems.push(`unlabelled ${el.tagName} ${el.id}`);
  }
  const lum = (c) => {
    const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      const alpha = bg.match(/[\\d.]+/g);
      if (alpha && (alpha.length < 4 || Number(alpha[3]) > 0.5)) return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.offsetParent || el.closest('.sr-only')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || Number(style.opacity) < 1) continue;
    const a = lum(style.color), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const text = node.textContent.trim().slice(0, 30);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} for "${text}"`);
  }
  return problems;
}"""


SIDEWAYS = """() => {
  const extra = document.documentElement.scrollWidth - window.innerWidth;
  if (extra <= 0) return [];
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width && box.right > window.innerWidth + 1;
  });
  // The outermost offenders, named by tag, id and class.
  return wide.filter((el) => !wide.includes(el.parentElement))
    .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} (${extra}px)`);
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_labels_contrast_and_no_sideways_scrolling(page, width, artifacts):
    page.set_viewport_size({"width": width, "height": 900})
    turn = ask(page, "What is the total due?", [("invoice.pdf", "application/pdf", invoice_pdf())])
    stage_row(turn, "ocr").click()
    turn.locator(".stage-detail img.page-image").wait_for()
    assert page.evaluate(A11Y_CHECK) == []
    assert page.evaluate(SIDEWAYS) == []
    for tab in ("#tab-compare", "#tab-recent"):
        page.click(tab)
        if tab == "#tab-recent":
            page.locator("#recent-rows tr[data-trace-id]").first.wait_for()
        assert page.evaluate(A11Y_CHECK) == []
        assert page.evaluate(SIDEWAYS) == [], tab
    # Tabs follow the ARIA pattern: arrows move between them.
    page.focus("#tab-recent")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.id") == "tab-compare"
    assert page.locator("#panel-compare").is_visible()
    page.screenshot(path=str(artifacts / f"views-{width}.png"), full_page=True)


def test_a_401_asks_for_the_key_and_the_key_is_sent(page, api):
    api.required_key = "sk-playground-test"
    try:
        page.fill("#question", "What is the capital of France?")
        page.click("#send")
        error = page.locator(".turn .answer-text .error")
        error.wait_for()
        assert "HTTP 401 (missing_api_key)" in error.inner_text()
        assert page.evaluate("document.activeElement.id") == "api-key"
        page.fill("#api-key", api.required_key)
        page.keyboard.press("Tab")  # the key is taken on change
        turn = ask(page, "What is the capital of France?")
        assert "Paris" in turn.locator(".answer-text").inner_text()
        assert api.authorizations[-1] == f"Bearer {api.required_key}"
        assert page.evaluate("sessionStorage.getItem('ifz-playground-key')") == api.required_key
        assert page.get_attribute("#api-key", "type") == "password"
    finally:
        api.required_key = None
