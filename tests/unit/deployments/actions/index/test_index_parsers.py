"""HTML/text/PDF parsing, charset handling and media-type decisions."""

from __future__ import annotations

import pytest
from index_site import html, make_pdf

from deployments.actions.index.parsers import (
    PdfiumParser,
    media_type,
    pages_from_ocr,
    parse_document,
    parse_html,
    parse_text,
)
from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput


def test_html_main_text_title_and_links() -> None:
    body = "The zebra society studies striped horses in the savanna. " * 5
    doc = parse_html(
        html("Zebras", body, ["/a", "b.html#frag", "mailto:x@y", "https://other.org/p"]),
        source="http://site/dir/index.html",
        base_url="http://site/dir/index.html",
    )
    assert doc.title == "Zebras" and doc.mime == "text/html"
    assert "striped horses" in doc.pages[0].text
    assert doc.links == ["http://site/a", "http://site/dir/b.html", "https://other.org/p"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("<html><head><meta charset='iso-8859-1'></head><body><p>{t}</p></body></html>", None),
        ("<html><body><p>{t}</p></body></html>", "text/html; charset=windows-1252"),
        ("<html><body><p>{t}</p></body></html>", None),  # undeclared, not UTF-8
    ],
)
def test_non_utf8_html_is_decoded(data: str, content_type: str | None) -> None:
    text = "Le café crème coûte trois euros à la gare, près du quai numéro deux."
    raw = data.format(t=text).encode("cp1252")
    doc = parse_html(raw, source="x", content_type=content_type)
    assert "café crème coûte" in doc.pages[0].text


def test_text_parsing_normalises_whitespace() -> None:
    doc = parse_text(b"Title line\r\n\r\n\r\nbody   with\tspaces\n", source="notes.txt")
    assert doc.pages[0].text == "Title line\n\nbody with spaces"
    assert doc.title == "Title line"


async def test_pdf_pages_keep_their_numbers() -> None:
    data = make_pdf(["First page about volcanoes.", "Second page about basalt."])
    doc = await parse_document(
        data, mime="application/pdf", source="v.pdf", pdf_parser=PdfiumParser(), filename="v.pdf"
    )
    assert [(p.number, p.text) for p in doc.pages] == [
        (1, "First page about volcanoes."),
        (2, "Second page about basalt."),
    ]


async def test_pdf_limits_and_corruption() -> None:
    with pytest.raises(MalformedInput, match="not a readable PDF"):
        await PdfiumParser().parse(b"%PDF-1.4 garbage", "bad.pdf")
    with pytest.raises(InputTooLarge, match="max_pdf_pages=1"):
        await PdfiumParser(max_pages=1).parse(make_pdf(["a", "b"]), "two.pdf")


def test_ocr_result_shapes() -> None:
    pages = pages_from_ocr({"pages": [{"page": 1, "text": "a"}, {"number": 2, "text": "b"}]})
    assert [(p.number, p.text) for p in pages] == [(1, "a"), (2, "b")]
    assert pages_from_ocr({"text": "all"})[0].text == "all"
    with pytest.raises(MalformedInput):
        pages_from_ocr({"nothing": True})


def test_media_type_trusts_bytes_over_claims() -> None:
    assert media_type("text/plain", b"%PDF-1.7\n...") == "application/pdf"
    assert media_type(None, b"<!DOCTYPE html><html></html>") == "text/html"
    assert media_type(None, b"plain words", "notes.md") == "text/plain"
    assert media_type("text/markdown", b"# title") == "text/markdown"
    with pytest.raises(UnsupportedInput, match="image/png"):
        media_type("application/pdf", b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(MalformedInput, match="does not start with %PDF-"):
        media_type("application/pdf", b"hello")
    with pytest.raises(UnsupportedInput, match="binary"):
        media_type(None, bytes(range(256)) * 10)
    with pytest.raises(UnsupportedInput):
        media_type("application/zip", b"PK\x03\x04")
