"""mix.yaml validation and the weighted request mix."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from loadtest.mix import RequestMix, normalise
from loadtest.settings import CATEGORIES, LoadTestConfig, load_loadtest_config


def test_shipped_config_validates_and_names_known_categories():
    config = load_loadtest_config()
    assert {"production", "local", "router"} <= set(config.mixes)
    assert {"spike-cluster", "spike-local", "steady-local"} <= set(config.shapes)
    for weights in config.mixes.values():
        assert set(weights) <= set(CATEGORIES)
    assert config.shape("spike-cluster").peak_rps == 1000


def test_unknown_names_and_bad_weights_are_errors():
    config = load_loadtest_config()
    with pytest.raises(KeyError, match="unknown mix"):
        config.mix("nope")
    with pytest.raises(KeyError, match="unknown shape"):
        config.shape("nope")
    with pytest.raises(ValidationError, match="weights must be >= 0"):
        LoadTestConfig.model_validate({"mixes": {"m": {"text": -1}}, "shapes": {}})
    with pytest.raises(ValidationError):
        LoadTestConfig.model_validate({"mixes": {"m": {"video": 1}}, "shapes": {}})


def test_normalise_drops_zero_and_unavailable_categories():
    weights = normalise({"url": 2, "text": 1, "pdf": 0, "audio": 1}, {"text", "audio", "pdf"})
    assert weights == {"text": 0.5, "audio": 0.5}
    assert list(weights) == ["text", "audio"]  # report order
    with pytest.raises(ValueError, match="no category"):
        normalise({"url": 1}, {"text"})


def test_request_mix_follows_the_weights_and_cycles_payloads():
    payloads = {"text": ["t1", "t2"], "arithmetic": ["a1"], "url": []}
    mix = RequestMix({"text": 3, "arithmetic": 1, "url": 5}, payloads, seed=3)
    assert mix.dropped == ["url"]
    picks = [mix.next() for _ in range(4000)]
    counts = Counter(name for name, _ in picks)
    assert abs(counts["text"] / 4000 - 0.75) < 0.03
    texts = [body for name, body in picks if name == "text"]
    assert texts[:4] == ["t1", "t2", "t1", "t2"]


def test_same_seed_same_sequence():
    payloads = {"text": ["t"], "audio": ["a"]}
    a = RequestMix({"text": 1, "audio": 1}, payloads, seed=9)
    b = RequestMix({"text": 1, "audio": 1}, payloads, seed=9)
    assert [a.category() for _ in range(50)] == [b.category() for _ in range(50)]
