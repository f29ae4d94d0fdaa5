"""The HTTP layer and the pipeline without Ray: a fake LLM handle stands in for vLLM."""

import json

import pytest

from tests.unit.fakes import FakeLLMHandle, prompt_text
from tests.unit.harness import make_harness
from tests.unit.media_samples import image_bytes, image_part


def make_client(handle=None, **overrides):
    app = make_harness(llm_handle=handle or FakeLLMHandle(), **overrides)
    return app.client, app.llm, app.config


@pytest.fixture
def client():
    return make_client()


def chat(client, **body):
    body.setdefault("model", "interfaze")
    body.setdefault("messages", [{"role": "user", "content": "What is the capital of France?"}])
    return client.post("/v1/chat/completions", json=body)


def assert_openai_error(response, status, code=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


def test_chat_returns_text_usage_and_interfaze_metadata():
    test_client, handle, _ = make_client(llm={"prompt_format": "template"})
    response = chat(test_client, max_tokens=20, temperature=0.3, seed=7, stop=["\n\n"])
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"]["content"] == "Paris is the capital."
    assert data["usage"] == {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}
    meta = data["interfaze"]
    assert meta["escalated"] is True
    assert meta["route"] == ["plan", "answer", "context", "llm"]
    assert meta["usage"] == {"llm_prompt_tokens": 11, "llm_completion_tokens": 4}
    assert set(meta["timings_ms"]) == {"plan", "answer", "context", "llm", "total"}
    assert meta["trace_id"] == response.headers["x-request-id"]
    sent = handle.requests[0]
    assert sent["max_tokens"] == 20 and sent["temperature"] == 0.3 and sent["seed"] == 7
    assert sent["stop"] == ["\n\n"] and "\nUser:" in sent["template_stops"]
    assert sent["prompt"].endswith("Assistant:")


def test_request_id_is_adopted(client):
    test_client, _, _ = client
    response = test_client.post(
        "/v1/chat/completions",
        json={"model": "interfaze", "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-request-id": "abc-123"},
    )
    assert response.headers["x-request-id"] == "abc-123"  # echoed back
    trace_id = response.json()["interfaze"]["trace_id"]
    assert trace_id != "abc-123"  # trace ids are the server's: no client can overwrite one
    trace = test_client.get(f"/v1/traces/{trace_id}").json()
    assert trace["client_request_id"] == "abc-123"


def test_response_format_is_forwarded_without_template_stops(client):
    test_client, handle, _ = client
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    response = chat(
        test_client,
        response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
    )
    assert response.status_code == 200
    sent = handle.requests[0]
    assert sent["response_format"]["json_schema"]["schema"] == schema
    assert sent.get("stop", []) == [] and sent.get("template_stops", []) == []


def test_stream_emits_role_deltas_finish_metadata_usage_and_done(client):
    test_client, _, _ = client
    with test_client.stream(
        "POST",
        "/v1/chat/completions",
        json={
            "model": "interfaze",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    events = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert text == "Paris is the capital."
    finish = [e for e in events if e["choices"] and e["choices"][0].get("finish_reason")]
    assert finish[0]["interfaze"]["escalated"] is True
    assert events[-1]["usage"]["total_tokens"] == 15


def test_llm_only_model_is_listed_and_served(client):
    test_client, _, config = client
    models = test_client.get("/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["interfaze", config.llm.model_id]
    assert test_client.get(f"/v1/models/{config.llm.model_id}").status_code == 200
    response = chat(test_client, model=config.llm.model_id)
    assert response.status_code == 200
    assert response.json()["interfaze"]["route"] == ["plan", "context", "llm"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model": "gpt-17"}, 404, "model_not_found"),
        ({"messages": []}, 400, "invalid_value"),
        ({"temperature": "hot"}, 400, "invalid_value"),
        ({"temperature": 3.5}, 400, "invalid_value"),
        ({"max_tokens": 0}, 400, "invalid_value"),
        ({"n": 0}, 400, "invalid_value"),
        ({"n": 99}, 400, "invalid_value"),
        ({"stream": "yes"}, 400, "invalid_value"),
        ({"presence_penalty": 3}, 400, "invalid_value"),
        ({"logit_bias": {"50256": -101}}, 400, "invalid_value"),
        ({"logit_bias": {"hello": 1}}, 400, "invalid_value"),
        ({"top_logprobs": 3}, 400, "invalid_value"),
        ({"tool_choice": "required"}, 400, "invalid_value"),
        ({"messages": "hello"}, 400, "invalid_value"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, 400, "invalid_value"),
        ({"response_format": {"type": "json_schema"}}, 400, "invalid_value"),
        (
            {"messages": [{"role": "user", "content": [{"type": "video_url", "url": "x"}]}]},
            400,
            "invalid_value",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [image_part(image_bytes())],
                    }
                ]
            },
            422,
            "unsupported_content_part",
        ),
    ],
)
def test_bad_input_gets_openai_errors(client, body, status, code):
    """Every refusal is OpenAI-shaped with the right status; nothing reaches the LLM."""
    test_client, handle, _ = client
    assert_openai_error(chat(test_client, **body), status, code)
    assert handle.requests == []  # nothing reached the LLM
    assert chat(test_client).status_code == 200  # and the app still serves


def test_malformed_json_is_400(client):
    test_client, _, _ = client
    response = test_client.post(
        "/v1/chat/completions", content=b'{"model": ', headers={"content-type": "application/json"}
    )
    assert_openai_error(response, 400, "invalid_json")


def test_body_over_limit_is_413():
    test_client, _, _ = make_client(gateway={"validation": {"max_body_bytes": 2048}})
    big = "x" * 4096
    response = chat(test_client, messages=[{"role": "user", "content": big}])
    assert_openai_error(response, 413, "request_too_large")


def test_too_many_messages_is_413():
    test_client, _, _ = make_client(gateway={"validation": {"max_messages": 2}})
    messages = [{"role": "user", "content": "a"}] * 3
    assert_openai_error(chat(test_client, messages=messages), 413, "too_many_messages")


def test_llm_error_maps_to_status():
    handle = FakeLLMHandle()
    handle.error = {"message": "prompt too long", "type": "BadRequestError", "code": 400}
    test_client, _, _ = make_client(handle)
    assert_openai_error(chat(test_client), 400, "llm_bad_request")
    response = test_client.post(
        "/v1/chat/completions",
        json={"model": "interfaze", "messages": [{"role": "user", "content": "x"}], "stream": True},
    )
    assert_openai_error(response, 400, "llm_bad_request")  # known before the stream starts


def test_llm_timeout_is_504():
    handle = FakeLLMHandle(delay_s=0.5)
    config_overrides = {"routing": {"timeouts": {"llm_ms": 100}}}
    test_client, _, _ = make_client(handle, **config_overrides)
    assert_openai_error(chat(test_client), 504, "stage_timeout")
    assert handle.responses[0].cancelled  # the downstream generation was cancelled


def test_unknown_path_is_openai_404(client):
    test_client, _, _ = client
    assert_openai_error(test_client.get("/v1/nothing"), 404)


def test_healthz_and_metrics(client):
    test_client, _, _ = client
    health = test_client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["deployments"]["llm"]["status"] == "ok"
    assert "ray_serve_num_http_requests_total" in test_client.get("/metrics").text


def test_healthz_degraded_when_llm_fails():
    class BrokenHandle(FakeLLMHandle):
        @property
        def stats(self):
            class _M:
                @staticmethod
                def remote():
                    async def boom():
                        raise RuntimeError("replica died")

                    return boom()

            return _M()

    test_client, _, _ = make_client(BrokenHandle())
    response = test_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["deployments"]["llm"]["status"] == "error"


def test_openapi_document_is_served(client):
    test_client, _, _ = client
    paths = test_client.get("/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/models", "/healthz", "/metrics"} <= set(paths)


def test_trace_is_stored_and_served(client):
    test_client, _, _ = client
    response = chat(test_client)
    trace_id = response.json()["interfaze"]["trace_id"]
    trace = test_client.get(f"/v1/traces/{trace_id}").json()
    assert trace["trace_id"] == trace_id and trace["escalated"] is True
    assert [s["name"] for s in trace["stages"]] == ["plan", "answer", "context", "llm"]
    assert trace["stages"][3]["summary"]["completion_tokens"] == 4
    assert trace["escalation_reason"] == "no evidence and no computation"
    assert_openai_error(test_client.get("/v1/traces/nope"), 404, "trace_not_found")


def test_trace_store_expires_entries():
    import time

    from serve.observability.record import RequestRecord
    from serve.observability.traces import TraceStore

    store = TraceStore(capacity=10, ttl_s=0.01)
    store.put(RequestRecord(request_id="t", model="m"))
    time.sleep(0.02)
    assert store.get("t") is None


def test_arithmetic_is_answered_exactly_without_the_llm(client):
    test_client, handle, _ = client
    response = chat(test_client, messages=[{"role": "user", "content": "What is 1234 * 5678?"}])
    data = response.json()
    assert data["choices"][0]["message"]["content"] == "7006652"
    assert data["interfaze"]["escalated"] is False
    assert data["interfaze"]["answerer"] == "compute"
    assert handle.requests == [] and data["interfaze"]["usage"]["llm_completion_tokens"] == 0
    usage = data["usage"]  # what an LLM would have reported for the same exchange
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] >= 1
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_small_answer_honours_json_schema_stop_max_tokens_and_n(client):
    test_client, handle, _ = client
    schema = {"type": "object", "properties": {"result": {"type": "integer"}}}
    body = {
        "model": "interfaze",
        "messages": [{"role": "user", "content": "What is 2 + 2?"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": schema}},
        "n": 2,
    }
    data = test_client.post("/v1/chat/completions", json=body).json()
    assert [json.loads(c["message"]["content"]) for c in data["choices"]] == [{"result": 4}] * 2
    assert [c["index"] for c in data["choices"]] == [0, 1]
    body["stream"] = True
    with test_client.stream("POST", "/v1/chat/completions", json=body) as response:
        events = [json.loads(x[6:]) for x in response.iter_lines() if x.startswith("data: {")]
    text = "".join(
        e["choices"][0]["delta"].get("content") or ""
        for e in events
        if e["choices"] and e["choices"][0]["index"] == 0
    )
    assert json.loads(text) == {"result": 4} and handle.requests == []
    stopped = chat(test_client, messages=[{"role": "user", "content": "What is 1000000 * 3?"}],
                   stop=["000"])  # fmt: skip
    assert stopped.json()["choices"][0]["message"]["content"] == "3"
    cut = chat(
        test_client,
        messages=[{"role": "user", "content": "What is 2 to the power of 200?"}],
        max_tokens=2,
    ).json()
    assert cut["choices"][0]["finish_reason"] == "length" and cut["usage"]["completion_tokens"] <= 2


def test_json_object_is_written_by_the_llm_with_the_small_answer_as_evidence(client):
    test_client, handle, _ = client
    handle.text = '{"sum": 4}'
    body = {
        "model": "interfaze",
        "messages": [{"role": "user", "content": "What is 2 + 2?"}],
        "response_format": {"type": "json_object"},
    }
    data = test_client.post("/v1/chat/completions", json=body).json()
    assert json.loads(data["choices"][0]["message"]["content"]) == {"sum": 4}
    meta = data["interfaze"]
    assert meta["escalated"] is True and meta["answerer"] == "compute"
    assert "Answer found by compute" in prompt_text(handle.requests[0])


def test_logprobs_and_required_tools_go_to_the_llm(client):
    test_client, handle, _ = client
    data = chat(test_client, messages=[{"role": "user", "content": "What is 2 + 2?"}],
                logprobs=True, top_logprobs=2).json()  # fmt: skip
    assert data["interfaze"]["escalated"] is True
    assert handle.requests[-1]["logprobs"] is True and handle.requests[-1]["top_logprobs"] == 2
    tool = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    chat(test_client, messages=[{"role": "user", "content": "What is 2 + 2?"}],
         tools=[tool], tool_choice="required")  # fmt: skip
    sent = handle.requests[-1]
    assert sent["tools"][0]["function"]["name"] == "add" and sent["tool_choice"] == "required"


def test_llm_only_model_skips_the_small_stack(client):
    test_client, handle, config = client
    response = chat(
        test_client, model=config.llm.model_id, messages=[{"role": "user", "content": "2 + 2?"}]
    )
    assert response.json()["interfaze"]["escalated"] is True and len(handle.requests) == 1


def test_openai_style_params_and_deep_schemas(client):
    test_client, _, _ = client
    bad_part = {"messages": [{"role": "user", "content": [{"type": "video_url", "url": "x"}]}]}
    error = assert_openai_error(chat(test_client, **bad_part), 400, "invalid_value")
    assert error["param"] == "messages[0].content[0].type"
    deep: dict = {}
    cursor = deep
    for _ in range(120):
        cursor["items"] = {}
        cursor = cursor["items"]
    fmt = {"type": "json_schema", "json_schema": {"name": "deep", "schema": deep}}
    error = assert_openai_error(chat(test_client, response_format=fmt), 400, "invalid_value")
    assert "nests deeper" in error["message"]


def test_system_only_conversation_is_answered_by_the_llm(client):
    test_client, handle, _ = client
    response = chat(test_client, messages=[{"role": "system", "content": "Say hello."}])
    assert response.status_code == 200 and response.json()["interfaze"]["escalated"] is True
    assert "Say hello." in prompt_text(handle.requests[0])


def test_error_responses_carry_one_request_id(client):
    test_client, _, _ = client
    response = chat(test_client, model="gpt-17")
    assert response.status_code == 404
    assert len(response.headers.get_list("x-request-id")) == 1


def test_lone_surrogate_is_400_not_500(client):
    test_client, handle, _ = client
    raw = b'{"model": "interfaze", "messages": [{"role": "user", "content": "hi \\ud800"}]}'
    response = test_client.post(
        "/v1/chat/completions", content=raw, headers={"content-type": "application/json"}
    )
    error = assert_openai_error(response, 400, "invalid_value")
    assert "surrogate" in error["message"] and handle.requests == []
