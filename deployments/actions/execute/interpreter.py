"""The Python interpreter run inside the sandbox and the packages made visible to it."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SITE_DIR = "/opt/ifz/site"  # where allowed packages appear inside the sandbox
_QUERY = "import sys,json;print(json.dumps([sys.base_prefix,sys.version.split()[0]]))"


class InterpreterUnavailable(RuntimeError):
    """The configured interpreter cannot be run."""


@dataclass(frozen=True)
class Interpreter:
    """A host interpreter: its binary, its prefix (stdlib) and its version."""

    executable: str
    prefix: str
    version: str

    @property
    def minor_version(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def host_paths(self) -> list[str]:
        """Host directories the sandbox must see read-only besides /usr."""
        paths = {self.prefix, str(Path(self.executable).parent)}
        return sorted(p for p in paths if not _under(p, "/usr"))

    def describe(self) -> str:
        return f"{self.executable} (Python {self.version})"


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def inspect_interpreter(executable: str) -> Interpreter:
    """Ask ``executable`` for its prefix and version (isolated mode, no site)."""
    real = os.path.realpath(executable)
    try:
        out = subprocess.run(
            [real, "-I", "-S", "-c", _QUERY], capture_output=True, text=True, timeout=10, env={}
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InterpreterUnavailable(f"{executable}: {exc}") from exc
    if out.returncode != 0:
        raise InterpreterUnavailable(f"{executable}: {out.stderr.strip()[-300:]}")
    prefix, version = json.loads(out.stdout)
    return Interpreter(executable=real, prefix=os.path.realpath(prefix), version=version)


def candidate_interpreters(configured: str | None) -> list[Interpreter]:
    """The configured interpreter; else this process's, then a system one of the same version.

    The system one matters when this process's interpreter lives where the sandbox user cannot
    reach it (e.g. pyenv under /root): same minor version, so compiled packages still load.
    """
    if configured:
        return [inspect_interpreter(configured)]
    current = getattr(sys, "_base_executable", None) or sys.executable
    found = [inspect_interpreter(current)]
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if os.path.exists(system) and os.path.realpath(system) != found[0].executable:
        with contextlib.suppress(InterpreterUnavailable):
            found.append(inspect_interpreter(system))
    return found


@dataclass(frozen=True)
class PackageMount:
    """One host directory or file shown read-only at ``SITE_DIR/<name>``."""

    source: str
    name: str

    @property
    def target(self) -> str:
        return f"{SITE_DIR}/{self.name}"


def package_mounts(names: list[str]) -> tuple[list[PackageMount], dict[str, str]]:
    """Mounts for the importable top-level ``names`` (plus auditwheel's ``<name>.libs``).

    Returns the mounts and, per package that cannot be found, the reason.
    """
    mounts: list[PackageMount] = []
    missing: dict[str, str] = {}
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError) as exc:
            spec, reason = None, str(exc)
        else:
            reason = "not installed in this environment"
        if spec is None or not spec.origin:
            missing[name] = reason
            continue
        origin = Path(spec.origin)
        source = origin.parent if spec.submodule_search_locations else origin
        mounts.append(PackageMount(str(source), source.name))
        libs = source.parent / f"{name}.libs"
        if libs.is_dir():
            mounts.append(PackageMount(str(libs), libs.name))
    return mounts, missing
