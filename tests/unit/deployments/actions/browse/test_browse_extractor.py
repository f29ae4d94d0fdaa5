"""HTML → text/links/tables, and decoding of non-UTF-8 pages (no network)."""

from __future__ import annotations

from deployments.actions.browse.encoding import decode_html
from deployments.actions.browse.extractor import ExtractLimits, extract_page, extract_plain_text

ARTICLE = """<html><head><title> A  title </title><base href="/docs/"></head><body>
<nav><a href="/">Home</a> <a href="#top">Top</a> <a href="mailto:x@example.com">Mail</a></nav>
<article><h1>Heading</h1><p>First paragraph about rivers and their long journey to the sea,
with enough words to count as main content for the extractor.</p>
<p>Second paragraph on estuaries, tides and the birds that live there all year round.</p>
<a href="guide.html#part2">The guide</a> <a href="https://other.example/x">Elsewhere</a>
<a href="guide.html">duplicate target</a>
</article>
<table><tr><td>layout only</td></tr></table>
<table><thead><tr><th>City</th><th>Population</th></tr></thead>
<tbody><tr><td>Oslo</td><td>700 000</td></tr><tr><td>Bergen</td><td> 290 000 </td></tr></tbody>
<tr><td><table><tr><td>nested</td><td>table</td></tr></table></td><td>x</td></tr>
</table><script>var hidden = "script text";</script></body></html>"""


def test_links_are_absolute_deduplicated_and_http_only():
    page = extract_page(ARTICLE, "http://site.test/docs/index.html")
    hrefs = [link["href"] for link in page.links]
    assert hrefs == [
        "http://site.test/",
        "http://site.test/docs/guide.html",
        "https://other.example/x",
    ]
    assert page.links[1]["text"] == "The guide"


def test_tables_keep_rows_and_skip_layout_tables():
    page = extract_page(ARTICLE, "http://site.test/")
    assert page.tables[0]["rows"][:3] == [
        ["City", "Population"],
        ["Oslo", "700 000"],
        ["Bergen", "290 000"],
    ]
    assert ["nested", "table"] in [row for table in page.tables for row in table["rows"]]
    assert all(len(max(t["rows"], key=len)) >= 2 for t in page.tables)


def test_main_text_and_title():
    page = extract_page(ARTICLE, "http://site.test/")
    assert page.title == "A title"
    assert "rivers and their long journey" in page.text
    assert "script text" not in page.text


def test_browser_title_and_inner_text_fallback():
    page = extract_page(
        "<html><body><div></div></body></html>",
        "http://x.test/",
        title="From the DOM",
        fallback_text="  visible   text\n\n\n\nmore ",
    )
    assert page.title == "From the DOM"
    assert page.text == "visible text\n\nmore"


def test_limits_truncate_and_say_so():
    links = "".join(f"<a href='/p{i}'>p{i}</a>" for i in range(20))
    rows = "".join(f"<tr><td>{i}</td><td>{i * i}</td></tr>" for i in range(30))
    html = f"<html><body><p>{'word ' * 500}</p>{links}<table>{rows}</table></body></html>"
    limits = ExtractLimits(max_text_chars=100, max_links=5, max_table_rows=10)
    page = extract_page(html, "http://x.test/", limits=limits)
    assert len(page.text) == 100
    assert len(page.links) == 5
    assert len(page.tables[0]["rows"]) == 10
    assert page.truncated


def test_empty_and_garbage_documents_do_not_raise():
    assert extract_page("", "http://x.test/").text == ""
    assert extract_page("\x00\x01<<<>>>", "http://x.test/") is not None
    xml_declared = '<?xml version="1.0" encoding="utf-8"?><html><body><p>hi</p></body></html>'
    assert "hi" in extract_page(xml_declared, "http://x.test/").text


def test_plain_text_documents():
    page = extract_plain_text("line one\r\n\r\n\r\nline two")
    assert page.text == "line one\n\nline two"


def test_decoding_follows_header_meta_bom_and_detection():
    latin = "<p>Un caf\u00e9 cr\u00e8me</p>".encode("cp1252")
    assert decode_html(latin, "text/html; charset=ISO-8859-1") == (
        "<p>Un caf\u00e9 cr\u00e8me</p>",
        "cp1252",
    )
    cyrillic = (
        "<meta charset=windows-1251><p>\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440</p>"
    )
    text, encoding = decode_html(cyrillic.encode("cp1251"), "text/html")
    assert "\u041f\u0440\u0438\u0432\u0435\u0442" in text and encoding == "cp1251"
    assert decode_html("\ufeff<p>\u00e9</p>".encode(), None)[0] == "<p>\u00e9</p>"
    assert decode_html("<p>\u00e9</p>".encode("utf-16"), None)[0] == "<p>\u00e9</p>"
    undeclared = ("<p>" + "D\u00e9j\u00e0 vu, na\u00efve fa\u00e7ade. " * 20 + "</p>").encode(
        "cp1252"
    )
    assert "na\u00efve" in decode_html(undeclared, "text/html")[0]
    assert decode_html(b"\xff\xfe\xfa bad", "text/html; charset=x-unknown")[0]  # never raises
