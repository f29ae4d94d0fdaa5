"""Schemathesis against the app's own OpenAPI document: no input makes the server fail (5xx).

Stages and the LLM are in-process fakes (no Ray); 503/504 (overload, stage deadline) are
legitimate answers, anything else in 5xx is a bug.
"""

import json

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET

from tests.unit.fakes import FakeStageHandle, ocr_result, transcription
from tests.unit.harness import make_harness


def _app():
    ocr = FakeStageHandle(process=lambda p: ocr_result({"text": "nothing"}))
    asr = FakeStageHandle(transcribe=lambda p: transcription("", []))
    harness = make_harness(
        {"ocr": ocr, "asr": asr}, gateway={"validation": {"max_body_bytes": 256 * 1024}}
    )
    return harness.client.app


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
