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


def test_choice_index_logprobs_and_tool_call_deltas():
    event = {
        "choices": [
            {
                "index": 1,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1'}}]},
                "logprobs": {"content": [{"token": "x", "logprob": -0.1, "top_logprobs": []}]},
                "finish_reason": None,
            }
        ]
    }
    [chunk] = chunks_from_event(event)
    assert chunk.index == 1 and chunk.logprobs[0]["token"] == "x"
    assert chunk.tool_calls[0]["function"]["arguments"] == '{"a": 1'


def test_completion_logprobs_become_chat_entries():
    event = {
        "choices": [
            {
                "index": 0,
                "text": "Hi",
                "logprobs": {
                    "tokens": ["Hi"],
                    "token_logprobs": [-0.5],
                    "top_logprobs": [{"Hi": -0.5, "Hey": -1.2}],
                },
            }
        ]
    }
    [chunk] = chunks_from_event(event)
    [entry] = chunk.logprobs
    assert entry["token"] == "Hi" and entry["logprob"] == -0.5
    assert [t["token"] for t in entry["top_logprobs"]] == ["Hi", "Hey"]


def test_client_stops_and_template_stops_both_reach_vllm():
    from deployments.llm.builder import engine_env
    from deployments.llm.config import LLMSettings

    request = GenerationRequest(
        request_id="r4",
        prompt="x",
        stop=["\n"],
        template_stops=["\nUser:", "\nAssistant:", "\nSystem:", "\n### "],
    )
    fields = engine_request_fields(request, "m")
    assert fields["stop"] == ["\n", "\nUser:", "\nAssistant:", "\nSystem:", "\n### "]
    # vLLM's limit (4 by default) is raised in the replica's environment for our template.
    assert int(engine_env(LLMSettings())["VLLM_MAX_STOP_STRINGS"]) >= 8


def test_sampling_parameters_pass_through():
    from ray.llm._internal.serve.core.configs.openai_api_models import ChatCompletionRequest

    request = GenerationRequest(
        request_id="r5",
        messages=[{"role": "user", "content": "hi"}],
        n=3,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        logit_bias={"42": -100},
        logprobs=True,
        top_logprobs=2,
    )
    vllm_request = ChatCompletionRequest(**engine_request_fields(request, "m"))
    assert vllm_request.n == 3 and vllm_request.presence_penalty == 0.5
    assert vllm_request.frequency_penalty == -0.5 and vllm_request.logit_bias == {"42": -100}
    assert vllm_request.logprobs is True and vllm_request.top_logprobs == 2


def test_tools_without_a_parser_become_an_output_schema():
    from deployments.llm.protocol import GenerationChunk
    from deployments.llm.server import ToolOutput

    parameters = {"type": "object", "properties": {"city": {"type": "string"}}}
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": parameters}}
    request = GenerationRequest(
        request_id="r6",
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ],
        tools=[tool],
        tool_choice="auto",
    )
    fields = engine_request_fields(request, "m", native_tools=False)
    assert "tools" not in fields and fields["response_format"]["type"] == "json_schema"
    schema = fields["response_format"]["json_schema"]["schema"]
    assert len(schema["anyOf"]) == 2  # a reply, or calls of the given functions
    roles = [m["role"] for m in fields["messages"]]
    assert roles == ["system", "user", "assistant", "user"]  # tool turns as plain text
    assert "get_weather" in fields["messages"][0]["content"]
    output = ToolOutput()
    assert output.feed(GenerationChunk(text='{"tool_calls": [{"name": "get_weather", ')) == []
    [done] = output.feed(
        GenerationChunk(text='"arguments": {"city": "Paris"}}]}', finish_reason="stop")
    )
    assert done.finish_reason == "tool_calls"
    [call] = done.tool_calls
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    [reply] = ToolOutput().feed(GenerationChunk(text='{"content": "Hi"}', finish_reason="stop"))
    assert reply.text == "Hi" and not reply.tool_calls
    native = engine_request_fields(request, "m", native_tools=True)
    assert native["tools"] == [tool] and native["tool_choice"] == "auto"


async def test_coalesce_batches_what_queued_up_and_propagates_errors():
    import asyncio

    import pytest

    from deployments.llm.server import coalesce

    async def source():
        for i in range(5):
            yield i
        await asyncio.sleep(0.01)
        yield 5

    batches = [b async for b in coalesce(source())]
    assert [x for b in batches for x in b] == [0, 1, 2, 3, 4, 5] and len(batches) < 6

    async def failing():
        yield 1
        raise ValueError("engine")

    with pytest.raises(ValueError, match="engine"):
        async for _ in coalesce(failing()):
            pass
