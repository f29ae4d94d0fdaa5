import pytest

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.perception.ocr.inputs import (
    declared_mime,
    detect_mime,
    normalise_mime,
    parse_request,
    select_pages,
)

PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n...."


def test_mime_normalisation_and_file_names():
    assert normalise_mime("Image/JPG; q=1") == "image/jpeg"
    assert normalise_mime("application/octet-stream") is None
    assert declared_mime(None, "scan.TIF") == "image/tiff"
    assert declared_mime("application/pdf", "x.png") == "application/pdf"


def test_magic_number_wins_and_must_agree():
    assert detect_mime(PDF, None) == "application/pdf"
    assert detect_mime(b"junk\n" + PDF, "application/pdf") == "application/pdf"
    with pytest.raises(UnsupportedInput, match="declared image/png but the bytes are") as raised:
        detect_mime(PDF, "image/png")
    assert raised.value.code == "media_type_mismatch" and raised.value.status == 415
    with pytest.raises(UnsupportedInput, match="declared image/jpeg"):
        detect_mime(PNG, "image/jpeg")


@pytest.mark.parametrize(
    "data", [b"RIFF\x00\x00\x00\x00WAVEfmt ", b"<html><body>hi</body></html>", b"plain text"]
)
def test_other_media_are_unsupported(data):
    with pytest.raises(UnsupportedInput) as raised:
        detect_mime(data, None)
    assert raised.value.status == 415


@pytest.mark.parametrize(
    ("request_", "error", "code"),
    [
        ({"data": b""}, MalformedInput, "empty_media"),
        ({"data": "not bytes"}, MalformedInput, "missing_data"),
        ({}, MalformedInput, "missing_data"),
        ({"data": PDF * 200}, InputTooLarge, "media_too_large"),
        ({"data": PDF, "mode": "fast"}, MalformedInput, "invalid_mode"),
        ({"data": PDF, "pages": 0}, MalformedInput, "invalid_pages"),
        ({"data": PDF, "pages": ["1"]}, MalformedInput, "invalid_pages"),
        ({"data": PNG, "mode": "text_layer"}, UnsupportedInput, "no_text_layer"),
    ],
)
def test_bad_requests(request_, error, code):
    with pytest.raises(error) as raised:
        parse_request(request_, max_bytes=1000)
    assert raised.value.code == code


def test_size_limit_is_named():
    with pytest.raises(InputTooLarge, match=r"limit is 1000 \(ocr.max_bytes\)"):
        parse_request({"data": PDF * 200}, max_bytes=1000)


def test_good_request():
    parsed = parse_request(
        {"data": bytearray(PDF), "filename": "a.pdf", "pages": [3, 1, 3], "words": True},
        max_bytes=1000,
    )
    assert parsed.is_pdf and parsed.pages == [1, 3] and parsed.words and parsed.mode == "auto"


def test_page_selection():
    assert select_pages(None, 3, 10) == [0, 1, 2]
    assert select_pages(2, 5, 10) == [0, 1]
    assert select_pages(9, 3, 10) == [0, 1, 2]
    assert select_pages([2, 3], 3, 10) == [1, 2]
    with pytest.raises(MalformedInput, match=r"outside the document \(1..3\)"):
        select_pages([4], 3, 10)
    with pytest.raises(InputTooLarge, match=r"limit is 2 \(ocr.max_pages\)") as raised:
        select_pages(None, 3, 2)
    assert raised.value.status == 413
    assert select_pages([1, 3], 300, 2) == [0, 2]  # selecting pages keeps big documents usable
