"""The whole reading path on generated documents (no Ray): text layers, scans, mixed PDFs."""

import pytest
from PIL import Image

from deployments.perception.ocr.config import OcrSettings
from deployments.perception.ocr.reader import OcrReader

from . import samples


def test_text_layer_pdf_is_exact_with_its_ruled_table(reader, text_pdf):
    result = reader.read({"data": text_pdf, "mime": "application/pdf"})
    (page,) = result.pages
    assert result.backend == "text_layer" and page.source == "text_layer" and page.unit == "pt"
    assert page.text == samples.expected_text() == result.text
    assert page.tables[0].rows == samples.TABLE and page.confidence == 1.0
    assert [b.text for b in page.blocks][:3] == samples.LINES
    assert result.timings_ms["total"] > 0 and "text_layer" in result.timings_ms
    assert result.mime == "application/pdf" and result.page_count == 1


def test_clean_scan_is_read_with_its_table(reader, clean_scan):
    result = reader.read({"data": samples.encode(clean_scan, "PNG"), "filename": "scan.png"})
    (page,) = result.pages
    assert page.source == "ocr" and page.unit == "px" and result.backend == "tesseract"
    assert samples.char_accuracy(samples.expected_text(), result.text) >= 0.99
    assert page.tables and page.tables[0].rows == samples.TABLE
    assert 0.8 < result.confidence <= 1
    assert (page.width, page.height) == clean_scan.size


def test_noisy_rotated_jpeg_is_deskewed_and_read(reader, noisy_scan):
    data = samples.encode(noisy_scan, "JPEG", quality=80)
    result = reader.read({"data": data, "mime": "image/jpeg"})
    (page,) = result.pages
    assert page.skew_deg == pytest.approx(-2.0, abs=0.15)
    assert samples.char_accuracy(samples.expected_text(), result.text) >= 0.97


def test_mixed_pdf_uses_the_text_layer_where_there_is_one(reader):
    result = reader.read({"data": samples.mixed_pdf(), "words": True})
    text_page, scan_page = result.pages
    assert (text_page.source, scan_page.source) == ("text_layer", "ocr")
    assert scan_page.unit == "pt" and scan_page.width == pytest.approx(samples.PAGE[0], abs=1)
    assert samples.char_accuracy(text_page.text, scan_page.text) >= 0.99
    # OCR boxes land where the text layer says the same line is (points, within ~2 pt).
    assert scan_page.blocks[0].bbox == pytest.approx(text_page.blocks[0].bbox, abs=2.5)
    assert scan_page.blocks[0].words and text_page.blocks[0].words
    assert result.text == f"{text_page.text}\n\n{scan_page.text}"


def test_modes_and_page_selection(reader):
    pdf = samples.mixed_pdf()
    text_only = reader.read({"data": pdf, "mode": "text_layer"})
    assert [p.source for p in text_only.pages] == ["text_layer", "text_layer"]
    assert text_only.pages[1].text == "" and "page 2 has no text layer" in text_only.warnings[0]
    second = reader.read({"data": pdf, "pages": [2], "mode": "text_layer"})
    assert [p.number for p in second.pages] == [2] and second.page_count == 2
    forced = reader.read({"data": samples.text_pdf(), "mode": "ocr"})
    assert forced.pages[0].source == "ocr"


def test_oversized_pdf_page_renders_at_a_lower_dpi():
    reader = OcrReader(OcrSettings(max_pixels=300_000, extract_tables=False))
    try:
        result = reader.read({"data": samples.text_pdf(), "mode": "ocr"})
    finally:
        reader.close()
    assert "to stay within ocr.max_pixels=300000" in result.warnings[0]
    assert result.pages[0].width == pytest.approx(samples.PAGE[0], abs=1)


def test_tiny_image_gives_an_empty_page(reader):
    result = reader.read({"data": samples.encode(Image.new("L", (1, 1), 255), "PNG")})
    assert result.text == "" and result.confidence == 0.0 and result.pages[0].source == "ocr"


def test_an_unsure_page_gets_a_second_engine(clean_scan):
    reader = OcrReader(OcrSettings(fallback_below=1.0))  # every OCR'd page is "unsure"
    try:
        result = reader.read({"data": samples.encode(clean_scan, "PNG")})
    finally:
        reader.close()
    assert reader.fallback is not None and "ocr_fallback" in result.timings_ms
    assert samples.char_accuracy(samples.expected_text(), result.text) >= 0.97


def test_fallback_options_are_checked_against_the_fallback_engine():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="fallback_options for rapidocr"):
        OcrSettings(fallback_options={"psm": 6})
    assert OcrSettings(fallback_backend=None).fallback_backend is None
