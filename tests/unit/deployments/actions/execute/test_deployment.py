"""ExecuteDeployment called directly (no Ray): async runs, bounded concurrency, bad input."""

from __future__ import annotations

import asyncio
import time

import pytest

from deployments.actions.execute.deployment import ExecuteDeployment
from deployments.actions.execute.protocol import ExecutionResult, SandboxReport
from deployments.common.errors import InputTooLarge, MalformedInput

from .conftest import SMALL_LIMITS


@pytest.fixture(scope="module")
def deployment() -> ExecuteDeployment:
    return ExecuteDeployment({**SMALL_LIMITS, "max_code_bytes": 1000})


async def test_run_returns_an_execution_result(deployment):
    result = await deployment.run({"code": "print(sum(range(10)))"})
    assert ExecutionResult.model_validate(result).stdout == "45\n"
    assert result["sandbox"] == deployment.plan.label


async def test_describe_is_the_sandbox_report(deployment):
    report = SandboxReport.model_validate(await deployment.describe())
    assert report.layers == deployment.plan.layers()


async def test_check_health_passes(deployment):
    deployment._last_canary = 0.0  # force the canary run
    await deployment.check_health()


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        ({"code": ""}, MalformedInput),
        ({"code": "x\x00"}, MalformedInput),
        ({"code": b"\xc3\x28"}, MalformedInput),
        ({"code": "x" * 1001}, InputTooLarge),
    ],
)
async def test_bad_input_is_rejected(deployment, request_, error):
    with pytest.raises(error):
        await deployment.run(request_)


async def test_event_loop_stays_free_and_concurrency_is_bounded(deployment):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    code = "import time\ntime.sleep(0.4)\nprint('done')"
    results = await asyncio.gather(*[deployment.run({"code": code}) for _ in range(4)])
    elapsed = time.monotonic() - started
    task.cancel()
    assert [r["stdout"] for r in results] == ["done\n"] * 4
    assert elapsed >= 0.8  # 4 runs, 2 at a time
    assert ticks >= 8  # the loop kept ticking while sandboxes ran


async def test_request_timeout_and_limits_come_back(deployment):
    result = await deployment.run({"code": "while True:\n    pass\n", "timeout_s": 0.5})
    assert result["limits_hit"] == ["timeout"]


async def test_cancelled_request_stops_its_sandbox(deployment):
    task = asyncio.create_task(deployment.run({"code": "import time\ntime.sleep(30)"}))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    result = await deployment.run({"code": "print('next')"})
    assert result["stdout"] == "next\n" and time.monotonic() - started < 2
