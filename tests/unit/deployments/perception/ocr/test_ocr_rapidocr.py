import pytest

from deployments.perception.ocr.config import RapidOcrOptions

from . import samples


@pytest.fixture(scope="module")
def rapidocr():
    pytest.importorskip("rapidocr")
    from deployments.perception.ocr.rapidocr_backend import RapidOcrBackend

    return RapidOcrBackend(RapidOcrOptions(threads=1))


def test_reads_a_line_with_word_boxes(rapidocr, clean_scan):
    line = clean_scan.crop((0, 40, 700, 110))  # the heading only: keeps the test fast
    page = rapidocr.recognize(line, 200)
    assert not page.ordered and page.lines
    words = [w for ln in page.lines for w in ln.words]
    text = " ".join(w.text for w in words)
    assert samples.char_accuracy(samples.LINES[0], text) >= 0.9
    assert all(w.x0 < w.x1 and 0 < w.confidence <= 1 for w in words)
