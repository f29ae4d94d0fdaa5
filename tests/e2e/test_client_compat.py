"""What real clients hit first (issue #13), against the live app: the official `openai` SDK,
LangChain's ChatOpenAI and LiteLLM as clients, plus raw HTTP for what SDKs hide.

Each test names the row of the issue's table it covers.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import threading

import httpx
import openai
import pytest

pytestmark = pytest.mark.e2e


def post(running_app, body, **headers):
    return httpx.post(
        f"{running_app.base_url}/v1/chat/completions", json=body, headers=headers, timeout=120
    )


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


# ------------------------------------------------------------------- row 1: stop
def test_row1_newline_stop_on_the_bare_llm(client, llm_id):
    response = client.chat.completions.create(
        model=llm_id,
        messages=[{"role": "user", "content": "List three fruits, one per line."}],
        stop=["\n"],
        max_tokens=24,
        temperature=0,
    )
    assert "\n" not in response.choices[0].message.content


def test_row1_langchain_with_stop(running_app, llm_id):
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        model=llm_id,
        base_url=running_app.openai_base_url,
        api_key="test",
        max_tokens=16,
        temperature=0,
        max_retries=0,
    )
    reply = chat.invoke("Name a colour.", stop=["\n"])
    assert isinstance(reply.content, str) and "\n" not in reply.content
    small = ChatOpenAI(model="interfaze", base_url=running_app.openai_base_url, api_key="test")
    assert small.invoke("What is 12 * 12?").content.strip() == "144"


def test_row1_litellm_as_a_client(running_app, llm_id):
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch at import
    import litellm

    response = litellm.completion(
        model=f"openai/{llm_id}",
        api_base=running_app.openai_base_url,
        api_key="test",
        messages=[{"role": "user", "content": "Name a colour."}],
        stop=["\n"],
        max_tokens=16,
        temperature=0,
    )
    assert "\n" not in response.choices[0].message.content
    small = litellm.completion(
        model="openai/interfaze",
        api_base=running_app.openai_base_url,
        api_key="test",
        messages=[{"role": "user", "content": "What is 7 * 6?"}],
    )
    assert small.choices[0].message.content.strip() == "42"


# ------------------------------------------------------------------ row 2: tools
@pytest.mark.parametrize("model", ["llm", "interfaze"])
def test_row2_required_and_named_tool_choice_return_tool_calls(client, llm_id, model):
    model = llm_id if model == "llm" else model
    for choice in ("required", {"type": "function", "function": {"name": "get_weather"}}):
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "What's the weather in Paris?"}],
            tools=[WEATHER],
            tool_choice=choice,
            max_tokens=64,
            temperature=0,
        )
        message = response.choices[0].message
        assert response.choices[0].finish_reason == "tool_calls"
        [call] = message.tool_calls
        assert call.function.name == "get_weather" and call.id
        assert "city" in json.loads(call.function.arguments)


def test_row2_tool_results_continue_the_conversation(client, llm_id):
    messages = [
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
    ]
    response = client.chat.completions.create(
        model=llm_id, messages=messages, tools=[WEATHER], max_tokens=48, temperature=0
    )
    choice = response.choices[0]
    assert choice.message.content or choice.message.tool_calls  # a reply or another call


def test_row2_streamed_tool_calls(client, llm_id):
    stream = client.chat.completions.create(
        model=llm_id,
        messages=[{"role": "user", "content": "Weather in Rome?"}],
        tools=[WEATHER],
        tool_choice="required",
        max_tokens=64,
        temperature=0,
        stream=True,
    )
    calls, finish = [], None
    for chunk in stream:
        for choice in chunk.choices:
            calls += choice.delta.tool_calls or []
            finish = choice.finish_reason or finish
    assert finish == "tool_calls" and calls[0].function.name == "get_weather"


# ----------------------------------------------------- rows 3, 4, 11, 14: raw HTTP
def test_row3_error_has_one_request_id(running_app):
    response = post(
        running_app,
        {"model": "nope", "messages": [{"role": "user", "content": "hi"}]},
        **{"x-request-id": "compat-1"},
    )
    assert response.status_code == 404
    assert response.headers.get_list("x-request-id") == ["compat-1"]


def test_row4_null_options_mean_defaults(running_app):
    body = {
        "model": "interfaze",
        "messages": [{"role": "user", "content": "What is 2 + 3?"}],
        "n": None,
        "stream": None,
        "temperature": None,
        "stop": None,
        "logprobs": None,
    }
    response = post(running_app, body)
    assert (
        response.status_code == 200 and response.json()["choices"][0]["message"]["content"] == "5"
    )


@pytest.mark.parametrize(
    ("content", "param"),
    [
        ([{"type": "video_url", "video_url": {"url": "x"}}], "messages[0].content[0].type"),
        ([{"type": "text"}], "messages[0].content[0].text"),
    ],
)
def test_row11_bad_content_part_is_400_with_openai_param(running_app, content, param):
    response = post(
        running_app, {"model": "interfaze", "messages": [{"role": "user", "content": content}]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_row11_system_only_conversation(client):
    response = client.chat.completions.create(
        model="interfaze",
        messages=[{"role": "system", "content": "Greet the user in one word."}],
        max_tokens=8,
    )
    assert response.choices[0].message.content is not None


def test_row14_lone_surrogate_and_deep_schema_are_400(running_app):
    raw = b'{"model": "interfaze", "messages": [{"role": "user", "content": "x \\ud800"}]}'
    response = httpx.post(
        f"{running_app.base_url}/v1/chat/completions",
        content=raw,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 400
    deep: dict = {}
    cursor = deep
    for _ in range(120):
        cursor["items"] = {}
        cursor = cursor["items"]
    fmt = {"type": "json_schema", "json_schema": {"name": "deep", "schema": deep}}
    body = {"model": "interfaze", "messages": [{"role": "user", "content": "x"}]}
    assert post(running_app, {**body, "response_format": fmt}).status_code == 400


# -------------------------------------------------------- row 5: remote image URL
class _ImageSite:
    def __enter__(self):
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (360, 120), "white")
        ImageDraw.Draw(image).text((20, 50), "TOTAL 42.00 EUR", fill="black")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        png = buffer.getvalue()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("content-type", "image/png")
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/receipt.png"

    def __exit__(self, *exc):
        self.server.shutdown()


def test_row5_image_url_over_http_is_fetched(client):
    with _ImageSite() as url:
        response = client.chat.completions.create(
            model="interfaze",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": url}},
                        {"type": "text", "text": "What text is in this image?"},
                    ],
                }
            ],
            max_tokens=32,
        )
    meta = response.model_extra["interfaze"]
    assert "ocr" in meta["route"] or "chart" in meta["route"]


# ---------------------------------------------------------- row 6: long message
def test_row6_long_user_message_is_answered(client, llm_id):
    text = " ".join(f"Sentence {i} says the sky was clear that day." for i in range(200))
    assert len(text) > 4000  # over retrieval's query limit and over the model's context
    for model in ("interfaze", llm_id):
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": f"Summarize the following: {text}"}],
            max_tokens=16,
        )
        assert response.choices[0].message.content is not None


# ----------------------------------------------- row 7: json_schema cut at max_tokens
def test_row7_json_schema_cut_at_max_tokens_is_length_not_502(client, llm_id):
    schema = {
        "type": "object",
        "properties": {"story": {"type": "string"}},
        "required": ["story"],
    }
    response = client.chat.completions.create(
        model=llm_id,
        messages=[{"role": "user", "content": "Write a long story about a ship."}],
        response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
        max_tokens=5,
    )
    assert response.choices[0].finish_reason == "length"


# --------------------------------------------------- rows 8, 9: sampling parameters
def test_row8_logprobs_and_penalties(client, llm_id):
    response = client.chat.completions.create(
        model=llm_id,
        messages=[{"role": "user", "content": "Say yes."}],
        max_tokens=4,
        logprobs=True,
        top_logprobs=2,
        presence_penalty=0.5,
        frequency_penalty=0.5,
        logit_bias={"0": -1},
        temperature=0,
    )
    entries = response.choices[0].logprobs.content
    assert entries and entries[0].logprob <= 0 and len(entries[0].top_logprobs) == 2
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=llm_id,
            messages=[{"role": "user", "content": "hi"}],
            presence_penalty=5,
        )


def test_row9_n_choices(client, llm_id):
    response = client.chat.completions.create(
        model=llm_id,
        messages=[{"role": "user", "content": "Name an animal."}],
        n=3,
        max_tokens=8,
        temperature=1.0,
        seed=7,
    )
    assert [c.index for c in response.choices] == [0, 1, 2]
    assert all(c.message.content is not None for c in response.choices)


# ----------------------------------------------- row 10: the small stack honours the request
def test_row10_small_stack_honours_max_tokens_stop_usage_and_schema(client):
    response = client.chat.completions.create(
        model="interfaze",
        messages=[{"role": "user", "content": "What is 2 to the power of 100?"}],
        max_tokens=2,
    )
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens <= 2 and response.usage.prompt_tokens > 0
    schema = {"type": "object", "properties": {"value": {"type": "integer"}}}
    response = client.chat.completions.create(
        model="interfaze",
        messages=[{"role": "user", "content": "What is 21 * 2?"}],
        response_format={"type": "json_schema", "json_schema": {"name": "v", "schema": schema}},
    )
    assert json.loads(response.choices[0].message.content) == {"value": 42}
    assert response.model_extra["interfaze"]["escalated"] is False
    stopped = client.chat.completions.create(
        model="interfaze",
        messages=[{"role": "user", "content": "What is 1000 * 1000?"}],
        stop=["000"],
    )
    assert stopped.choices[0].message.content == "1"


def test_async_and_streaming_clients(running_app):
    import asyncio

    async def run():
        aclient = openai.AsyncOpenAI(
            base_url=running_app.openai_base_url, api_key="test", max_retries=0
        )
        stream = await aclient.chat.completions.create(
            model="interfaze",
            messages=[{"role": "user", "content": "What is 9 * 9?"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text, usage = "", None
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            usage = chunk.usage or usage
        return text, usage

    text, usage = asyncio.run(run())
    assert text == "81" and usage.total_tokens > 0


def test_image_data_url_still_works(client):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    response = client.chat.completions.create(
        model="interfaze",
        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}},
                                              {"type": "text", "text": "Describe it."}]}],
        max_tokens=8,
    )  # fmt: skip
    assert response.choices[0].message.content is not None
