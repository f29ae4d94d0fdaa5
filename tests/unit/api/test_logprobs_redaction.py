"""Logprobs never spell what the output guard redacted (chat and completions, JSON and SSE)."""

from __future__ import annotations

import json

import pytest

from serve.config.loader import load_config
from serve.gateway.gateway import Gateway
from tests.unit.api.llm_fakes import ScriptedLLM
from tests.unit.gateway.conftest import HashingEmbedder
from tests.unit.harness import make_harness

SECRET = "sk-abcdefghijklmnopqrstuvwxyz123456"
LEAKY = f"Sure, the key is {SECRET} so keep it somewhere safe please"
CLEAN = "Paris is the capital of France and a large city"


def harness(tmp_path, reply: str):
    config = load_config(
        "local",
        {"data_dir": str(tmp_path), "router": {"shared_traces": False, "intent_embeddings": False}},
    )
    gateway = Gateway.from_app_config(config, embedder=HashingEmbedder())
    llm = ScriptedLLM(lambda _prompt: reply)
    return make_harness({}, config=config, with_gateway=gateway, llm_handle=llm)


def events(response) -> list[dict]:
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    return [json.loads(line) for line in lines if line != "[DONE]"]


def chat(app, stream: bool):
    body = {
        "model": app.config.llm.model_id,
        "messages": [{"role": "user", "content": "tell me"}],
        "logprobs": True,
        "top_logprobs": 2,
        "stream": stream,
    }
    return app.client.post("/v1/chat/completions", json=body)


def completion(app, stream: bool):
    body = {
        "model": app.config.llm.model_id,
        "prompt": "tell me",
        "logprobs": 2,
        "max_tokens": 64,
        "stream": stream,
    }
    return app.client.post("/v1/completions", json=body)


def responses(app, stream: bool):
    body = {
        "model": app.config.llm.model_id,
        "input": "tell me",
        "top_logprobs": 2,
        "stream": stream,
    }
    return app.client.post("/v1/responses", json=body)


def responses_tokens(response, stream: bool) -> tuple[str, list[str]]:
    if stream:
        done = [e for e in events(response) if e.get("type") == "response.output_text.done"]
        deltas = [e for e in events(response) if e.get("type") == "response.output_text.delta"]
        tokens = [entry["token"] for e in deltas for entry in e.get("logprobs") or []]
        return done[0]["text"], tokens
    [message] = [item for item in response.json()["output"] if item["type"] == "message"]
    part = message["content"][0]
    return part["text"], [entry["token"] for entry in part.get("logprobs") or []]


def chat_tokens(response, stream: bool) -> tuple[str, list[str]]:
    if not stream:
        [choice] = response.json()["choices"]
        content = (choice["logprobs"] or {}).get("content") or []
        return choice["message"]["content"], [entry["token"] for entry in content]
    text, tokens = "", []
    for event in events(response):
        for choice in event["choices"]:
            text += choice["delta"].get("content") or ""
            tokens += [e["token"] for e in ((choice.get("logprobs") or {}).get("content") or [])]
    return text, tokens


def completion_tokens(response, stream: bool) -> tuple[str, list[str]]:
    choices = (
        [c for e in events(response) for c in e["choices"]]
        if stream
        else (response.json()["choices"])
    )
    text = "".join(c["text"] for c in choices)
    tokens = [t for c in choices for t in ((c.get("logprobs") or {}).get("tokens") or [])]
    return text, tokens


ENDPOINTS = {
    "chat": (chat, chat_tokens),
    "completions": (completion, completion_tokens),
    "responses": (responses, responses_tokens),
}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_a_redacted_answer_sends_no_token_that_spells_it(tmp_path, endpoint, stream):
    app = harness(tmp_path, LEAKY)
    call, read = ENDPOINTS[endpoint]
    response = call(app, stream)
    assert response.status_code == 200, response.text
    text, tokens = read(response, stream)
    assert "[REDACTED:openai_key]" in text and SECRET not in text
    assert SECRET not in response.text  # nowhere: not in a token, not in an alternative
    assert SECRET not in "".join(tokens)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_a_clean_answer_keeps_every_logprob_in_order(tmp_path, endpoint, stream):
    app = harness(tmp_path, CLEAN)
    call, read = ENDPOINTS[endpoint]
    response = call(app, stream)
    assert response.status_code == 200, response.text
    text, tokens = read(response, stream)
    assert text == CLEAN
    assert "".join(tokens) == CLEAN and len(tokens) == len(CLEAN.split(" "))
