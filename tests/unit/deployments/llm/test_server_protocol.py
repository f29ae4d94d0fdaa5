"""The LLM deployment's stream translation, without an engine."""

import json

from deployments.llm.protocol import GenerationRequest
from deployments.llm.server import chunks_from_event, engine_request_fields, parse_sse_events


def sse(*events) -> str:
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def test_parse_sse_events_drops_done_and_noise():
    payload = sse({"a": 1}, {"b": 2}) + ": keep-alive\n\n"
    assert parse_sse_events(payload) == [{"a": 1}, {"b": 2}]


def test_completion_event_to_chunks():
    event = {"choices": [{"index": 0, "text": "Par", "finish_reason": None}]}
    [chunk] = chunks_from_event(event)
    assert chunk.text == "Par" and chunk.kind == "delta"


def test_chat_delta_finish_and_usage():
    event = {
        "choices": [{"index": 0, "delta": {"content": "is"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }
    delta, usage = chunks_from_event(event)
    assert delta.text == "is" and delta.finish_reason == "stop"
    assert usage.kind == "usage" and usage.usage == {"prompt_tokens": 5, "completion_tokens": 2}


def test_usage_only_event():
    [usage] = chunks_from_event({"choices": [], "usage": {"prompt_tokens": 3}})
    assert usage.usage == {"prompt_tokens": 3, "completion_tokens": 0}


def test_error_event():
    [chunk] = chunks_from_event({"error": {"message": "bad", "code": 400}})
    assert chunk.kind == "error" and chunk.error["code"] == 400


def test_engine_fields_for_prompt_and_chat():
    request = GenerationRequest(
        request_id="r1", prompt="Q:", max_tokens=9, temperature=0.0, seed=3, stop=["\n"]
    )
    fields = engine_request_fields(request, "m")
    assert fields["prompt"] == "Q:" and "messages" not in fields
    assert fields["stream"] is True and fields["stream_options"] == {"include_usage": True}
    assert fields["temperature"] == 0.0 and fields["seed"] == 3 and "top_p" not in fields
    chat = GenerationRequest(request_id="r2", messages=[{"role": "user", "content": "hi"}])
    fields = engine_request_fields(chat, "m")
    assert fields["messages"] == [{"role": "user", "content": "hi"}] and "prompt" not in fields


def test_engine_request_builds_a_real_vllm_completion_request():
    from ray.llm._internal.serve.core.configs.openai_api_models import CompletionRequest

    request = GenerationRequest(
        request_id="r3",
        prompt="x",
        response_format={"type": "json_object"},
        top_k=5,
    )
    vllm_request = CompletionRequest(**engine_request_fields(request, "m"))
    assert vllm_request.stream and vllm_request.top_k == 5
    assert vllm_request.response_format.type == "json_object"
