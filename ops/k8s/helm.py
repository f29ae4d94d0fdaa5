"""A thin wrapper around the ``helm`` binary (template, lint) for the CLI, sync and tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "helm" / "interfaze-serve"
TOOLS_DIR = REPO_ROOT / ".tools"


class HelmError(RuntimeError):
    """helm is missing or a helm command failed (the message carries its stderr)."""


def find_tool(name: str) -> str | None:
    """``$IFZ_<NAME>``, then ``.tools/<name>`` (scripts/install-tools.sh), then ``PATH``."""
    explicit = os.environ.get(f"IFZ_{name.upper()}")
    if explicit:
        return explicit
    local = TOOLS_DIR / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def missing_dependencies(chart: Path) -> list[str]:
    """Names of Chart.yaml dependencies absent from the chart's ``charts/`` directory."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    charts = chart / "charts"
    present = {p.name.split("-")[0] if p.suffix == ".tgz" else p.name for p in charts.glob("*")}
    present |= {p.name.rsplit("-", 1)[0] for p in charts.glob("*.tgz")}
    return [d["name"] for d in meta.get("dependencies") or [] if d["name"] not in present]


@contextmanager
def renderable_chart(chart: Path, stubs: dict[str, Path] | None = None) -> Iterator[Path]:
    """The chart itself, or a temporary copy that helm can render without fetching.

    Optional dependencies that were never fetched (``helm dependency build``; Milvus is
    downloaded from its own chart repository) are dropped from the copy's Chart.yaml, or
    replaced by a local chart from ``stubs`` (tests use a stub to check the wiring).
    """
    stubs = stubs or {}
    missing = missing_dependencies(chart)
    if not missing and not stubs:
        yield chart
        return
    with tempfile.TemporaryDirectory(prefix="ifz-chart-") as tmp:
        copy = Path(tmp) / chart.name
        shutil.copytree(chart, copy)
        meta = yaml.safe_load((copy / "Chart.yaml").read_text())
        kept = []
        for dep in meta.get("dependencies") or []:
            if dep["name"] in stubs:
                shutil.copytree(stubs[dep["name"]], copy / "charts" / dep["name"])
                kept.append({k: v for k, v in dep.items() if k != "repository"})
            elif dep["name"] not in missing:
                kept.append(dep)
        meta["dependencies"] = kept
        (copy / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
        yield copy


class Helm:
    """Runs helm; every method raises :class:`HelmError` with helm's stderr on failure."""

    def __init__(self, binary: str | None = None) -> None:
        found = binary or find_tool("helm")
        if not found:
            raise HelmError("helm not found: run scripts/install-tools.sh or put helm on PATH")
        self.binary = found

    def run(self, *args: str) -> str:
        proc = subprocess.run([self.binary, *args], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            output = "\n".join(p for p in (proc.stdout.strip(), proc.stderr.strip()) if p)
            raise HelmError(f"helm {args[0]} failed: {output}")
        return proc.stdout

    @staticmethod
    def _value_args(
        values_files: Sequence[str | Path], set_values: Sequence[str], set_json: Sequence[str]
    ) -> list[str]:
        args: list[str] = []
        for path in values_files:
            args += ["--values", str(path)]
        for item in set_values:
            args += ["--set", item]
        for item in set_json:
            args += ["--set-json", item]
        return args

    def template(
        self,
        chart: Path = CHART_DIR,
        *,
        release: str = "interfaze",
        namespace: str = "default",
        values_files: Sequence[str | Path] = (),
        set_values: Sequence[str] = (),
        set_json: Sequence[str] = (),
        stubs: dict[str, Path] | None = None,
    ) -> str:
        """``helm template`` output (multi-document YAML)."""
        with renderable_chart(chart, stubs) as path:
            return self.run(
                "template",
                release,
                str(path),
                "--namespace",
                namespace,
                *self._value_args(values_files, set_values, set_json),
            )

    def lint(
        self,
        chart: Path = CHART_DIR,
        *,
        strict: bool = True,
        values_files: Sequence[str | Path] = (),
        set_values: Sequence[str] = (),
        stubs: dict[str, Path] | None = None,
    ) -> str:
        with renderable_chart(chart, stubs) as path:
            args = ["lint", str(path), *self._value_args(values_files, set_values, ())]
            return self.run(*args, *(["--strict"] if strict else []))
