"""/healthz: readiness waits for warm-ups; a dead or hung deployment is reported within ~1 s."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from serve.api.health.readiness import Readiness
from serve.api.health.reporter import HealthReporter


class _Method:
    def __init__(self, fn) -> None:
        self.fn = fn

    def remote(self, *args: Any) -> Any:
        return self.fn(*args)


class Handle:
    """A stage handle whose health check sleeps, fails or answers; counts its calls."""

    def __init__(self, *, sleep_s: float = 0.0, error: Exception | None = None) -> None:
        self.sleep_s, self.error, self.calls, self.described = sleep_s, error, 0, 0

    @property
    def check_health(self) -> _Method:
        async def check() -> None:
            self.calls += 1
            await asyncio.sleep(self.sleep_s)
            if self.error is not None:
                raise self.error

        return _Method(check)

    @property
    def describe(self) -> _Method:
        async def describe() -> dict[str, Any]:
            self.described += 1
            return {"backend": "fake"}

        return _Method(describe)


async def test_hung_deployments_are_reported_within_the_probe_deadline():
    handles = {"ocr": Handle(sleep_s=30), "asr": Handle(sleep_s=30), "chart": Handle()}
    reporter = HealthReporter(None, "local", handles, probe_timeout_s=0.3, max_age_s=0)
    started = time.perf_counter()
    report = await reporter.report()
    elapsed = time.perf_counter() - started
    assert elapsed < 0.6  # parallel probes: one deadline, not one per deployment
    assert report["status"] == "degraded"
    assert report["deployments"]["ocr"]["status"] == "timeout"
    assert report["deployments"]["chart"]["status"] == "ok"


async def test_a_failing_deployment_is_an_error():
    reporter = HealthReporter(None, "local", {"ocr": Handle(error=RuntimeError("dead"))})
    report = await reporter.report()
    assert report["status"] == "degraded"
    assert report["deployments"]["ocr"] == {"status": "error", "error": "RuntimeError"}
    assert report["deployments"]["llm"] == {"status": "disabled"}


async def test_probe_rounds_are_cached_and_shared_and_describe_fetched_once():
    ocr = Handle(sleep_s=0.05)
    reporter = HealthReporter(None, "local", {"ocr": ocr}, max_age_s=60)
    reports = await asyncio.gather(*(reporter.report() for _ in range(20)))
    await reporter.report()
    assert ocr.calls == 1 and ocr.described == 1
    assert all(r["deployments"]["ocr"]["backend"] == "fake" for r in reports)
    reporter.max_age_s = 0
    await reporter.report()
    assert ocr.calls == 2 and ocr.described == 1  # static part not asked again


async def test_starting_until_every_warm_up_is_done():
    gate = threading.Event()
    readiness = Readiness()
    readiness.run("gateway", gate.wait)
    failed = readiness.run("intent_classifier", lambda: 1 / 0)
    failed.join(5)
    reporter = HealthReporter(None, "local", {"ocr": Handle()}, readiness=readiness)
    report = await reporter.report()
    assert report["status"] == "starting"
    assert report["warm_ups"]["gateway"]["status"] == "running"
    assert report["warm_ups"]["intent_classifier"]["status"] == "failed"
    assert "ZeroDivisionError" in report["warm_ups"]["intent_classifier"]["error"]
    gate.set()
    assert readiness.wait(5)
    assert (await reporter.report())["status"] == "ok"


def test_tracked_threads_finish_when_they_exit():
    readiness = Readiness()
    thread = threading.Thread(target=time.sleep, args=(0.1,))
    thread.start()
    readiness.track("intent_classifier", thread)
    assert readiness.pending() == ["intent_classifier"]
    assert readiness.wait(5)
    assert readiness.report()["intent_classifier"]["status"] == "ok"


def test_rehearsal_runs_the_real_answerers_once():
    from serve.answer.controller import SmallStack
    from serve.api.health.rehearsal import QUESTIONS, rehearse

    class Counting(SmallStack):
        answered: list[str] = []

        def decide(self, question, observations):
            decision = super().decide(question, observations)
            self.answered.append(decision.answer.answerer if decision.answer else "")
            return decision

    stack = Counting()
    assert rehearse(stack) == len(QUESTIONS)
    assert "compute" in stack.answered and sum(bool(a) for a in stack.answered) >= 4


def test_join_waits_for_one_warm_up():
    readiness = Readiness()
    readiness.run("slow", lambda: time.sleep(0.2))
    readiness.join("slow", 5)
    readiness.join("never-registered", 0)
    assert readiness.report()["slow"]["status"] == "ok"


async def test_pipeline_rehearsal_repeats_until_the_stage_answers():
    from serve.api.health.rehearsal import rehearse_pipeline
    from tests.unit.fakes import FakeStageHandle
    from tests.unit.harness import make_harness

    calls = []

    def search(payload):
        calls.append(payload["query"])
        if len(calls) <= 2:  # the stage client's own retry fails too
            raise ConnectionError("retrieve replica still starting")
        return {"hits": []}

    retrieve = FakeStageHandle(search=search)
    harness = make_harness({"retrieve": retrieve}, llm_handle=False)
    outcome = await rehearse_pipeline(harness.services.chat, "interfaze", pause_s=0)
    assert outcome["attempts"] == 2 and outcome["degraded"] == {}
    assert "retrieve" in outcome["stages"] and len(calls) == 3
    assert harness.services.lifecycle.traces.get("warm-up") is None  # nothing recorded


async def test_async_warm_ups_count_for_readiness():
    readiness = Readiness()
    gate = asyncio.Event()
    readiness.run_async("pipeline", gate.wait())
    await asyncio.sleep(0)
    assert not readiness.ready and readiness.pending() == ["pipeline"]
    gate.set()
    await asyncio.sleep(0.01)
    assert readiness.ready and readiness.report()["pipeline"]["status"] == "ok"
