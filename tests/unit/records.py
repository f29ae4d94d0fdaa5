"""Finished request records for hook and store tests."""

from __future__ import annotations

from serve.observability.record import RequestRecord


def finished(
    status: int = 200,
    *,
    request_id: str = "req",
    model: str = "interfaze",
    stages: tuple[tuple[str, float], ...] = (),
    **fields,
) -> RequestRecord:
    """A closed record; ``stages`` are (name, duration_ms) steps in order."""
    record = RequestRecord(request_id, model, **fields)
    for name, ms in stages:
        with record.stage(name) as step:
            pass
        step.duration_ms = ms
    record.close(status, fields.get("error"))
    return record
