"""`ifz k8s render`: the Python renderer and the chart path, and their errors."""

from __future__ import annotations

import yaml

from ops.cli.main import main


def test_render_default_profile(capsys):
    assert main(["k8s", "render"]) == 0
    [obj] = list(yaml.safe_load_all(capsys.readouterr().out))
    assert obj["kind"] == "RayService" and obj["metadata"]["name"] == "interfaze-serve"
    assert "serve.app_builder:build_app" in obj["spec"]["serveConfigV2"]


def test_render_to_file_with_values(tmp_path, capsys):
    values = tmp_path / "v.yaml"
    values.write_text("workers:\n  cpu:\n    enabled: false\n")
    out = tmp_path / "rs.yaml"
    args = ["k8s", "render", "--profile", "local", "-f", str(values), "--release", "demo"]
    assert main([*args, "--set", "image.tag=dev", "-o", str(out)]) == 0
    obj = yaml.safe_load(out.read_text())
    assert obj["metadata"]["name"] == "demo-interfaze-serve"
    groups = obj["spec"]["rayClusterConfig"]["workerGroupSpecs"]
    assert [g["groupName"] for g in groups] == ["gpu"]
    image = groups[0]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":dev")


def test_render_rejects_bad_values(capsys):
    assert main(["k8s", "render", "--set", "workers.gpu.maxReplicas=many"]) == 2
    assert "workers.gpu.maxReplicas" in capsys.readouterr().err


def test_render_chart_path(helm, capsys):
    assert main(["k8s", "render", "--chart", "--set", "metrics.podMonitor.enabled=true"]) == 0
    kinds = [o["kind"] for o in yaml.safe_load_all(capsys.readouterr().out)]
    assert kinds == ["PodMonitor", "RayService"]
    assert main(["k8s", "render", "--chart", "--set", "workers.gpu.maxReplicas=x"]) == 1
    assert "workers.gpu.maxReplicas: Invalid type" in capsys.readouterr().err
