"""Embedder, micro-batching, LocalHandle and the embed deployment (real MiniLM, no Ray)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from deployments.common.errors import InputTooLarge, MalformedInput
from deployments.embed.batching import MicroBatcher
from deployments.embed.config import EmbedSettings
from deployments.embed.deployment import EmbedDeployment
from deployments.embed.handles import LocalHandle, call
from deployments.embed.model import tokenizer_file


@pytest.fixture(scope="module")
def deployment() -> EmbedDeployment:
    return EmbedDeployment({"max_texts_per_request": 8, "max_text_chars": 200})


async def test_vectors_are_normalised_and_semantic(deployment: EmbedDeployment) -> None:
    vectors = np.array(
        await deployment.embed(
            [
                "How do I open a file in Python?",
                "Use the built-in open() function to read a file.",
                "The recipe needs two eggs and a cup of flour.",
            ]
        )
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    related, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert related > unrelated + 0.2


async def test_concurrent_calls_share_batches_and_keep_order(deployment: EmbedDeployment) -> None:
    texts = [f"sentence number {i} about topic {i % 3}" for i in range(6)]
    alone = await deployment.embed(texts)
    together = await asyncio.gather(*(deployment.embed([t]) for t in texts))
    assert np.allclose(np.array([v[0] for v in together]), np.array(alone), atol=1e-5)
    assert await deployment.embed([]) == []


async def test_bad_input_is_rejected_with_the_limit(deployment: EmbedDeployment) -> None:
    with pytest.raises(MalformedInput):
        await deployment.embed("not a list")  # type: ignore[arg-type]
    with pytest.raises(MalformedInput):
        await deployment.embed(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(InputTooLarge, match="max_texts_per_request=8"):
        await deployment.embed(["x"] * 9)
    with pytest.raises(InputTooLarge, match="max_text_chars=200"):
        await deployment.embed(["x" * 201])


async def test_info_and_handles(deployment: EmbedDeployment) -> None:
    handle = LocalHandle(deployment)
    info = await handle.info.remote()
    assert info["dimension"] == 384 and info["normalize"] is True
    assert len((await call(handle, "embed", ["a"]))[0]) == 384
    assert len((await call(deployment, "embed", ["a"]))[0]) == 384  # a plain object works too
    await deployment.check_health()


async def test_batcher_error_reaches_every_caller_and_worker_survives() -> None:
    calls = []

    def encode(texts: list[str]) -> list[list[float]]:
        calls.append(list(texts))
        if "boom" in texts:
            raise ValueError("boom")
        return [[float(len(t))] for t in texts]

    batcher = MicroBatcher(encode, max_batch=4)
    with pytest.raises(ValueError):
        await batcher.submit(["boom"])
    assert await batcher.submit(["abc", "de"]) == [[3.0], [2.0]]
    batcher.close()


def test_settings_have_descriptions_and_tokenizer_ships() -> None:
    for name, field in EmbedSettings.model_fields.items():
        assert field.description, name
    assert tokenizer_file().name == "tokenizer.json"


def test_builder_names_the_deployment() -> None:
    from deployments.embed.builder import build_embed_deployment

    settings = EmbedSettings(num_cpus=0.5)
    app = build_embed_deployment(settings)
    deployment = app._bound_deployment
    assert deployment.name == "embed"
    assert deployment.ray_actor_options["num_cpus"] == 0.5
