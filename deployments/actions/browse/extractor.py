"""HTML → title, main text, links and tables (the same code for Chromium and plain HTTP)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("readability").setLevel(logging.ERROR)

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_NON_CONTENT = ("script", "style", "noscript", "template", "svg")


@dataclass(frozen=True)
class ExtractLimits:
    """Caps on what one page may return."""

    max_text_chars: int = 100_000
    max_links: int = 500
    max_tables: int = 20
    max_table_rows: int = 200
    max_table_cols: int = 50
    max_cell_chars: int = 1000
    max_link_text_chars: int = 300
    max_html_chars: int = 5_000_000


@dataclass
class Extracted:
    """What :func:`extract_page` found."""

    title: str = ""
    text: str = ""
    links: list[dict[str, str]] = field(default_factory=list)
    tables: list[dict[str, list[list[str]]]] = field(default_factory=list)
    truncated: bool = False


def squash(text: str) -> str:
    """Collapse runs of whitespace into single spaces."""
    return " ".join(text.split())


def tidy_text(text: str) -> str:
    """Normalise spaces inside lines and collapse blank-line runs."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """Parse HTML leniently; None when there is nothing to parse."""
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _base_url(doc: lxml.html.HtmlElement, page_url: str) -> str:
    base = doc.find(".//base[@href]")
    if base is not None:
        try:
            return urljoin(page_url, base.get("href", "").strip())
        except ValueError:
            return page_url
    return page_url


def extract_links(
    doc: lxml.html.HtmlElement, page_url: str, limits: ExtractLimits
) -> tuple[list[dict[str, str]], bool]:
    """Absolute http(s) links with their text, de-duplicated, in page order."""
    base = _base_url(doc, page_url)
    links: list[dict[str, str]] = []
    seen: set[str] = set()
    for anchor in doc.iter("a"):
        raw = (anchor.get("href") or "").strip()
        if not raw or raw.startswith("#"):
            continue
        try:
            href = urldefrag(urljoin(base, raw))[0]
            scheme = urlsplit(href).scheme
        except ValueError:
            continue
        if scheme not in ("http", "https") or href in seen:
            continue
        if len(links) >= limits.max_links:
            return links, True
        seen.add(href)
        text = squash(anchor.text_content()) or squash(
            anchor.get("title") or anchor.get("aria-label") or ""
        )
        links.append({"text": text[: limits.max_link_text_chars], "href": href})
    return links, False


def _own_rows(table: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def extract_tables(
    doc: lxml.html.HtmlElement, limits: ExtractLimits
) -> tuple[list[dict[str, list[list[str]]]], bool]:
    """Data tables as rows of cell texts; layout tables (one column) are skipped."""
    tables: list[dict[str, list[list[str]]]] = []
    truncated = False
    for table in doc.iter("table"):
        rows: list[list[str]] = []
        for tr in _own_rows(table):
            cells = [
                squash(cell.text_content())[: limits.max_cell_chars]
                for cell in tr.xpath("./th | ./td")[: limits.max_table_cols]
            ]
            if any(cells):
                rows.append(cells)
        if not rows or max(len(r) for r in rows) < 2:
            continue
        if len(tables) >= limits.max_tables:
            return tables, True
        if len(rows) > limits.max_table_rows:
            rows, truncated = rows[: limits.max_table_rows], True
        tables.append({"rows": rows})
    return tables, truncated


def body_text(doc: lxml.html.HtmlElement) -> str:
    """Visible-ish body text without scripts and styles (fallback without a browser)."""
    body = doc.find("body")
    root = body if body is not None else doc
    for node in list(root.iter(*_NON_CONTENT)):
        node.drop_tree()
    return tidy_text("\n".join(root.itertext()))


def main_text(html: str, url: str) -> str:
    """The main text via trafilatura, then readability; empty when neither finds any."""
    import trafilatura

    try:
        text = trafilatura.extract(
            html, url=url, favor_recall=True, include_comments=False, deduplicate=False
        )
    except Exception:  # trafilatura raises assorted errors on odd markup
        text = None
    if text and text.strip():
        return tidy_text(text)
    try:
        from readability import Document

        summary = Document(html).summary(html_partial=True)
        parsed = parse_html(summary)
        return body_text(parsed) if parsed is not None else ""
    except Exception:  # readability gives up on some documents
        return ""


def extract_page(
    html: str,
    page_url: str,
    *,
    title: str | None = None,
    fallback_text: str | None = None,
    limits: ExtractLimits | None = None,
) -> Extracted:
    """Everything the browse result needs from one HTML document.

    ``title``/``fallback_text`` come from the browser (``document.title`` and
    ``body.innerText``) when it rendered the page; otherwise they are read from the HTML.
    """
    limits = limits or ExtractLimits()
    html_cut = len(html) > limits.max_html_chars
    html = html[: limits.max_html_chars]
    doc = parse_html(html)
    if doc is None:
        text = tidy_text(fallback_text or "")
        return Extracted(
            title=squash(title or ""),
            text=text[: limits.max_text_chars],
            truncated=len(text) > limits.max_text_chars,
        )
    page_title = squash(title if title is not None else doc.findtext(".//title") or "")
    links, links_cut = extract_links(doc, page_url, limits)
    tables, tables_cut = extract_tables(doc, limits)
    text = main_text(html, page_url)
    if not text:
        text = tidy_text(fallback_text) if fallback_text else body_text(doc)
    text_cut = len(text) > limits.max_text_chars
    return Extracted(
        title=page_title,
        text=text[: limits.max_text_chars],
        links=links,
        tables=tables,
        truncated=html_cut or links_cut or tables_cut or text_cut,
    )


def extract_plain_text(text: str, limits: ExtractLimits | None = None) -> Extracted:
    """A text/plain document: the text itself."""
    limits = limits or ExtractLimits()
    text = tidy_text(text)
    return Extracted(
        text=text[: limits.max_text_chars], truncated=len(text) > limits.max_text_chars
    )
