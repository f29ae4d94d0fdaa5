"""Outcome classes and the per-request CSV."""

from __future__ import annotations

from loadtest.request_log import (
    RequestLog,
    RequestRecord,
    classify,
    is_acceptable_failure,
    read_request_log,
)


def test_classify_outcomes():
    assert classify(200) == "2xx"
    assert classify(503, "1") == "503+retry-after"
    assert classify(503, None) == "503"
    assert classify(429, "2") == "429+retry-after"
    assert classify(422) == "422"
    assert classify(500, "5") == "500"
    assert classify(0, None, "ConnectionTimeout: timed out") == "timeout"
    assert classify(0, None, "ConnectionRefusedError: [Errno 111]") == "connection-error"
    assert is_acceptable_failure("503+retry-after")
    assert not is_acceptable_failure("503")
    assert not is_acceptable_failure("timeout")


def test_log_round_trip(tmp_path):
    log = RequestLog(tmp_path / "r.csv")
    log.add(RequestRecord(1.5, "arithmetic", 200, "2xx", 12.5))
    log.add(RequestRecord(2.0, "audio", 503, "503+retry-after", 3.0))
    log.close()
    log.close()  # idempotent
    records = read_request_log(tmp_path / "r.csv")
    assert records == [
        RequestRecord(1.5, "arithmetic", 200, "2xx", 12.5),
        RequestRecord(2.0, "audio", 503, "503+retry-after", 3.0),
    ]
    assert log.count == 2
