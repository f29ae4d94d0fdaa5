"""OCR reader on generated documents (no Ray): text layer, tables, scans, bad input."""

import difflib
import io
import random
import struct
import zlib

import pytest

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.ocr.config import OcrSettings
from deployments.perception.ocr.deployment import OcrDeployment, OcrReader
from loadtest.perception.gen_documents import _invoice, make_scans


@pytest.fixture(scope="module")
def reader():
    return OcrReader(OcrSettings(max_pages=5, max_pixels=20_000_000))


@pytest.fixture(scope="module")
def invoice():
    return _invoice("inv", random.Random(5))


def accuracy(expected: str, got: str) -> float:
    norm = lambda s: " ".join(s.split())  # noqa: E731
    return difflib.SequenceMatcher(None, norm(expected), norm(got)).ratio()


def test_text_layer_is_exact_with_ruled_table(reader, invoice):
    result = reader.read({"data": invoice.pdf, "mime": "application/pdf"})
    page = result.pages[0]
    assert page.source == "text_layer" and result.backend == "text_layer"
    assert page.text == invoice.page_texts[0]
    assert page.tables[0].rows == invoice.tables[0].rows
    assert page.blocks and all(b.bbox[2] > b.bbox[0] for b in page.blocks)


def test_clean_scan_reads_almost_every_character(reader, invoice):
    scan = next(s for s in make_scans(invoice, 200, random.Random(1)) if s.variant == "clean")
    result = reader.read({"data": scan.data, "mime": scan.mime})
    assert result.pages[0].source == "ocr"
    assert accuracy(scan.expected_text, result.text) >= 0.97
    assert result.confidence > 0.8
    assert any(len(t.rows) >= 3 for t in result.pages[0].tables)


def test_scanned_pdf_pages_are_ocrd(reader, invoice):
    from loadtest.perception.gen_documents import scanned_pdf

    scans = [s for s in make_scans(invoice, 150, random.Random(2)) if s.variant == "clean"]
    result = reader.read({"data": scanned_pdf(scans[:1]), "mime": "application/pdf"})
    assert result.pages[0].source == "ocr" and "Total due" in result.text


def test_mode_text_layer_never_ocrs(reader, invoice):
    result = reader.read({"data": invoice.pdf, "mode": "text_layer"})
    assert all(p.source == "text_layer" for p in result.pages)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00" * 16
    )


def _encrypted_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, encrypt="secret")
    canvas.drawString(100, 700, "classified")
    canvas.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"", MalformedInput, "empty_media"),
        (b"%PDF-1.7\n garbage that is not a pdf", MalformedInput, "corrupt_pdf"),
        (_png_header(50_000, 50_000), InputTooLarge, "too_many_pixels"),
        (b"\x89PNG\r\n\x1a\n truncated", MalformedInput, "corrupt_image"),
        (b"just some text", UnsupportedInput, "unsupported_media_type"),
    ],
)
def test_bad_input_is_rejected_with_a_named_limit(reader, data, error, code):
    with pytest.raises(error) as raised:
        reader.read({"data": data})
    assert raised.value.code == code


def test_encrypted_pdf_is_refused(reader):
    with pytest.raises((UnsupportedInput, MalformedInput)) as raised:
        reader.read({"data": _encrypted_pdf()})
    assert raised.value.code in ("encrypted_pdf", "corrupt_pdf")


def test_page_and_byte_limits(invoice):
    small = OcrReader(OcrSettings(max_bytes=2048))
    with pytest.raises(InputTooLarge, match="limit is 2048"):
        small.read({"data": invoice.pdf})


def test_declared_type_must_match(reader, invoice):
    with pytest.raises(UnsupportedInput, match="declared image/png"):
        reader.read({"data": invoice.pdf, "mime": "image/png"})


async def test_deployment_returns_json_and_survives_bad_input(invoice):
    deployment = OcrDeployment(OcrSettings().model_dump(mode="json"))
    with pytest.raises(MalformedInput):
        await deployment.process({"data": b""})
    result = await deployment.process({"data": invoice.pdf, "mime": "application/pdf"})
    assert result["pages"][0]["text"].startswith("INVOICE")
