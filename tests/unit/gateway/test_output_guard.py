"""The stream redactor's release timing: plain first words leave at once (time to first
token), anything that may begin a secret is still held until it is seen whole."""

from __future__ import annotations

from serve.gateway.output_guard import StreamRedactor

CATEGORIES = {"secret", "card", "email"}


def test_the_first_plain_words_leave_before_the_holdback_fills():
    redactor = StreamRedactor(CATEGORIES, holdback=48)
    assert redactor.feed("A") == ""  # one word: it may still grow into a long token
    assert redactor.feed(" bicycle") == "A "
    assert redactor.feed(" has two") == "bicycle has "
    rest = redactor.feed(" wheels.") + redactor.flush()
    assert rest == "two wheels."


def test_a_possible_secret_start_within_the_first_characters_is_held():
    redactor = StreamRedactor(CATEGORIES, holdback=48)
    secret = "sk-abcdefghijklmnopqrstuvwxyz123456"
    pieces = ["Key:", " sk", "-abcdefgh", "ijklmnopq", "rstuvwxyz", "123456", " done."]
    released = [redactor.feed(p) for p in pieces]
    assert released[0] == ""
    assert all("sk" not in part for part in released)  # never a piece of the key on its own
    out = "".join(released) + redactor.flush()
    assert secret not in out and out == "Key: [REDACTED:openai_key] done."


def test_an_email_split_across_the_first_chunks_is_redacted_whole():
    redactor = StreamRedactor(CATEGORIES, holdback=48)
    pieces = ["Write", " to", " john", ".doe", "@example", ".com", " today."]
    out = "".join(redactor.feed(p) for p in pieces) + redactor.flush()
    assert "john.doe@example.com" not in out and "john" not in out
    assert out.startswith("Write to [REDACTED:")


def test_multi_word_secrets_are_held_until_seen_whole():
    """A PEM header and a password assignment contain spaces: releasing plain words up to the
    last space must not cut them open."""
    redactor = StreamRedactor(CATEGORIES, holdback=48)
    answer = "Your key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n"
    out = "".join(redactor.feed(answer[i : i + 8]) for i in range(0, len(answer), 8))
    out += redactor.flush()
    assert out == "Your key:\n[REDACTED:private_key]\n"
    redactor = StreamRedactor(CATEGORIES, holdback=48)
    pieces = ["The", " pass", "word:", " abcdefgh", " is", " set."]
    out = "".join(redactor.feed(p) for p in pieces) + redactor.flush()
    assert "abcdefgh" not in out and out.startswith("The password: [REDACTED:")
