"""Fixtures for the execute tests: one probed sandbox per module, with small, safe limits.

Every attack runs with a few pids, 64 MiB and a timeout of seconds, so nothing here can
destabilise the (shared, 2-core) machine.
"""

from __future__ import annotations

import pytest

from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.layers import ProbeResult, probe
from deployments.actions.execute.runner import SandboxRunner

SMALL_LIMITS = {
    "timeout_s": 3.0,
    "memory_mb": 64,
    "max_pids": 8,
    "max_output_bytes": 4096,
    "tmp_size_mb": 4,
    "max_concurrent_runs": 2,
}


def small_settings(**overrides) -> ExecuteSettings:
    return ExecuteSettings(**{**SMALL_LIMITS, **overrides})


@pytest.fixture(scope="module")
def settings() -> ExecuteSettings:
    return small_settings()


@pytest.fixture(scope="module")
def probed(settings: ExecuteSettings) -> ProbeResult:
    return probe(settings)


@pytest.fixture(scope="module")
def runner(probed: ProbeResult, settings: ExecuteSettings) -> SandboxRunner:
    return SandboxRunner(probed.plan, settings, probed.cgroups)


@pytest.fixture(scope="module")
def bubblewrap_runner(runner: SandboxRunner) -> SandboxRunner:
    if runner.plan.backend != "bubblewrap":
        pytest.skip(f"bubblewrap does not run here: {runner.plan.missing.get('bubblewrap')}")
    return runner
