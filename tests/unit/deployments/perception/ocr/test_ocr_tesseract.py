import pytest

from deployments.perception.ocr.backend import BackendUnavailable
from deployments.perception.ocr.config import TesseractOptions
from deployments.perception.ocr.tesseract import TesseractBackend, _lines

from . import samples


def test_words_with_boxes_and_confidence_on_a_clean_render(reader, clean_scan):
    page = reader.backend.recognize(clean_scan, 200)
    text = "\n".join(line.text for line in page.lines)
    assert samples.char_accuracy(samples.LINES[0], text.splitlines()[0]) == 1.0
    assert all(0.5 < w.confidence <= 1 for line in page.lines for w in line.words)
    first = page.lines[0].words[0]
    assert first.text == "Quarterly" and first.x0 < first.x1 and first.y0 < first.y1


def test_missing_language_pack_fails_at_start():
    with pytest.raises(BackendUnavailable, match="tesseract-ocr-xyz"):
        TesseractBackend(["eng", "xyz"], TesseractOptions())


def test_lines_keep_tesseract_order_and_drop_low_confidence():
    data = {
        "level": [4, 5, 5, 5, 5],
        "text": ["", "world", "Hello", "??", "Next"],
        "conf": [-1, 91, 96, 12, 88],
        "left": [0, 60, 0, 120, 0],
        "top": [0, 0, 0, 0, 30],
        "width": [100, 50, 50, 10, 40],
        "height": [20, 20, 20, 20, 20],
        "block_num": [1, 1, 1, 1, 2],
        "par_num": [1, 1, 1, 1, 1],
        "line_num": [1, 1, 1, 1, 1],
    }
    lines = _lines(data, min_confidence=0.3)
    assert [line.text for line in lines] == ["Hello world", "Next"]
    assert lines[0].words[0].confidence == 0.96


def _first_line_only(reader, image):
    """What a first pass that dropped everything but the top line would have returned."""
    page = reader.backend.recognize(image, 200)
    return [page.lines[0]]


def test_ink_left_unread_is_read_by_a_second_pass(reader, clean_scan):
    from deployments.perception.ocr.tesseract import merge_lines, missed_ink

    first = _first_line_only(reader, clean_scan)
    assert missed_ink(clean_scan, first) is not None
    backend = reader.backend
    recovered = backend._recover(clean_scan, 200, first)
    text = "\n".join(line.text for line in recovered)
    assert recovered[0] is first[0] and "1,204" in text and "unaudited" in text
    # nothing left over: no second pass
    everything = backend.recognize(clean_scan, 200).lines
    assert missed_ink(clean_scan, everything) is None
    assert merge_lines(first, []) == first
