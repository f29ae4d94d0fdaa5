"""ExecuteSettings: defaults, validation, Serve options, a description on every field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deployments.actions.execute.config import ExecuteSettings


def test_defaults_are_safe_and_explicit():
    settings = ExecuteSettings()
    assert settings.enabled and settings.backend == "bubblewrap" and settings.allow_fallback
    assert settings.timeout_s == 10 and settings.memory_mb == 256 and settings.max_pids == 32
    assert not settings.allow_exec and settings.allow_numpy
    assert settings.sandbox_uid != 0


def test_every_field_is_described():
    assert all(field.description for field in ExecuteSettings.model_fields.values())


@pytest.mark.parametrize(
    "bad",
    [
        {"backend": "docker"},
        {"timeout_s": 0},
        {"memory_mb": 1},
        {"max_pids": 0},
        {"disable_layers": ["bubblewrap"]},
        {"extra_packages": ["not a module"]},
        {"sandbox_uid": 0},
        {"unknown_key": 1},
    ],
)
def test_invalid_values_are_rejected(bad):
    with pytest.raises(ValidationError):
        ExecuteSettings(**bad)


def test_serve_options_round_trip():
    settings = ExecuteSettings(num_cpus=0.5, max_ongoing_requests=8)
    options = settings.serve_options()
    assert options["ray_actor_options"] == {"num_cpus": 0.5, "num_gpus": 0.0}
    assert options["max_ongoing_requests"] == 8
    assert ExecuteSettings.model_validate(settings.model_dump(mode="json")) == settings
