import pytest

from serve.config.loader import ConfigError, load_config, validate
from serve.config.schema import AutoscalingSettings, DeploymentSettings


@pytest.mark.parametrize("profile", ["local", "gpu"])
def test_shipped_profiles_validate(profile):
    config = load_config(profile)
    assert config.profile == profile
    assert config.routing.timeouts.perception_ms == 15000
    assert config.routing.timeouts.action_ms == 15000
    assert config.router.max_ongoing_requests > 5  # Ray's default collapses under load


def test_local_profile_is_cpu_only_and_gpu_profile_fractional():
    local, gpu = load_config("local"), load_config("gpu")
    assert local.llm.num_gpus == 0 and local.router.num_gpus == 0
    assert local.llm.device == "cpu"
    assert 0 < gpu.llm.num_gpus < 1 and gpu.llm.device == "cuda"


def test_error_names_the_field():
    with pytest.raises(ConfigError) as err:
        load_config("local", {"router": {"autoscaling_config": {"max_replicas": "many"}}})
    assert "router.autoscaling_config.max_replicas" in str(err.value)


def test_unknown_key_is_rejected():
    with pytest.raises(ConfigError) as err:
        load_config("local", {"llm": {"num_gpu": 1}})
    assert "llm.num_gpu" in str(err.value)


def test_gpus_on_cpu_device_rejected():
    with pytest.raises(ConfigError, match="num_gpus must be 0"):
        load_config("local", {"llm": {"num_gpus": 0.25}})


def test_negative_gpu_fraction_rejected():
    with pytest.raises(ConfigError, match=r"router\.num_gpus"):
        load_config("local", {"router": {"num_gpus": -0.5}})


def test_autoscaling_bounds():
    with pytest.raises(ValueError, match="exceeds max_replicas"):
        AutoscalingSettings(min_replicas=3, max_replicas=2)
    with pytest.raises(ValueError, match="initial_replicas"):
        AutoscalingSettings(min_replicas=1, max_replicas=2, initial_replicas=5)


def test_target_must_not_exceed_max_ongoing():
    with pytest.raises(ValueError, match="target_ongoing_requests"):
        DeploymentSettings(
            max_ongoing_requests=4, autoscaling_config={"target_ongoing_requests": 10}
        )


def test_serve_options_carry_resources_and_queue_limits():
    settings = DeploymentSettings(
        num_cpus=0.5, num_gpus=0.25, memory=2**30, max_ongoing_requests=50, max_queued_requests=10
    )
    options = settings.serve_options()
    assert options["ray_actor_options"] == {"num_cpus": 0.5, "num_gpus": 0.25, "memory": 2**30}
    assert options["max_ongoing_requests"] == 50
    assert options["max_queued_requests"] == 10
    assert options["num_replicas"] == 1  # min == max: a fixed count, no autoscaling pushes
    assert "autoscaling_config" not in options


def test_serve_options_autoscale_only_a_range():
    scaled = DeploymentSettings(autoscaling_config={"min_replicas": 1, "max_replicas": 3})
    options = scaled.serve_options()
    assert options["autoscaling_config"]["max_replicas"] == 3
    assert "num_replicas" not in options
    fixed = DeploymentSettings(autoscaling_config={"min_replicas": 2, "max_replicas": 2})
    assert fixed.serve_options()["num_replicas"] == 2
    assert "autoscaling_config" not in fixed.serve_options()


def test_routing_rejects_unknown_stage():
    raw = load_config("local").model_dump(mode="json")
    raw["routing"]["routes"]["text"]["pipeline"] = ["telepathy", "llm"]
    with pytest.raises(ConfigError, match="unknown stage"):
        validate(raw)


def test_routing_needs_text_route():
    raw = load_config("local").model_dump(mode="json")
    del raw["routing"]["routes"]["text"]
    with pytest.raises(ConfigError, match="'text'"):
        validate(raw)


def test_stage_timeouts_in_seconds():
    timeouts = load_config("local").routing.timeouts
    assert timeouts.for_stage("ocr") == 15.0
    assert timeouts.for_stage("browse") == 15.0
