"""Generated chart and k8s/ files are current, and the values match the one config schema."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft7Validator

from ops.k8s.chart_files import values_schema
from ops.k8s.helm import CHART_DIR, REPO_ROOT, find_tool
from ops.k8s.sync import artifacts
from ops.k8s.values import ChartValues
from serve.config.loader import config_from_args, load_raw
from serve.config.schema import AppConfig

REGENERATE = "stale; regenerate with `python -m ops.k8s.sync` and commit the result"


@pytest.mark.parametrize("artifact", artifacts(), ids=lambda a: str(a.path.relative_to(REPO_ROOT)))
def test_generated_file_is_current(artifact):
    if artifact.needs_helm and not find_tool("helm"):
        pytest.skip("helm not installed: run scripts/install-tools.sh")
    assert artifact.path.exists(), f"{artifact.path} missing: {REGENERATE}"
    assert artifact.path.read_text() == artifact.render(), f"{artifact.path} {REGENERATE}"


def _values() -> dict:
    return yaml.safe_load((CHART_DIR / "values.yaml").read_text())


def test_values_validate_with_the_chart_and_app_schemas():
    values = _values()
    ChartValues.model_validate(values)
    config = config_from_args(values["interfaze"])
    assert isinstance(config, AppConfig)
    assert config.llm.num_gpus == 0.5 and config.llm.device == "cuda"


def test_values_interfaze_is_the_gpu_profile():
    assert _values()["interfaze"] == load_raw("gpu")


def test_values_schema_embeds_the_app_config_schema():
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    assert schema["properties"]["interfaze"]["$ref"] == "#/$defs/AppConfig"
    app = schema["$defs"]["AppConfig"]
    assert set(app["properties"]) == set(AppConfig.model_fields)
    assert app["additionalProperties"] is False
    assert schema == values_schema()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("interfaze", "llm", "num_gpus"), "half", "is not of type 'number'"),
        (("workers", "gpu", "maxReplicas"), "many", "is not of type 'integer'"),
        (("interfaze", "llm", "surprise"), 1, "Additional properties"),
        (("upgradeStrategy", "type"), "Rolling", "is not one of"),
    ],
)
def test_values_schema_rejects_wrong_types(path, value, message):
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    values = _values()
    Draft7Validator(schema).validate(values)
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    errors = [e.message for e in Draft7Validator(schema).iter_errors(values)]
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize("folder", ["base", "monitoring"])
def test_kustomizations_build(folder):
    """`kubectl kustomize` (built into kubectl) builds the plain manifests."""
    import subprocess

    kubectl = find_tool("kubectl")
    if not kubectl:
        pytest.skip("kubectl not installed: run scripts/install-tools.sh")
    proc = subprocess.run(
        [kubectl, "kustomize", str(REPO_ROOT / "k8s" / folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(proc.stdout) if d)
    expected = ["RayService"] if folder == "base" else ["ConfigMap", "PodMonitor", "PrometheusRule"]
    assert kinds == expected
