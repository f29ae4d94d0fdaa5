"""POST /v1/embeddings over the real embed deployment (MiniLM in-process, no Ray)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient

from deployments.embed.deployment import EmbedDeployment
from deployments.embed.handles import LocalHandle
from tests.unit.harness import make_harness

TEXTS = ["How do I open a file in Python?", "Use open() to read a file.", "Two eggs and flour."]


LIMITS = {"max_texts_per_request": 8, "max_text_chars": 2000}


@pytest.fixture(scope="module")
def embedder() -> EmbedDeployment:
    return EmbedDeployment(LIMITS)


def _client(embedder):
    app = make_harness({"embed": LocalHandle(embedder)}, llm_handle=False, embed=LIMITS)
    return app, TestClient(app.client.app)  # one event loop for the embedder's batcher


@pytest.fixture(scope="module")
def app(embedder):
    app, client = _client(embedder)
    with client:
        app.client = client
        yield app


def embed(app, **body):
    body.setdefault("model", "text-embedding-3-small")
    return app.client.post("/v1/embeddings", json=body)


def test_list_input_gives_one_vector_per_text_in_order(app, embedder):
    response = embed(app, input=TEXTS, user="u1", an_unknown_field=1)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["object"] == "list" and data["model"] == "text-embedding-3-small"
    assert [d["index"] for d in data["data"]] == [0, 1, 2]
    assert {d["object"] for d in data["data"]} == {"embedding"}
    vectors = np.array([d["embedding"] for d in data["data"]])
    assert vectors.shape == (3, 384)
    assert np.allclose(vectors, np.array(embedder.embedder.embed(TEXTS)), atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    tokenizer = embedder.embedder._model.tokenizer
    expected = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in TEXTS)
    assert data["usage"] == {"prompt_tokens": expected, "total_tokens": expected}
    meta = data["interfaze"]
    assert meta["dimension"] == 384 and meta["truncated_inputs"] == []
    trace = app.trace(meta["trace_id"])
    assert trace["endpoint"] == "/v1/embeddings" and trace["stages"][0]["name"] == "embed"
    assert trace["stages"][0]["summary"]["tokens"] == expected


def test_base64_is_little_endian_float32(app):
    as_floats = embed(app, input="hello", encoding_format="float").json()["data"][0]["embedding"]
    encoded = embed(app, input="hello", encoding_format="base64").json()["data"][0]["embedding"]
    decoded = np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    assert np.allclose(decoded, as_floats, atol=1e-7)
    assert (
        embed(app, input="hello", encoding_format=None).json()["data"][0]["embedding"][:3]
        == (as_floats[:3])
    )


@pytest.mark.parametrize(
    "model", ["text-embedding-3-small", "text-embedding-ada-002", "minilm", "all-MiniLM-L6-v2"]
)
def test_model_names(app, model):
    assert embed(app, model=model, input="x").status_code == 200


def test_embedding_model_is_listed(app):
    ids = [m["id"] for m in app.client.get("/v1/models").json()["data"]]
    assert "minilm" in ids and ids[0] == "interfaze"


def test_long_inputs_are_cut_at_the_model_length_and_reported(app):
    data = embed(app, input=["short", "word " * 400]).json()
    assert data["interfaze"]["truncated_inputs"] == [1]
    assert data["interfaze"]["max_tokens_per_input"] == 254
    assert data["usage"]["prompt_tokens"] == 1 + 254


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"input": [1, 2, 3]}, 400, "unsupported_input_type", "input"),
        ({"input": [[1, 2], [3]]}, 400, "unsupported_input_type", "input"),
        ({"input": []}, 400, "invalid_value", "input"),
        ({"input": ["ok", ""]}, 400, "invalid_value", "input[1]"),
        ({"input": "x", "dimensions": 256}, 400, "invalid_value", "dimensions"),
        ({"input": "x", "encoding_format": "int8"}, 400, "invalid_value", "encoding_format"),
        ({"input": "x", "model": "gpt-4o"}, 404, "model_not_found", "model"),
        ({"input": ["x"] * 9}, 413, "too_many_inputs", "input"),
        ({"input": ["x", "y" * 2001]}, 413, "input_too_long", "input[1]"),
    ],
)
def test_refusals_are_openai_errors(app, body, status, code, param):
    response = embed(app, **body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)


def test_dimensions_equal_to_the_model_are_accepted(app):
    assert embed(app, input="x", dimensions=384).status_code == 200


def test_total_characters_limit(embedder):
    app, client = _client(embedder)
    app.services.embeddings.max_total_chars = 100
    with client:
        response = client.post(
            "/v1/embeddings", json={"model": "minilm", "input": ["a" * 60, "b" * 60]}
        )
    assert response.status_code == 413 and response.json()["error"]["code"] == "input_too_long"


def test_no_embed_deployment_is_503():
    app = make_harness({}, llm_handle=False)
    response = app.client.post("/v1/embeddings", json={"model": "minilm", "input": "x"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "embed_unavailable"
    ids = [m["id"] for m in app.client.get("/v1/models").json()["data"]]
    assert "minilm" not in ids
