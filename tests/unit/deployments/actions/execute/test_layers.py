"""The start-up probe on this host: strongest layering, fallbacks, and their reasons."""

from __future__ import annotations

import shutil

import pytest

from deployments.actions.execute.layers import SandboxUnavailable, probe

from .conftest import small_settings


def test_probe_reports_a_consistent_layering(probed):
    report = probed.plan.report()
    assert report.layers == probed.plan.layers()
    assert {"rlimits", "wall_timeout", "output_cap"} <= set(report.layers)
    assert not set(report.layers) & set(report.missing)
    if report.backend == "bubblewrap":
        assert report.strength in ("strong", "reduced")
    else:
        assert report.strength == "weak" and "bubblewrap" in report.missing


def test_strong_where_bubblewrap_and_cgroups_work(probed):
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap not installed")
    if probed.plan.backend != "bubblewrap":
        pytest.skip(f"bubblewrap cannot run here: {probed.plan.missing}")
    assert "seccomp" in probed.plan.layers()


def test_missing_bubblewrap_falls_back_to_subprocess_and_says_why():
    found = probe(small_settings(bwrap_path="/nonexistent/bwrap"))
    report = found.plan.report()
    assert report.backend == "subprocess" and report.strength == "weak"
    assert "not found" in report.missing["bubblewrap"]


def test_fallback_can_be_forbidden():
    with pytest.raises(SandboxUnavailable):
        probe(small_settings(bwrap_path="/nonexistent/bwrap", allow_fallback=False))


def test_disabled_layers_are_reported_missing():
    found = probe(small_settings(disable_layers=["seccomp", "cgroup_memory"]))
    missing = found.plan.report().missing
    assert "disabled" in missing["seccomp"] and "disabled" in missing["cgroup_memory"]
    assert "seccomp" not in found.plan.layers() and "no_exec" not in found.plan.layers()


def test_allow_exec_is_reported():
    found = probe(small_settings(allow_exec=True))
    assert "no_exec" in found.plan.report().missing


def test_subprocess_backend_uses_landlock_where_the_kernel_has_it():
    found = probe(small_settings(backend="subprocess"))
    layers, missing = found.plan.layers(), found.plan.report().missing
    assert "landlock" in layers or "landlock" in missing
    disabled = probe(small_settings(backend="subprocess", disable_layers=["landlock"]))
    assert "landlock" not in disabled.plan.layers()
    assert "disabled" in disabled.plan.report().missing["landlock"]
