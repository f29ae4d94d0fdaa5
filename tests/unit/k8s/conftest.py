"""Fixtures of the Kubernetes tests: helm/promtool (skipped when absent), KubeRay CRDs, kmock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ops.k8s.helm import REPO_ROOT, Helm, find_tool
from tests.unit.k8s.crd import CrdValidator
from tests.unit.k8s.kube_fake import FakeKube, fake_kube

CRD_DIR = Path(REPO_ROOT).parent / "shared" / "kuberay-crds"


@pytest.fixture(scope="session")
def helm() -> Helm:
    if not find_tool("helm"):
        pytest.skip("helm not installed: run scripts/install-tools.sh (puts it in .tools/)")
    return Helm()


@pytest.fixture(scope="session")
def promtool() -> str:
    path = find_tool("promtool")
    if not path:
        pytest.skip("promtool not installed: run scripts/install-tools.sh (Debian prometheus)")
    return path


@pytest.fixture(scope="session")
def rayservice_crd() -> CrdValidator:
    path = CRD_DIR / "ray.io_rayservices.yaml"
    if not path.exists():
        pytest.skip(f"KubeRay CRDs not found at {CRD_DIR} (shared/ beside the clone)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRD is 18k lines
    return CrdValidator(yaml.load(path.read_text(), Loader=loader))


@pytest.fixture(scope="session")
def milvus_stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local chart standing in for the upstream Milvus chart (not fetchable offline)."""
    root = tmp_path_factory.mktemp("milvus-stub") / "milvus"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(
        "apiVersion: v1\nname: milvus\nversion: 4.2.45\nappVersion: '2.5.9'\n"
        "description: stub of the upstream chart\n"
    )
    (root / "values.yaml").write_text("cluster:\n  enabled: true\n")
    (root / "templates" / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-milvus\n"
        "  labels: {cluster-enabled: {{ .Values.cluster.enabled | quote }}}\n"
        "spec:\n  ports: [{name: milvus, port: 19530}]\n"
    )
    return root


@pytest.fixture()
def kube() -> Iterator[FakeKube]:
    with fake_kube() as fake:
        yield fake


def objects_of(helm: Helm, *set_values: str, **kwargs: Any) -> list[dict[str, Any]]:
    from ops.k8s import manifests

    return manifests.load_all(helm.template(set_values=set_values, **kwargs))
