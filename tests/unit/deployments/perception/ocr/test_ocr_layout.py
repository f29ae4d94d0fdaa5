import pytest

from deployments.perception.ocr.geometry import (
    OcrLine,
    OcrWord,
    RecognizedPage,
    group_rows,
    mean_confidence,
    order_lines,
)
from deployments.perception.ocr.layout import compose_ocr
from deployments.perception.ocr.preprocess import Rulings, Segment
from deployments.perception.ocr.protocol import Table


def word(text: str, x: float, y: float, confidence: float = 0.9) -> OcrWord:
    return OcrWord(text, x, y, x + 10 * len(text), y + 20, confidence)


def test_confidence_is_character_weighted():
    assert mean_confidence([word("a", 0, 0, 0.5), word("bbb", 0, 0, 1.0)]) == pytest.approx(0.875)
    assert mean_confidence([]) == 0.0


def test_rows_group_by_vertical_overlap():
    rows = group_rows([word("b", 100, 52), word("c", 0, 100), word("a", 0, 50)])
    assert [[w.text for w in row] for row in rows] == [["a", "b"], ["c"]]


def test_unordered_boxes_are_read_row_by_row():
    boxes = [
        OcrLine([word("second", 0, 60)]),
        OcrLine([word("world", 75, 1)]),
        OcrLine([word("hello", 0, 0)]),
        OcrLine([word("far", 600, 0)]),
    ]
    lines = order_lines(boxes)
    assert [line.text for line in lines] == ["hello world", "far", "second"]


def test_table_lines_become_row_blocks_in_place():
    # Tesseract read the table column by column: Region/North, then Q1/1,204.
    lines = [
        OcrLine([word("Title", 0, 0)]),
        OcrLine([word("Region", 10, 110), word("North", 10, 160)]),
        OcrLine([word("Q1", 210, 110), word("1,204", 210, 160)]),
        OcrLine([word("Footer", 0, 300)]),
    ]
    rulings = Rulings(
        horizontal=[Segment(0, 400, y) for y in (100, 150, 200)],
        vertical=[Segment(100, 200, x) for x in (0, 200, 400)],
    )
    content = compose_ocr(RecognizedPage(lines=lines), rulings, scale=0.5)
    assert [b.text for b in content.blocks] == ["Title", "Region\tQ1", "North\t1,204", "Footer"]
    assert content.text == "Title\nRegion\tQ1\nNorth\t1,204\nFooter"
    assert content.tables[0].rows == [["Region", "Q1"], ["North", "1,204"]]
    assert content.tables[0].bbox == (0.0, 50.0, 200.0, 100.0)  # scaled to the page unit
    assert content.blocks[0].bbox == (0.0, 0.0, 25.0, 10.0)
    assert content.confidence == pytest.approx(0.9)


def test_words_only_on_request():
    page = RecognizedPage(lines=[OcrLine([word("a", 0, 0), word("b", 20, 0)])])
    assert compose_ocr(page, None).blocks[0].words is None
    words = compose_ocr(page, None, with_words=True).blocks[0].words
    assert [w.text for w in words] == ["a", "b"]


def test_paragraph_engines_keep_their_tables():
    page = RecognizedPage(
        paragraphs=[("Abstract text.", 0.8), ("A B\n1 2", 0.8)],
        tables=[Table(rows=[["A", "B"], ["1", "2"]], method="model")],
    )
    content = compose_ocr(page, None)
    assert content.blocks[0].bbox is None and content.tables[0].method == "model"
    assert content.text == "Abstract text.\nA B\n1 2" and content.confidence == 0.8


def test_wide_gaps_in_a_line_are_tabs():
    line = OcrLine([word("Date:", 0, 0), word("2024", 55, 0), word("Total", 300, 0)])
    content = compose_ocr(RecognizedPage(lines=[line]), None)
    assert content.text == "Date: 2024\tTotal"


def test_ruling_marks_are_stripped_when_rulings_stay_on_the_page():
    lines = [OcrLine([word("|48", 10, 110), word("|", 60, 110), word("Qty]", 90, 110)])]
    rulings = Rulings(horizontal=[Segment(0, 400, 100)], vertical=[Segment(100, 200, 0)])
    content = compose_ocr(RecognizedPage(lines=lines), rulings)
    assert content.text == "48\tQty"


def test_a_run_split_across_blocks_is_joined():
    # Tesseract put "92" (the cents of "34.92") in a block of its own, read last.
    lines = [
        OcrLine([word("Muffin", 0, 0), word("34.", 300, 0)]),
        OcrLine([word("Tea", 0, 40)]),
        OcrLine([word("92", 332, 1)]),
    ]
    content = compose_ocr(RecognizedPage(lines=lines), None)
    assert content.text.splitlines()[0].endswith("34. 92") and len(content.blocks) == 2
