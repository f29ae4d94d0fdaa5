"""Helpers of the index tests: HTML pages, PDF bytes and the routes of a small test site."""

from __future__ import annotations

import io
from dataclasses import dataclass

Route = tuple[int, dict[str, str], bytes]


def html(title: str, body: str, links: list[str] = ()) -> bytes:
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><ul>{anchors}</ul></nav><article><h1>{title}</h1><p>{body}</p></article>"
        "</body></html>"
    ).encode()


def make_pdf(pages: list[str]) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in pages:
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def site_routes() -> dict[str, Route]:
    page = {"content-type": "text/html; charset=utf-8"}
    latin1 = (
        "<html><head><meta charset='iso-8859-1'><title>Caf\xe9</title></head><body><article>"
        "<p>Le caf\xe9 cr\xe8me co\xfbte trois euros \xe0 la gare du Nord, pr\xe8s du quai.</p>"
        "</article></body></html>"
    ).encode("latin-1")
    return {
        "/robots.txt": (
            200,
            {"content-type": "text/plain"},
            b"User-agent: *\nDisallow: /private\n",
        ),
        "/": (
            200,
            page,
            html(
                "Home of the Zebra Society",
                "The zebra society studies striped horses in the savanna.",
                ["/a", "/a#section", "/private/secret", "http://elsewhere.invalid/x", "/pic.png"],
            ),
        ),
        "/a": (
            200,
            page,
            html("Page A", "Giraffes eat acacia leaves from tall trees.", ["/b", "/"]),
        ),
        "/b": (200, page, html("Page B", "Elephants remember water holes for decades.", ["/c"])),
        "/c": (200, page, html("Page C", "Lions sleep most of the day.", [])),
        "/private/secret": (200, page, html("Secret", "Not for robots.", [])),
        "/latin1": (200, {"content-type": "text/html"}, latin1),
        "/mirror": (
            200,
            page,
            html("Page A", "Giraffes eat acacia leaves from tall trees.", ["/b", "/"]),
        ),
        "/loop1": (302, {"location": "/loop2"}, b""),
        "/loop2": (302, {"location": "/loop1"}, b""),
        "/to-private": (302, {"location": "http://10.1.2.3/admin"}, b""),
        "/to-metadata": (302, {"location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/huge": (200, {"content-type": "text/html", "content-length": str(50 * 1024 * 1024)}, b""),
        "/missing": (404, {"content-type": "text/html"}, b"<h1>not found</h1>"),
        "/doc.pdf": (
            200,
            {"content-type": "application/pdf"},
            make_pdf(["Volcanoes form where tectonic plates meet.", "Basalt cools into columns."]),
        ),
        "/image.png": (200, {"content-type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    }


@dataclass
class Site:
    base: str
    hits: list[str]

    def url(self, path: str) -> str:
        return self.base + path
