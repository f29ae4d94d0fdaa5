import pytest

from serve.observability.trace import Trace, TraceStore


def test_stage_timings_and_failure_status():
    trace = Trace(trace_id="t1", model="m")
    with trace.stage("plan", parts=1) as record:
        record.summary["route"] = "text"
    with pytest.raises(RuntimeError), trace.stage("llm"):
        raise RuntimeError("boom")
    assert [s.name for s in trace.stages] == ["plan", "llm"]
    assert trace.stages[0].summary == {"parts": 1, "route": "text"}
    assert trace.stages[1].status == "RuntimeError"
    timings = trace.timings_ms()
    assert set(timings) == {"plan", "llm", "total"}
    assert timings["total"] >= timings["plan"]


def test_store_is_bounded_lru():
    store = TraceStore(capacity=2)
    for trace_id in ("a", "b", "c"):
        store.put(Trace(trace_id=trace_id, model="m"))
    assert len(store) == 2 and store.get("a") is None and store.get("c")["trace_id"] == "c"
