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


DEFAULT = {"secret", "card", "iban"}  # the output guard's default: e-mails and phones allowed


def test_with_the_default_categories_every_plain_word_leaves_with_its_chunk():
    redactor = StreamRedactor(DEFAULT, holdback=48)
    assert redactor.feed("A") == "A"  # the first token is the first thing the client sees
    assert redactor.feed(" bicycle") == " bicycle"
    assert redactor.feed(" has") == " has"
    assert redactor.feed(" 2") == ""  # a digit may begin a card number: the tail is held
    assert redactor.feed(" wheels.") + redactor.flush() == " 2 wheels."


def _stream(pieces: list[str]) -> tuple[list[str], str]:
    redactor = StreamRedactor(DEFAULT, holdback=48)
    released = [redactor.feed(p) for p in pieces]
    return released, "".join(released) + redactor.flush()


def test_a_key_growing_out_of_a_released_letter_is_still_masked_whole():
    key = "sk-abcdefghijklmnopqrstuvwxyz123456"
    pieces = ["Use", " s", "k-abcdefgh", "ijklmnopq", "rstuvwxyz", "123456", " now."]
    released, out = _stream(pieces)
    assert released[:2] == ["Use", " s"]  # the letter left before the key showed itself
    assert out == "Use s[REDACTED:openai_key] now."
    assert key[1:] not in out and "abcdefgh" not in out


def test_an_iban_after_a_released_country_letter_is_masked():
    _, out = _stream(["I", "T60 X054", "2811 1010", "0000 0123", "456", " is the account."])
    assert out == "I[REDACTED:iban] is the account."


def test_a_password_keyword_completed_after_release_still_masks_the_value():
    released, out = _stream(["The", " pass", "word", ": hunter2hunter2", " is", " set."])
    assert released[:2] == ["The", " pass"]
    assert "hunter2" not in out and out.startswith("The password: [REDACTED:password_assignment]")


def test_any_split_of_an_answer_masks_its_secrets_and_leaks_no_digit():
    import random

    answer = (
        "Card 4111 1111 1111 1111, key sk-proj-ABCDEFGHIJKLMNOPQRSTUV123, "
        "IBAN DE89 3704 0044 0532 0130 00 and token ghp_" + "a1B2" * 10 + " end."
    )
    whole = StreamRedactor(DEFAULT, holdback=48)
    expected = whole.feed(answer) + whole.flush()
    assert "4111" not in expected and "3704" not in expected and "a1B2" not in expected
    rng = random.Random(7)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(answer)), rng.randint(1, 40)))
        pieces = [answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True)]
        _, out = _stream(pieces)
        # a letter-only piece may leave before its word is seen; nothing else differs
        for secret in ("4111", "1111 1111", "3704", "ABCDEFGHIJKLMNOP", "a1B2a1B2", "0532"):
            assert secret not in out, (pieces, out)
        assert out.endswith(" end.") and out.count("[REDACTED:") == 4, (pieces, out)
