import pytest

from deployments.perception.ocr.config import RapidOcrOptions

from . import samples


@pytest.fixture(scope="module")
def rapidocr():
    pytest.importorskip("rapidocr")
    from deployments.perception.ocr.rapidocr_backend import RapidOcrBackend

    return RapidOcrBackend(RapidOcrOptions(threads=1))


def test_reads_a_line_with_word_boxes(rapidocr, clean_scan):
    top = clean_scan.crop((0, 0, 760, 200))  # the heading lines only: keeps the test fast
    page = rapidocr.recognize(top, 200)
    assert not page.ordered and page.lines
    words = [w for ln in page.lines for w in ln.words]
    first = min(page.lines, key=lambda ln: ln.bbox[1])
    assert samples.char_accuracy(samples.LINES[0], first.text) >= 0.9
    assert all(w.x0 < w.x1 and 0 < w.confidence <= 1 for w in words)
