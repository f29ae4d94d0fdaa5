import pytest

from deployments.common.errors import StageTimeout
from deployments.common.media import MediaRequest  # noqa: F401 - protocol import check
from serve.context.observations import Observation
from serve.observability.record import RequestRecord
from serve.observability.traces import TraceStore


def test_stage_timings_and_failure_status():
    record = RequestRecord(request_id="t1", model="m")
    with record.stage("plan", parts=1) as step:
        step.summary["route"] = "text"
    with pytest.raises(RuntimeError), record.stage("llm"):
        raise RuntimeError("boom")
    with pytest.raises(StageTimeout), record.stage("ocr"):
        raise StageTimeout("slow")
    assert [s.name for s in record.stages] == ["plan", "llm", "ocr"]
    assert record.stages[0].summary == {"parts": 1, "route": "text"}
    assert (record.stages[1].status, record.stages[1].error) == ("error", "RuntimeError")
    assert record.stages[2].status == "timeout"
    timings = record.timings_ms()
    assert set(timings) == {"plan", "llm", "ocr", "total"}
    assert timings["total"] >= timings["plan"]


def test_every_view_derives_from_the_record():
    record = RequestRecord("r1", "interfaze", key_id="k1", client_request_id="mine")
    for name in ("plan", "ocr", "ocr", "answer", "context", "llm"):
        with record.stage(name):
            pass
    record.observations.append(
        Observation("doc1", "p.1", "page", "Total: 5", 0.9, "ocr", {"raw": b"x", "page": 1})
    )
    record.close(200)
    assert record.stage_runs == ["ocr", "ocr"]  # deployment calls: what stage costs charge
    assert record.citations() == ["doc1 p.1"]
    trace = record.to_trace()
    assert trace["trace_id"] == "r1" and trace["client_request_id"] == "mine"
    assert trace["key_id"] == "k1" and trace["status"] == 200
    assert trace["observations"][0]["data"] == {"page": 1}  # bytes never reach a trace


def test_store_is_bounded_lru_and_owned_by_keys():
    store = TraceStore(capacity=2)
    for trace_id, key in (("a", "k1"), ("b", "k1"), ("c", "k2")):
        store.put(RequestRecord(request_id=trace_id, model="m", key_id=key))
    assert len(store) == 2 and store.get("a") is None and store.get("c")["trace_id"] == "c"
    assert store.get("c", "k1") is None and store.get("c", "k2")["trace_id"] == "c"
    assert [t["trace_id"] for t in store.list("k1")] == ["b"]
    assert store.list("k2", status=500) == []
