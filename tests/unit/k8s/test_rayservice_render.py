"""The Python renderer (`ifz k8s deploy --profile`) builds the chart's RayService."""

from __future__ import annotations

import pytest
import yaml

from ops.k8s import manifests
from ops.k8s.rayservice import RayServiceRenderer, load_values, parse_set_values
from serve.config.loader import ConfigError, config_from_args
from tests.unit.k8s.test_chart import VARIANTS


def _comparable(rs: dict) -> dict:
    rs = yaml.safe_load(yaml.safe_dump(rs))
    rs["spec"]["serveConfigV2"] = yaml.safe_load(rs["spec"]["serveConfigV2"])
    rs["metadata"].pop("labels")  # helm adds helm.sh/chart and managed-by Helm
    return rs


@pytest.mark.parametrize("variant", VARIANTS)
def test_python_render_equals_helm_template(helm, variant):
    sets = VARIANTS[variant]
    from_helm = manifests.find(
        manifests.load_all(helm.template(release="prod", namespace="ml", set_values=sets)),
        "RayService",
    )
    values = load_values(overrides=parse_set_values(sets))
    from_python = RayServiceRenderer(values, release="prod", namespace="ml").render()
    assert _comparable(from_python) == _comparable(from_helm)


def test_passes_the_crd_with_a_local_profile(rayservice_crd):
    rs = RayServiceRenderer(load_values("local")).render()
    assert rayservice_crd.errors(rs) == []
    args = yaml.safe_load(rs["spec"]["serveConfigV2"])["applications"][0]["args"]
    assert args["profile"] == "local"
    assert config_from_args(args).llm.device == "cpu"


def test_values_file_and_overrides_merge_like_helm(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text(
        "head:\n  resources:\n    limits:\n      memory: 16Gi\n"
        "interfaze:\n  llm:\n    num_gpus: 0.25\n"
    )
    values = load_values("gpu", [path], {"workers": {"gpu": {"maxReplicas": 9}}})
    rs = RayServiceRenderer(values).render()
    head = rs["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert head["resources"] == {
        "requests": {"cpu": "2", "memory": "8Gi"},
        "limits": {"cpu": "2", "memory": "16Gi"},
    }
    gpu = rs["spec"]["rayClusterConfig"]["workerGroupSpecs"][1]
    assert gpu["maxReplicas"] == 9
    args = yaml.safe_load(rs["spec"]["serveConfigV2"])["applications"][0]["args"]
    assert args["llm"]["num_gpus"] == 0.25 and args["llm"]["model_id"] == "qwen2.5-7b-instruct"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"workers": {"gpu": {"maxReplicas": "many"}}}, "workers.gpu.maxReplicas"),
        ({"interfaze": {"llm": {"num_gpus": "half"}}}, "interfaze.llm.num_gpus"),
        ({"imagePullPolicy": "Always"}, "imagePullPolicy"),
    ],
)
def test_bad_values_name_the_field(overrides, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_values(overrides=overrides)


def test_required_settings_of_options():
    with pytest.raises(ConfigError, match="gatewayClassName"):
        values = load_values(
            overrides={"upgradeStrategy": {"type": "NewClusterWithIncrementalUpgrade"}}
        )
        RayServiceRenderer(values).render()
    with pytest.raises(ConfigError, match=r"models\.s3\.uri"):
        RayServiceRenderer(load_values(overrides={"models": {"source": "s3"}})).render()


def test_parse_set_values_like_helm():
    assert parse_set_values(["a.b=1", "a.c=x", r"n.k\.io/x=true", "e="]) == {
        "a": {"b": 1, "c": "x"},
        "n": {"k.io/x": True},
        "e": "",
    }
    with pytest.raises(ConfigError):
        parse_set_values(["novalue"])
