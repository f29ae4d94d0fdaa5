"""Schemathesis against the app's own OpenAPI document: no input makes the server fail (5xx).

Stages and the LLM are in-process fakes (no Ray); 503/504 (overload, stage deadline) are
legitimate answers, anything else in 5xx is a bug.
"""

import json

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET

from serve.api.app import create_app
from serve.config.loader import load_config
from serve.llm.client import LLMClient
from serve.router.audio import AudioService
from serve.router.documents import DocumentsService
from serve.router.health import HealthReporter
from serve.router.service import ChatService
from serve.stages.client import StageClient
from tests.unit.fakes import FakeLLMHandle, FakeStageHandle


class StaticMetrics:
    async def scrape(self) -> str:
        return "ray_serve_num_http_requests_total 1\n"


def _app():
    config = load_config("local", {"router": {"max_request_bytes": 256 * 1024}})
    llm = LLMClient(FakeLLMHandle(), config.llm.model_id)
    ocr = FakeStageHandle(process=lambda p: {"pages": [], "confidence": 0.0})
    empty = {"text": "", "language": "en", "language_probability": 1, "duration_s": 0}
    asr = FakeStageHandle(transcribe=lambda p: {**empty, "backend": "x", "model": "x"})
    stages = {
        "ocr": StageClient("ocr", ocr, "process", timeout_s=5),
        "asr": StageClient("asr", asr, "transcribe", timeout_s=5),
    }
    service = ChatService(config, llm, stages=stages)
    audio = AudioService(stages["asr"], model_names=["interfaze"], max_bytes=1 << 20,
                         traces=service.traces)  # fmt: skip
    documents = DocumentsService(None, max_bytes=1 << 20, timeout_s=5)
    return create_app(
        chat_service=service,
        audio_service=audio,
        documents_service=documents,
        health=HealthReporter(llm, "local"),
        metrics_relay=StaticMetrics(),
        max_request_bytes=config.router.max_request_bytes,
    )


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CLIENT = TestClient(APP, raise_server_exceptions=False)


def send(case):
    """Send the generated case with Starlette's client (schemathesis' own transport does not
    work with the installed urllib3)."""
    kwargs = {"params": case.query, "headers": case.headers}
    multipart = isinstance(case.body, dict) and (
        "multipart" in str(case.media_type) or any(isinstance(v, bytes) for v in case.body.values())
    )
    if multipart:
        files = {k: v for k, v in case.body.items() if isinstance(v, bytes)}
        data = {k: v for k, v in case.body.items() if not isinstance(v, bytes)}
        kwargs.update(files=files or None, data=data)
    elif isinstance(case.body, bytes | str):
        kwargs["content"] = case.body
    elif case.body is not None and not isinstance(case.body, type(NOT_SET)):
        try:
            kwargs["content"] = json.dumps(case.body)
            kwargs["headers"] = {**(case.headers or {}), "content-type": "application/json"}
        except TypeError:  # bytes inside a form-like body
            kwargs["data"] = {k: str(v) for k, v in case.body.items()}
    return CLIENT.request(case.method, case.formatted_path, **kwargs)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case):
    response = send(case)
    assert response.status_code < 500 or response.status_code in (503, 504), (
        f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
    )
