"""Parsers: HTML main text (trafilatura → readability-lxml → body text), plain text, PDF.

Every parser returns a :class:`ParsedDocument`: pages of text (one page for HTML and text, one
per PDF page), a title and, for HTML, the links found (for the crawler).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urldefrag, urljoin

from deployments.common.errors import InputTooLarge, MalformedInput, UnsupportedInput
from deployments.common.media import sniff_mime
from deployments.embed.handles import call

HTML_TYPES = {"text/html", "application/xhtml+xml"}
TEXT_TYPES = {"text/plain", "text/markdown", "text/x-markdown", "text/csv", "text/x-rst"}
PDF_TYPE = "application/pdf"
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass
class ParsedPage:
    """Text of one page; ``number`` is 1-based for PDFs and 0 for unpaged documents."""

    number: int
    text: str


@dataclass
class ParsedDocument:
    """A parsed document ready for chunking."""

    source: str
    mime: str
    title: str
    pages: list[ParsedPage]
    links: list[str] = field(default_factory=list)

    @property
    def text_chars(self) -> int:
        return sum(len(p.text) for p in self.pages)

    def content_hash(self) -> str:
        """sha256 of the whitespace-normalised text: equal content, equal hash (dedup key)."""
        digest = hashlib.sha256()
        for page in self.pages:
            digest.update(" ".join(page.text.split()).encode("utf-8", "surrogatepass"))
            digest.update(b"\x0c")
        return "sha256:" + digest.hexdigest()


def normalize_text(text: str) -> str:
    """Collapse runs of spaces and blank lines; keep paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def decode_bytes(data: bytes, content_type: str | None = None) -> str:
    """Text from bytes: BOM, declared charset, <meta>, UTF-8, detection, then cp1252."""
    from deployments.actions.browse.encoding import decode_html

    return decode_html(data, content_type)[0]


# ---- HTML --------------------------------------------------------------------------------


def _lxml_tree(html: str) -> Any:
    import lxml.html

    try:
        return lxml.html.document_fromstring(html)
    except Exception:
        return None


def extract_links(tree: Any, base_url: str) -> list[str]:
    """Absolute http(s) links of ``<a href>`` in document order, fragments removed, unique."""
    if tree is None:
        return []
    base = tree.xpath("string(//base/@href)").strip() or base_url
    base = urljoin(base_url, base)
    seen: dict[str, None] = {}
    for href in tree.xpath("//a/@href"):
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        try:
            url = urldefrag(urljoin(base, href))[0]
        except ValueError:
            continue
        if url.startswith(("http://", "https://")):
            seen.setdefault(url, None)
    return list(seen)


def _title(tree: Any) -> str:
    if tree is None:
        return ""
    title = tree.xpath("string(//title)") or tree.xpath("string(//h1)")
    return " ".join(title.split())[:1000]


def _body_text(tree: Any) -> str:
    if tree is None:
        return ""
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    body = tree.find("body")
    return (body if body is not None else tree).text_content()


def html_main_text(html: str, url: str | None = None) -> str:
    """Main text of a page: trafilatura, else readability-lxml, else the whole body text."""
    import trafilatura

    text = trafilatura.extract(
        html,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        deduplicate=False,
    )
    if text and text.strip():
        return text
    try:
        from readability import Document

        summary = Document(html).summary(html_partial=True)
        tree = _lxml_tree(summary)
        text = tree.text_content() if tree is not None else ""
        if text.strip():
            return text
    except Exception:  # readability raises on odd markup; fall through to the body text
        pass
    return _body_text(_lxml_tree(html))


def parse_html(
    data: bytes, *, source: str, content_type: str | None = None, base_url: str | None = None
) -> ParsedDocument:
    """Decode (any charset), extract the main text, title and links."""
    html = decode_bytes(data, content_type)
    tree = _lxml_tree(html)
    links = extract_links(tree, base_url) if base_url else []
    title = _title(tree)
    text = normalize_text(html_main_text(html, base_url))
    return ParsedDocument(source, "text/html", title, [ParsedPage(0, text)], links)


# ---- plain text --------------------------------------------------------------------------


def parse_text(
    data: bytes, *, source: str, mime: str = "text/plain", content_type: str | None = None
) -> ParsedDocument:
    text = normalize_text(decode_bytes(data, content_type))
    first_line = text.split("\n", 1)[0][:200] if text else ""
    return ParsedDocument(source, mime, first_line, [ParsedPage(0, text)])


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB: not text."""
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.05


# ---- PDF ---------------------------------------------------------------------------------


class PdfParser(Protocol):
    """Text of each PDF page (the OCR deployment's text-layer path, or pypdfium2 here)."""

    async def parse(self, data: bytes, filename: str) -> list[ParsedPage]: ...


class PdfiumParser:
    """Text layer with pypdfium2 (1-3 ms/page); used in tests and when no OCR is wired."""

    def __init__(self, max_pages: int = 2000) -> None:
        self.max_pages = max_pages

    def parse_sync(self, data: bytes, filename: str) -> list[ParsedPage]:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(data)
        except Exception as exc:
            raise MalformedInput(
                f"{filename} is not a readable PDF: {exc}", code="invalid_pdf"
            ) from None
        try:
            if len(pdf) > self.max_pages:
                raise InputTooLarge(
                    f"{filename} has {len(pdf)} pages, over max_pdf_pages={self.max_pages}",
                    code="too_many_pages",
                )
            pages = []
            for i in range(len(pdf)):
                page = pdf[i]
                textpage = page.get_textpage()
                pages.append(ParsedPage(i + 1, textpage.get_text_range()))
                textpage.close()
                page.close()
            return pages
        finally:
            pdf.close()

    async def parse(self, data: bytes, filename: str) -> list[ParsedPage]:
        return await asyncio.to_thread(self.parse_sync, data, filename)


class OcrTextLayerParser:
    """PDF text through the OCR deployment's ``process`` (``mode="text_layer"`` by default)."""

    def __init__(self, ocr_handle: Any, mode: str = "text_layer") -> None:
        self.ocr = ocr_handle
        self.mode = mode

    async def parse(self, data: bytes, filename: str) -> list[ParsedPage]:
        result = await call(
            self.ocr,
            "process",
            {"data": data, "mime": PDF_TYPE, "filename": filename, "mode": self.mode},
        )
        return pages_from_ocr(result)


def pages_from_ocr(result: Any) -> list[ParsedPage]:
    """Pages from an OCR result: ``{"pages": [{"page"|"number": n, "text": str}, ...]}``."""
    if isinstance(result, dict) and isinstance(result.get("pages"), list):
        pages = []
        for i, page in enumerate(result["pages"]):
            if isinstance(page, str):
                pages.append(ParsedPage(i + 1, page))
            elif isinstance(page, dict):
                number = page.get("page") or page.get("number") or page.get("index", i) + 1
                pages.append(ParsedPage(int(number), str(page.get("text") or "")))
        return pages
    if isinstance(result, dict) and isinstance(result.get("text"), str):
        return [ParsedPage(1, result["text"])]
    raise MalformedInput("the OCR deployment returned no pages", code="ocr_no_pages")


# ---- dispatch ----------------------------------------------------------------------------


def media_type(declared: str | None, data: bytes, filename: str = "") -> str:
    """The type to parse as: sniffed magic bytes win over the declared type and the name."""
    sniffed = sniff_mime(data)
    declared = (declared or "").split(";")[0].strip().lower()
    lower = filename.lower()
    if sniffed == PDF_TYPE or sniffed == "text/html":
        return sniffed
    if sniffed is not None:
        raise UnsupportedInput(
            f"{filename or 'input'} is {sniffed}; index takes PDF, HTML and text",
            code="unsupported_document_type",
        )
    if declared == PDF_TYPE:
        raise MalformedInput(
            f"{filename or 'input'} is declared as PDF but does not start with %PDF-",
            code="invalid_pdf",
        )
    if declared in HTML_TYPES or lower.endswith((".html", ".htm", ".xhtml")):
        return "text/html"
    if declared in TEXT_TYPES or declared.startswith("text/") or not declared:
        if looks_binary(data):
            raise UnsupportedInput(
                f"{filename or 'input'} looks binary, not text", code="unsupported_document_type"
            )
        return declared if declared.startswith("text/") else "text/plain"
    raise UnsupportedInput(
        f"media type {declared} is not indexable (PDF, HTML or text)",
        code="unsupported_document_type",
    )


async def parse_document(
    data: bytes,
    *,
    mime: str,
    source: str,
    pdf_parser: PdfParser,
    filename: str = "",
    content_type: str | None = None,
    base_url: str | None = None,
) -> ParsedDocument:
    """Parse bytes of an already-determined media type (see :func:`media_type`)."""
    if mime == PDF_TYPE:
        pages = await pdf_parser.parse(data, filename or source)
        pages = [ParsedPage(p.number, normalize_text(p.text)) for p in pages]
        return ParsedDocument(source, PDF_TYPE, filename or source, pages)
    if mime == "text/html":
        return await asyncio.to_thread(
            parse_html, data, source=source, content_type=content_type, base_url=base_url
        )
    return await asyncio.to_thread(
        parse_text, data, source=source, mime=mime, content_type=content_type
    )
