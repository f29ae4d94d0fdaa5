"""The capacity plan's Helm values validate against the app schema and the chart."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from serve.config.loader import load_config

VALUES = Path(__file__).resolve().parents[3] / "loadtest" / "capacity-1k-values.yaml"


def test_interfaze_block_validates_on_the_gpu_profile():
    values = yaml.safe_load(VALUES.read_text())
    config = load_config("gpu", values["interfaze"])
    router = config.router.autoscaling_config
    assert router.min_replicas <= router.max_replicas
    assert config.router.max_queued_requests > 0  # overload is shed, not queued forever
    assert config.llm.max_queued_requests > 0


def test_chart_renders_with_the_values():
    from ops.k8s.helm import Helm, HelmError

    try:
        helm = Helm()
    except HelmError:
        pytest.skip("helm not installed")
    out = helm.template(values_files=[VALUES])
    assert "RAY_SERVE_ENABLE_HA_PROXY" in out
    assert "max_replicas: 48" in out
