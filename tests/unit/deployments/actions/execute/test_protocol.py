"""ExecutionResult and SandboxReport serialise to plain JSON for DeploymentHandles."""

from __future__ import annotations

from deployments.actions.execute.protocol import ExecutionResult, SandboxReport


def test_result_dump_is_json_ready():
    result = ExecutionResult(
        stdout="2\n", stderr="", exit_code=0, duration_ms=12.5, sandbox="bubblewrap+rlimits"
    )
    dumped = result.model_dump(mode="json")
    assert dumped == {
        "stdout": "2\n",
        "stderr": "",
        "exit_code": 0,
        "duration_ms": 12.5,
        "limits_hit": [],
        "truncated": False,
        "sandbox": "bubblewrap+rlimits",
    }
    assert ExecutionResult.model_validate(dumped) == result


def test_report_carries_layers_missing_and_strength():
    report = SandboxReport(
        backend="subprocess", layers=["rlimits"], missing={"bubblewrap": "x"}, strength="weak"
    )
    dumped = report.model_dump(mode="json")
    assert dumped["missing"] == {"bubblewrap": "x"} and dumped["strength"] == "weak"
