"""Interpreter discovery and the package mounts (numpy from this environment)."""

from __future__ import annotations

import sys

import pytest

from deployments.actions.execute.interpreter import (
    InterpreterUnavailable,
    candidate_interpreters,
    inspect_interpreter,
    package_mounts,
)


def test_current_interpreter_comes_first():
    first = candidate_interpreters(None)[0]
    assert first.version == ".".join(map(str, sys.version_info[:3]))
    assert first.minor_version == f"{sys.version_info.major}.{sys.version_info.minor}"
    for other in candidate_interpreters(None)[1:]:
        assert other.minor_version == first.minor_version


def test_configured_interpreter_is_used_alone():
    found = candidate_interpreters(sys.executable)
    assert len(found) == 1


def test_missing_interpreter_is_reported():
    with pytest.raises(InterpreterUnavailable):
        inspect_interpreter("/nonexistent/python")


def test_host_paths_skip_usr():
    found = inspect_interpreter(sys.executable)
    assert all(not p.startswith("/usr/") for p in found.host_paths())


def test_numpy_mount_includes_its_libs():
    pytest.importorskip("numpy")
    mounts, missing = package_mounts(["numpy", "surely_not_installed_pkg"])
    names = [m.name for m in mounts]
    assert "numpy" in names and missing.keys() == {"surely_not_installed_pkg"}
    assert all(m.target.startswith("/opt/ifz/site/") for m in mounts)
