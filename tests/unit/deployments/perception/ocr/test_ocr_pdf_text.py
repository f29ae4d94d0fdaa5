import io

import pytest

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.ocr.pdf_text import PdfDocument

from . import samples


def test_text_layer_is_exact_with_line_and_word_boxes(text_pdf):
    document = PdfDocument(text_pdf)
    try:
        layer = document.text_layer(0, find_paths=True)
    finally:
        document.close()
    assert layer.text == samples.expected_text().replace("\t", " ")  # tabs: the layout
    assert layer.has_paths and layer.readable_ratio == 1.0
    assert (layer.width, layer.height) == samples.PAGE
    first = layer.lines[0]
    x0, y0, x1, y1 = first.bbox
    assert first.text == samples.LINES[0]
    assert 23 <= x0 < x1 <= samples.PAGE[0] and 15 < y0 < y1 < 35  # top-left origin, points
    assert [w for w, _ in first.words] == samples.LINES[0].split()


def test_render_fits_the_pixel_limit(text_pdf):
    document = PdfDocument(text_pdf)
    try:
        image, dpi = document.render(0, 200, max_pixels=10_000_000)
        assert dpi == 200 and image.size == (1000, 700) and image.mode == "L"
        small, fitted = document.render(0, 200, max_pixels=250_000)
        assert fitted < 200 and small.width * small.height <= 250_000
        with pytest.raises(InputTooLarge, match=r"ocr\.max_pixels"):
            document.render(0, 200, max_pixels=20_000)
    finally:
        document.close()


def test_corrupt_pdf_is_malformed():
    with pytest.raises(MalformedInput) as raised:
        PdfDocument(b"%PDF-1.7\n this is no PDF at all")
    assert raised.value.code == "corrupt_pdf" and raised.value.status == 400


def test_truncated_pdf_is_repaired_or_refused(text_pdf):
    try:
        document = PdfDocument(text_pdf[: len(text_pdf) // 3])
    except MalformedInput:
        return
    document.close()


def test_password_protected_pdf_is_refused():
    with pytest.raises(UnsupportedInput, match="encrypted") as raised:
        PdfDocument(samples.encrypted_pdf("secret"))
    assert raised.value.code == "encrypted_pdf" and raised.value.status == 415


def test_owner_password_only_pdf_is_read():
    document = PdfDocument(samples.encrypted_pdf(""))
    try:
        assert "owner of the password" in document.text_layer(0).text
    finally:
        document.close()


def test_pdf_without_pages_is_malformed():  # PDFium refuses to load it at all
    import pypdfium2 as pdfium

    buffer = io.BytesIO()
    empty = pdfium.PdfDocument.new()
    empty.save(buffer)
    empty.close()
    with pytest.raises(MalformedInput, match=r"corrupt|no pages") as raised:
        PdfDocument(buffer.getvalue())
    assert "password" not in raised.value.message
