import json

import pytest

from deployments.llm.builder import build_llm_config, engine_kwargs, placement_bundles
from deployments.llm.local_model import (
    PACKAGED_MODELS,
    ModelNotPreparedError,
    is_local_source,
    resolve_model_source,
)
from serve.config.loader import load_config


def test_cpu_bundle_and_engine_kwargs():
    settings = load_config("local").llm
    assert placement_bundles(settings) == [{"CPU": 1.0}]
    assert engine_kwargs(settings)["enforce_eager"] is True
    assert "gpu_memory_utilization" not in engine_kwargs(settings)


def test_gpu_fraction_bundle_caps_gpu_memory():
    settings = load_config("gpu").llm
    assert placement_bundles(settings) == [{"GPU": 0.5}]
    assert engine_kwargs(settings)["gpu_memory_utilization"] == pytest.approx(0.45)


def test_explicit_gpu_memory_utilization_wins():
    settings = load_config("gpu", {"llm": {"engine_kwargs": {"gpu_memory_utilization": 0.3}}}).llm
    assert engine_kwargs(settings)["gpu_memory_utilization"] == 0.3


def test_llm_config_carries_deployment_options():
    settings = load_config("gpu").llm
    config = build_llm_config(settings, "Qwen/Qwen2.5-7B-Instruct")
    assert config.model_id == "qwen2.5-7b-instruct"
    assert config.deployment_config["max_ongoing_requests"] == 64
    assert config.deployment_config["autoscaling_config"]["max_replicas"] == 8
    assert config.placement_group_config == {"bundles": [{"GPU": 0.5}]}


def test_a_fixed_llm_replica_count_is_not_autoscaled():
    settings = load_config("local").llm  # min_replicas == max_replicas == 1
    assert settings.autoscaling_config.fixed
    options = build_llm_config(settings, "/models/x").deployment_config
    assert options["num_replicas"] == 1 and "autoscaling_config" not in options


def test_hub_sources_pass_through_and_local_ones_must_be_prepared(tmp_path):
    assert resolve_model_source("Qwen/Qwen2.5-7B-Instruct", tmp_path) == "Qwen/Qwen2.5-7B-Instruct"
    assert is_local_source("local:gemma-3-270m")
    with pytest.raises(ModelNotPreparedError, match="ifz models prepare"):
        resolve_model_source("local:gemma-3-270m", tmp_path)
    with pytest.raises(ValueError, match="unknown packaged model"):
        resolve_model_source("local:llama-9000", tmp_path)


def test_prepared_folder_resolves_only_with_the_current_recipe(tmp_path):
    folder = tmp_path / "models" / "gemma-3-270m"
    folder.mkdir(parents=True)
    (folder / "interfaze-ready.json").write_text("{}")  # an older conversion: no fingerprint
    with pytest.raises(ModelNotPreparedError, match="stale"):
        resolve_model_source("local:gemma-3-270m", tmp_path)
    marker = {"fingerprint": PACKAGED_MODELS["gemma-3-270m"].fingerprint()}
    (folder / "interfaze-ready.json").write_text(json.dumps(marker))
    assert resolve_model_source("local:gemma-3-270m", tmp_path) == str(folder)
