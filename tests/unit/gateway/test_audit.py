import json
import os
import time

import pytest

from serve.gateway.audit import AuditHook, RawInputStore, RotatingJsonl
from serve.gateway.config import AuditSettings, GuardAction
from serve.gateway.context import RequestContext, Verdict
from tests.unit.records import finished

from .conftest import chat


def test_log_rotates_by_size_and_keeps_n_backups(tmp_path):
    log = RotatingJsonl(tmp_path / "audit.jsonl", max_bytes=1024, backups=2)
    for i in range(60):
        log.write({"i": i, "pad": "x" * 80})
    files = log.files()
    assert [f.name for f in files] == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    assert all(f.stat().st_size <= 1024 for f in files)
    assert not (tmp_path / "audit.jsonl.3").exists()
    last = [json.loads(line)["i"] for line in files[0].read_text().splitlines()]
    older = [json.loads(line)["i"] for line in files[1].read_text().splitlines()]
    assert last[-1] == 59 and older[-1] == last[0] - 1  # nothing lost between files


def test_raw_inputs_are_deleted_after_retention(tmp_path):
    store = RawInputStore(tmp_path / "raw", retention_days=7)
    old = store.put("req-old", "request", '{"messages": []}')
    new = store.put("req-new", "ocr", b"\x00bytes")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old.parent, (ten_days_ago, ten_days_ago))
    assert store.purge() == 1
    assert not old.exists() and new.read_bytes() == b"\x00bytes"
    assert store.put("../../etc/x", "../y", "z").is_relative_to(tmp_path / "raw")


async def test_audit_line_has_the_request_story(tmp_path):
    hook = AuditHook(AuditSettings(keep_raw_inputs=True), tmp_path, "replica-1")
    ctx = RequestContext("req-1", body=chat("hello"))
    await hook.on_request(ctx)
    hook.keep_raw(ctx, "ocr", "extracted text")
    ctx.add_verdicts([Verdict("card", 1.0, GuardAction.REDACT, "messages.0", "input", ["visa"])])
    ctx.timings_ms["gateway.auth"] = 0.1
    ctx.cost = 0.25
    completion = finished(
        200, prompt_tokens=10, completion_tokens=5, stages=(("plan", 1.0), ("llm", 20.0)),
        route="text", escalated=True, escalation_reason="no confident small-stack answer",
    )  # fmt: skip
    await hook.on_complete(ctx, completion)
    assert hook.flush()
    [line] = (tmp_path / "audit" / "requests-replica-1.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["request_id"] == "req-1" and record["key_id"] == "anonymous"
    assert record["status"] == 200 and record["escalated"] is True
    assert record["tokens"] == {"prompt": 10, "completion": 5} and record["cost"] == 0.25
    assert record["verdicts"][0]["action"] == "redact"
    assert record["timings_ms"]["gateway.auth"] == 0.1 and record["timings_ms"]["llm"] == 20.0
    assert record["raw_inputs"] == ["ocr", "request"]
    [folder] = (tmp_path / "audit" / "raw").glob("*/req-1")
    assert (folder / "ocr").read_text() == "extracted text"
    assert json.loads((folder / "request").read_text())["model"] == "interfaze"


async def test_raw_inputs_are_not_kept_unless_enabled(tmp_path):
    hook = AuditHook(AuditSettings(), tmp_path, "r")
    ctx = RequestContext("req-2", body=chat("hello"))
    await hook.on_request(ctx)
    hook.keep_raw(ctx, "ocr", "text")
    await hook.on_complete(ctx, finished(200))
    assert hook.flush()
    assert ctx.raw_inputs == {} and not (tmp_path / "audit" / "raw").exists()


def test_log_deleted_underneath_is_recreated(tmp_path):
    log = RotatingJsonl(tmp_path / "a.jsonl", max_bytes=10_000, backups=1)
    log.write({"n": 1})
    (tmp_path / "a.jsonl").unlink()  # e.g. an external cleanup
    log.write({"n": 2})
    assert [json.loads(x)["n"] for x in (tmp_path / "a.jsonl").read_text().splitlines()] == [2]
    log.close()


@pytest.fixture
def open_umask():
    """A umask that would leave new files world-readable and writable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path) -> int:
    return path.stat().st_mode & 0o777


async def test_logs_backups_and_raw_inputs_are_owner_only(tmp_path, open_umask):
    settings = AuditSettings(keep_raw_inputs=True, max_bytes=2048, backups=2)
    hook = AuditHook(settings, tmp_path / "data", "replica-1")
    for i in range(30):
        ctx = RequestContext(f"req-{i}", body=chat("hello " * 20))
        await hook.on_request(ctx)
        hook.keep_raw(ctx, "ocr", "extracted text")
        await hook.on_complete(ctx, finished(200, request_id=f"req-{i}"))
    assert hook.flush()
    await hook.close()
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    folders = [p for p in (tmp_path / "data").rglob("*") if p.is_dir()]
    assert any(p.name.endswith(".1") for p in files) and any(p.name == "ocr" for p in files)
    assert {mode(p) for p in files} == {0o600}
    assert {mode(p) for p in folders} | {mode(tmp_path / "data")} == {0o700}


def test_an_existing_world_readable_log_is_tightened(tmp_path):
    log_path = tmp_path / "audit.jsonl"
    log_path.write_text("{}\n")
    os.chmod(log_path, 0o644)
    (tmp_path / "audit.jsonl.1").write_text("{}\n")
    os.chmod(tmp_path / "audit.jsonl.1", 0o644)
    log = RotatingJsonl(log_path, max_bytes=1024, backups=2)
    log.write({"i": 1})
    assert mode(log_path) == mode(tmp_path / "audit.jsonl.1") == 0o600
