"""Bad input is refused with the shared InputRejected errors (400 / 413), never run."""

from __future__ import annotations

import pytest

from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.request import parse_request
from deployments.common.errors import InputTooLarge, MalformedInput

SETTINGS = ExecuteSettings(max_code_bytes=100, max_stdin_bytes=10, timeout_s=5)


def test_valid_request_is_normalised():
    parsed = parse_request({"code": "print(1)", "stdin": "abc", "timeout_s": 2}, SETTINGS)
    assert (parsed.code, parsed.stdin, parsed.timeout_s) == ("print(1)", b"abc", 2.0)
    assert parse_request({"code": b"print(1)"}, SETTINGS).timeout_s == 5


def test_timeout_is_capped_by_config():
    assert parse_request({"code": "1", "timeout_s": 999}, SETTINGS).timeout_s == 5


@pytest.mark.parametrize(
    "request_",
    [
        None,
        "print(1)",
        {},
        {"code": ""},
        {"code": "   \n\t"},
        {"code": 42},
        {"code": "print(1)\x00"},
        {"code": b"\xff\xfe"},
        {"code": "print('\ud800')"},
        {"code": "1", "stdin": 5},
        {"code": "1", "stdin": "\udc80"},
        {"code": "1", "timeout_s": "3"},
        {"code": "1", "timeout_s": True},
        {"code": "1", "timeout_s": -1},
        {"code": "1", "timeout_s": float("nan")},
    ],
)
def test_malformed_input_is_400(request_):
    with pytest.raises(MalformedInput) as caught:
        parse_request(request_, SETTINGS)
    assert caught.value.status == 400


def test_code_over_the_limit_is_413():
    with pytest.raises(InputTooLarge) as caught:
        parse_request({"code": "x" * 101}, SETTINGS)
    assert caught.value.status == 413 and "100" in caught.value.message


def test_multibyte_code_is_measured_in_utf8_bytes():
    with pytest.raises(InputTooLarge):
        parse_request({"code": "é" * 51}, SETTINGS)  # 102 bytes


def test_stdin_over_the_limit_is_413():
    with pytest.raises(InputTooLarge):
        parse_request({"code": "1", "stdin": "y" * 11}, SETTINGS)
