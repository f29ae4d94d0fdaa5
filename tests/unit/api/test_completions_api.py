"""POST /v1/completions: the client's prompt on the bare LLM (fake LLM deployment, no Ray)."""

from __future__ import annotations

import json

import pytest

from tests.unit.api.llm_fakes import ScriptedLLM
from tests.unit.harness import make_harness


@pytest.fixture
def app():
    return make_harness({}, llm_handle=ScriptedLLM())


def complete(app, **body):
    body.setdefault("model", app.config.llm.model_id)
    return app.client.post("/v1/completions", json=body)


def sse(response) -> list[dict]:
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


def test_prompt_goes_to_the_llm_raw_with_every_sampling_parameter(app):
    response = complete(
        app,
        prompt="Once upon a time",
        max_tokens=40,
        temperature=0.7,
        top_p=0.9,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        logit_bias={"42": -100},
        seed=7,
        stop=["\n", "THE END"],
        user="u1",
        some_future_option=True,
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["object"] == "text_completion" and data["id"].startswith("cmpl-")
    assert data["choices"] == [
        {"index": 0, "text": "echo of Once upon a time", "logprobs": None, "finish_reason": "stop"}
    ]
    assert data["usage"] == {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}
    assert data["interfaze"]["trace_id"] == data["id"].removeprefix("cmpl-")
    sent = app.llm.requests[0]
    assert sent["prompt"] == "Once upon a time" and sent["raw_prompt"] is True
    assert "messages" not in sent and "template_stops" not in sent
    assert sent["stop"] == ["\n", "THE END"] and sent["max_tokens"] == 40
    for name, value in [
        ("temperature", 0.7),
        ("top_p", 0.9),
        ("presence_penalty", 0.5),
        ("frequency_penalty", -0.5),
        ("logit_bias", {"42": -100}),
        ("seed", 7),
    ]:
        assert sent[name] == value
    trace = app.trace(data["interfaze"]["trace_id"])
    assert trace["endpoint"] == "/v1/completions" and trace["route"] == "completions"
    assert trace["llm"]["completion_tokens"] == 6 and trace["status"] == 200


def test_openai_defaults_and_nulls(app):
    response = complete(app, prompt="Hi", n=None, stream=None, max_tokens=None, echo=None)
    assert response.status_code == 200, response.text
    assert app.llm.requests[0]["max_tokens"] == 16  # OpenAI's default for completions
    assert "n" not in app.llm.requests[0]


def test_interfaze_model_answers_with_the_bare_llm(app):
    response = complete(app, model="interfaze", prompt="2 + 2 =")
    assert response.status_code == 200 and response.json()["model"] == "interfaze"
    assert app.llm.requests[0]["prompt"] == "2 + 2 ="  # the small stack did not answer


def test_a_list_of_prompts_gives_n_choices_per_prompt_in_order(app):
    response = complete(app, prompt=["alpha beta", "gamma"], n=2, max_tokens=3)
    data = response.json()
    assert [c["index"] for c in data["choices"]] == [0, 1, 2, 3]
    assert [c["text"] for c in data["choices"]] == [
        "echo of alpha",
        "echo of alpha",
        "echo of gamma",
        "echo of gamma",
    ]
    assert [c["finish_reason"] for c in data["choices"]] == ["length", "length", "stop", "stop"]
    assert len(app.llm.requests) == 2 and {r["n"] for r in app.llm.requests} == {2}
    assert data["usage"]["prompt_tokens"] == 3  # summed over both prompts
    assert data["usage"]["completion_tokens"] == 3 * 2 + 3 * 2


def test_logprobs_are_rendered_completion_style(app):
    data = complete(app, prompt="Say it", logprobs=2).json()
    choice = data["choices"][0]
    logprobs = choice["logprobs"]
    assert app.llm.requests[0]["logprobs"] is True and app.llm.requests[0]["top_logprobs"] == 2
    assert "".join(logprobs["tokens"]) == choice["text"] == "echo of Say it"
    assert logprobs["token_logprobs"] == [-0.25, -0.35, -0.45, -0.55]
    assert all(len(top) == 2 for top in logprobs["top_logprobs"])
    assert logprobs["top_logprobs"][1] == {" of": -0.35, " alt0": -1.35}
    for token, offset in zip(logprobs["tokens"], logprobs["text_offset"], strict=True):
        assert choice["text"][offset : offset + len(token)] == token


def test_echo_prefixes_the_prompt(app):
    data = complete(app, prompt="Roses are red,", echo=True).json()
    assert data["choices"][0]["text"] == "Roses are red,echo of Roses are red,"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"prompt": "x", "suffix": "y"}, 400, "suffix"),
        ({"prompt": "x", "echo": True, "logprobs": 1}, 400, "echo"),
        ({"prompt": "x", "best_of": 3}, 400, "best_of"),
        ({"prompt": [1, 2, 3]}, 400, "prompt"),
        ({"prompt": [[1, 2], [3]]}, 400, "prompt"),
        ({"prompt": ""}, 400, "prompt"),
        ({"prompt": ["ok", ""]}, 400, "prompt[1]"),
        ({"prompt": []}, 400, "prompt"),
        ({"prompt": "x", "logprobs": 6}, 400, "logprobs"),
        ({"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, 400, "stop"),
        ({"prompt": "x", "temperature": 3}, 400, "temperature"),
        ({"prompt": "x", "logit_bias": {"abc": 1}}, 400, "logit_bias"),
        ({"prompt": ["x"] * 33}, 400, "prompt"),
        ({"prompt": ["x"] * 5, "n": 16}, 400, "n"),
        ({"prompt": "x", "model": "gpt-3.5-turbo-instruct"}, 404, "model"),
    ],
)
def test_refusals_are_openai_errors(app, body, status, param):
    response = complete(app, **body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param and error["message"]
    assert not app.llm.requests


def test_lone_surrogate_is_400_not_500(app):
    raw = '{"model": "interfaze", "prompt": "a\\ud800b"}'
    response = app.client.post(
        "/v1/completions", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "surrogate" in response.json()["error"]["message"]


def test_prompt_over_the_text_limit_is_413():
    app = make_harness({}, llm_handle=ScriptedLLM(), gateway={"validation": {"max_text_chars": 10}})
    response = complete(app, prompt="x" * 11)
    assert response.status_code == 413 and response.json()["error"]["code"] == "prompt_too_long"


def test_no_llm_deployed_is_503():
    app = make_harness({}, llm_handle=False)
    response = app.client.post("/v1/completions", json={"model": "interfaze", "prompt": "x"})
    assert response.status_code == 503


def test_stream_sends_text_completion_chunks_then_usage(app):
    response = complete(
        app, prompt=["one two", "three"], stream=True, stream_options={"include_usage": True}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = sse(response)
    assert {c["object"] for c in chunks} == {"text_completion"}
    assert len({c["id"] for c in chunks}) == 1
    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    for chunk in chunks[:-1]:
        for choice in chunk["choices"]:
            texts[choice["index"]] = texts.get(choice["index"], "") + choice["text"]
            if choice.get("finish_reason"):
                finishes[choice["index"]] = choice["finish_reason"]
    assert texts == {0: "echo of one two", 1: "echo of three"}
    assert finishes == {0: "stop", 1: "stop"}
    assert chunks[-2]["interfaze"]["trace_id"] == chunks[0]["id"].removeprefix("cmpl-")
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 7


def test_stream_logprobs_offsets_run_on_across_chunks(app):
    chunks = sse(complete(app, prompt="a b", stream=True, logprobs=1))
    entries = [c["choices"][0]["logprobs"] for c in chunks if c["choices"][0].get("logprobs")]
    offsets = [o for e in entries for o in e["text_offset"]]
    tokens = [t for e in entries for t in e["tokens"]]
    assert offsets == [0, 4, 7, 9] and "".join(tokens) == "echo of a b"


def test_echo_in_a_stream_comes_first(app):
    chunks = sse(complete(app, prompt="Hi", stream=True, echo=True))
    assert chunks[0]["choices"][0]["text"] == "Hi"


def test_engine_error_mid_stream_is_an_error_event():
    llm = ScriptedLLM()
    llm.fail_after = 2
    app = make_harness({}, llm_handle=llm)
    response = complete(app, prompt="a b c", stream=True)
    chunks = sse(response)
    assert chunks[-1]["error"]["type"] and "engine died" in chunks[-1]["error"]["message"]
    assert "".join(c["choices"][0]["text"] for c in chunks[:-1]) == "echo of"
    trace = app.services.lifecycle.traces.list(None)[0]
    assert trace["status"] >= 500


def test_engine_error_before_any_text_keeps_its_status():
    llm = ScriptedLLM()
    llm.fail_after = 0
    app = make_harness({}, llm_handle=llm)
    assert complete(app, prompt="x").status_code == 502
    assert complete(app, prompt="x", stream=True).status_code == 502
