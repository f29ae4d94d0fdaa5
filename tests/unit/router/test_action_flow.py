"""ChatService with action stages (fake handles): browse URLs, run code, retrieve passages."""

from fastapi.testclient import TestClient

from serve.actions.requests import find_targets
from serve.api.app import create_app
from serve.api.protocol import ChatMessage
from serve.config.loader import load_config
from serve.llm.client import LLMClient
from serve.router.health import HealthReporter
from serve.router.ingress import STAGE_METHODS
from serve.router.service import ChatService
from serve.stages.client import StageClient
from tests.unit.fakes import FakeLLMHandle, FakeStageHandle

PAGE = {
    "url": "http://127.0.0.1:9/shop",
    "final_url": "http://127.0.0.1:9/shop",
    "status": 200,
    "title": "Shop",
    "text": "Welcome to the shop. The blue kettle costs 34.99 EUR. Shipping takes two days.",
    "tables": [{"rows": [["Product", "Price"], ["Kettle", "34.99"], ["Toaster", "59.00"]]}],
}


def build(handles):
    config = load_config("local")
    llm = FakeLLMHandle("From the LLM.")
    stages = {
        n: StageClient(n, h, STAGE_METHODS[n], timeout_s=config.routing.timeouts.for_stage(n))
        for n, h in handles.items()
    }
    service = ChatService(config, LLMClient(llm, config.llm.model_id), stages=stages)
    app = create_app(
        chat_service=service,
        health=HealthReporter(service.llm, "local"),
        metrics_relay=None,
        max_request_bytes=config.router.max_request_bytes,
    )
    return TestClient(app), llm, service


def ask(client, text):
    response = client.post(
        "/v1/chat/completions",
        json={"model": "interfaze", "messages": [{"role": "user", "content": text}]},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_find_targets_urls_and_code():
    message = ChatMessage(
        role="user",
        content="What does this print?\n```python\nprint(6*7)\n```\nsee https://a.example/x.",
    )
    targets = find_targets([message])
    assert targets.urls == ["https://a.example/x"] and targets.code == ["print(6*7)"]
    shown = ChatMessage(role="user", content="Is this style ok?\n```python\nx=1\n```")
    assert find_targets([shown]).code == []


def test_url_is_browsed_and_answered_from_the_page():
    browse = FakeStageHandle(browse=lambda p: PAGE)
    client, llm, _ = build({"browse": browse})
    data = ask(client, "How much is the Kettle on http://127.0.0.1:9/shop ?")
    assert browse.calls[0][1]["url"] == "http://127.0.0.1:9/shop"
    assert data["choices"][0]["message"]["content"] == "34.99"
    assert data["interfaze"]["escalated"] is False and llm.requests == []


def test_code_runs_in_the_sandbox_and_stdout_is_the_answer():
    execute = FakeStageHandle(
        run=lambda p: {"stdout": "42\n", "stderr": "", "exit_code": 0, "limits_hit": []}
    )
    client, _llm, _ = build({"execute": execute})
    data = ask(client, "What does this print?\n```python\nprint(6*7)\n```")
    assert execute.calls[0][1]["code"] == "print(6*7)"
    assert data["choices"][0]["message"]["content"] == "42"
    assert data["interfaze"]["answerer"] == "execution"


def test_failed_run_escalates_with_the_error_in_context():
    execute = FakeStageHandle(
        run=lambda p: {
            "stdout": "",
            "stderr": "ZeroDivisionError",
            "exit_code": 1,
            "limits_hit": [],
        }
    )
    client, llm, _ = build({"execute": execute})
    data = ask(client, "Run this:\n```python\n1/0\n```")
    assert data["interfaze"]["escalated"] is True
    assert "ZeroDivisionError" in llm.requests[0]["prompt"]


def test_retrieved_passages_answer_with_citations():
    hits = {
        "hits": [
            {"text": "The warranty lasts 24 months from delivery.", "score": 0.82,
             "source": "handbook.pdf", "page": 3, "start": 100, "end": 143},
            {"text": "Returns are accepted within 30 days.", "score": 0.41,
             "source": "handbook.pdf", "page": 4, "start": 0, "end": 36},
        ]
    }  # fmt: skip
    retrieve = FakeStageHandle(search=lambda p: hits)
    client, _, _ = build({"retrieve": retrieve})
    data = ask(client, "How long does the warranty last?")
    assert retrieve.calls[0][1]["query"] == "How long does the warranty last?"
    assert "24 months" in data["choices"][0]["message"]["content"]
    assert data["interfaze"]["sources"] == ["handbook.pdf p.3 chars 100-143"]


def test_browse_failure_degrades_to_the_llm():
    def down(payload):
        raise ConnectionError("browser crashed")

    client, _llm, service = build({"browse": FakeStageHandle(browse=down)})
    data = ask(client, "Summarize http://127.0.0.1:9/page")
    assert data["interfaze"]["escalated"] is True
    trace = service.traces.get(data["interfaze"]["trace_id"])
    assert "browse:url1" in trace["skipped"]
