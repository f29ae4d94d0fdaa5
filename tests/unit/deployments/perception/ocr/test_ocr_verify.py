"""The second reading of value words: agreement rules, crop re-reads, cross-checks, blocks."""

import pytest

from deployments.perception.ocr.config import OcrSettings, RapidOcrOptions
from deployments.perception.ocr.geometry import OcrLine, OcrWord
from deployments.perception.ocr.layout import token_readings
from deployments.perception.ocr.preprocess import PrepareOptions, prepare
from deployments.perception.ocr.reader import OcrReader
from deployments.perception.ocr.verify import (
    cross_check,
    reading_key,
    reread,
    same_reading,
    value_words,
)

from . import samples


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("$308.26", "S308.26", True),  # a dollar sign read as S
        ("$308.26", "$388.26", False),
        ("1,204", "1.204", True),  # punctuation is not compared
        ("1,204", "1,284", False),
        ("INV-0042", "inv0042", True),
        ("O01", ".01", False),
        ("2025", "", False),
    ],
)
def test_two_readings_agree_on_letters_and_digits(first, second, same):
    assert same_reading(first, second) is same


def test_reading_key_drops_only_a_leading_s_before_a_digit():
    assert reading_key("S19537") == "19537"
    assert reading_key("SS6") == "SS6"


def _word(text, x0, x1, y0=10.0, y1=30.0, confidence=0.9):
    return OcrWord(text, x0, y0, x1, y1, confidence)


def test_cross_check_joins_what_the_other_engine_split():
    mine = [OcrLine([_word("Total", 0, 50), _word("RM10.14", 60, 140), _word("6", 150, 160)])]
    other = [OcrLine([_word("RM", 60, 85), _word("10.14", 88, 140)]),
             OcrLine([_word("5", 150, 160)])]  # fmt: skip
    assert cross_check(mine, other, limit=10) == 2
    total, amount, digit = mine[0].words
    assert total.checked is None  # no digit: not a value word
    assert amount.checked is True and digit.checked is False


def test_an_unsure_other_reading_disputes_nothing():
    mine = [OcrLine([_word("28.90", 0, 60)])]
    garbled = [OcrLine([_word("23.70", 0, 60, confidence=0.45)])]
    assert cross_check(mine, garbled, limit=10) == 0 and mine[0].words[0].checked is None
    sure = [OcrLine([_word("23.70", 0, 60, confidence=0.93)])]
    assert cross_check(mine, sure, limit=10) == 1 and mine[0].words[0].checked is False


def test_cross_check_leaves_a_word_nothing_covers_unchecked():
    mine = [OcrLine([_word("12.50", 0, 60)])]
    assert cross_check(mine, [OcrLine([_word("12.50", 300, 360)])], limit=10) == 0
    assert mine[0].words[0].checked is None


def test_value_words_are_capped_top_of_page_first():
    lines = [OcrLine([_word(str(i), 0, 10, y0=100 - i, y1=110 - i)]) for i in range(5)]
    assert [w.text for w in value_words(lines, 2)] == ["4", "3"]


@pytest.fixture(scope="module")
def rapidocr():
    pytest.importorskip("rapidocr")
    from deployments.perception.ocr.rapidocr_backend import RapidOcrBackend

    return RapidOcrBackend(RapidOcrOptions(threads=1))


def test_crops_read_again_agree_on_a_clean_scan_and_catch_a_misread(reader, clean_scan, rapidocr):
    prepared = prepare(clean_scan, 200, PrepareOptions())
    page = reader.backend.recognize(prepared.image, 200)
    words = value_words(page.lines, 50)
    assert any(w.text == "1,204" for w in words)
    misread = next(w for w in words if w.text == "1,204")
    misread.text = "1,284"  # as if the first engine had read an 8 for the 0
    assert reread(page.lines, prepared.gray, rapidocr.read_crops, limit=50) == len(words)
    assert misread.checked is False
    others = [w for w in words if w is not misread]
    assert sum(w.checked is True for w in others) >= len(others) - 1


def test_token_readings_follow_the_text_not_the_word_order():
    words = [_word("1,204", 60, 100, confidence=0.5), _word("North", 0, 50, confidence=0.9)]
    words[0].checked = False
    assert token_readings("North\t1,204", words) == ([0.9, 0.5], [None, False])
    assert token_readings("North 1,205", words) is None


def test_ocr_blocks_carry_token_confidences_and_checks(reader, clean_scan):
    result = reader.read({"data": samples.encode(clean_scan, "PNG")})
    (page,) = result.pages
    assert "verify" in result.timings_ms
    row = next(b for b in page.blocks if b.text.startswith("North"))
    assert len(row.word_confidences) == len(row.text.split())
    assert row.word_checks is not None and row.word_checks[0] is None  # "North": no digit
    assert any(check is True for check in row.word_checks[1:])


def test_value_checks_can_be_turned_off(clean_scan):
    reader = OcrReader(OcrSettings(verify_values=False, fallback_backend=None))
    try:
        result = reader.read({"data": samples.encode(clean_scan, "PNG")})
    finally:
        reader.close()
    assert reader.verifier is None and "verify" not in result.timings_ms
    assert all(b.word_checks is None for b in result.pages[0].blocks)
    assert all(b.word_confidences for b in result.pages[0].blocks)
