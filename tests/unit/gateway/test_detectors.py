import random
import re
import sys

import pytest

from serve.gateway import detectors
from serve.gateway.detectors import (
    MAX_EVIDENCE,
    find_sensitive,
    iban_valid,
    luhn_valid,
    redact,
    summarize,
)


@pytest.mark.parametrize(
    "number", ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117"]
)
def test_luhn_accepts_valid_numbers(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4111 1111 1111 1112", "1234567812345678", "12a4", "7", ""])
def test_luhn_rejects_invalid_numbers(number):
    assert not luhn_valid(number)


@pytest.mark.parametrize(
    "iban",
    ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR1420041010050500013M02606",
     "NL91ABNA0417164300", "CH9300762011623852957"],
)  # fmt: skip
def test_iban_checksum_accepts_valid(iban):
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    ["GB82 WEST 1234 5698 7654 33", "DE89370400440532013001", "DE8937040044053201300",
     "XX00", "GB82-WEST-1234"],
)  # fmt: skip
def test_iban_checksum_rejects_invalid(iban):
    assert not iban_valid(iban)


def kinds(text):
    return [(f.category, f.kind) for f in find_sensitive(text)]


def test_finds_secrets_and_pii():
    text = (
        "key sk-proj-abcdefghijklmnopqrstuvwx1234 and AKIAABCDEFGHIJKLMNOP, "
        "ghp_" + "a" * 36 + " card 4111 1111 1111 1111 iban DE89 3704 0044 0532 0130 00 "
        "mail jane.doe@example.org phone +1 415 555 0100 password=hunter2hunter2"
    )
    assert kinds(text) == [
        ("secret", "openai_key"),
        ("secret", "aws_access_key"),
        ("secret", "github_token"),
        ("card", "visa"),
        ("iban", "iban"),
        ("email", "email"),
        ("phone", "phone"),
        ("secret", "password_assignment"),
    ]


def test_private_key_block_and_jwt():
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
    jwt = (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    )
    assert kinds(f"{pem} and {jwt}") == [("secret", "private_key"), ("secret", "jwt")]


def test_no_false_positives_on_ordinary_numbers():
    text = (
        "Invoice 2024-05-01, order 1234567812345678 (not Luhn), total 1,250.00, "
        "version 10.2.3, ISBN 978 3 16 148410 0, room 42"
    )
    assert kinds(text) == []


def test_redact_replaces_only_chosen_categories():
    text = "card 4111111111111111, mail a@b.co"
    findings = find_sensitive(text)
    assert redact(text, findings, {"card"}) == "card [REDACTED:visa], mail a@b.co"
    assert (
        redact(text, findings, {"card", "email"}) == "card [REDACTED:visa], mail [REDACTED:email]"
    )


# ------------------------------------------------------------------- linear in the input
def traced_events(fn, *args) -> int:
    """Python trace events (calls, lines, loop turns) run inside detectors.py during fn."""
    target = detectors.__file__
    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += 1
        return local

    def outer(frame, event, arg):
        if frame.f_code.co_filename != target:
            return None
        return local(frame, event, arg)

    sys.settrace(outer)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return count


def test_overlap_resolution_grows_linearly_with_the_findings():
    # Dense e-mails: each one used to be compared with every finding taken before it.
    small, large = "ab@cd.io " * 400, "ab@cd.io " * 800
    assert len(find_sensitive(large)) == 2 * len(find_sensitive(small)) == 800
    ratio = traced_events(find_sensitive, large) / traced_events(find_sensitive, small)
    assert ratio < 2.3  # linear: 2; the pairwise check: close to 4


def test_jwt_scan_matches_the_plain_pattern():
    plain = re.compile(
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    )  # the straightforward pattern, quadratic on "eyJ-eyJ-…" runs
    rng = random.Random(7)
    pieces = ["eyJ", "abcdefgh", "-", ".", "_", " ", "é", "x"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        expected = [m.span() for m in plain.finditer(text)]
        assert [(f.start, f.end) for f in find_sensitive(text) if f.kind == "jwt"] == expected


def test_evidence_is_capped_per_category():
    [group] = summarize(find_sensitive("ab@cd.io " * 500))
    assert group.category == "email" and group.count == 500
    assert len(group.evidence) == MAX_EVIDENCE + 1 and group.evidence[-1] == "+492 more"
    assert group.evidence[0] == "email:8 chars"
