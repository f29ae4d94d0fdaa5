"""A small drawing toolkit for generated business documents (reportlab, top-down coordinates).

``Sheet`` draws text, rules, boxes and tables on pages measured from the top-left corner and
starts new pages on demand (``on_new_page`` redraws running headers). Fonts: the PDF standard
families, plus DejaVu / Liberation TrueType families when the machine has them (else a
standard family stands in, so documents generate everywhere).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.colors import Color, black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

# family → (regular, bold); TrueType ones registered on first use when their files exist.
_STANDARD = {
    "helvetica": ("Helvetica", "Helvetica-Bold"),
    "times": ("Times-Roman", "Times-Bold"),
    "courier": ("Courier", "Courier-Bold"),
}
_TTF = {
    "dejavu-condensed": (
        "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
        "helvetica",
    ),
    "dejavu-serif": (
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
        "times",
    ),
    "liberation-narrow": (
        "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
        "helvetica",
    ),
    "liberation-mono": (
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
        "courier",
    ),
}


def font_pair(family: str) -> tuple[str, str]:
    """(regular, bold) font names for ``family``, registering TrueType files when present."""
    if family in _STANDARD:
        return _STANDARD[family]
    regular, bold, fallback = _TTF[family]
    if not (Path(regular).exists() and Path(bold).exists()):
        return _STANDARD[fallback]
    names = (f"{family}-regular", f"{family}-bold")
    registered = pdfmetrics.getRegisteredFontNames()
    for name, path in zip(names, (regular, bold), strict=True):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, path))
    return names


GREY = Color(0.85, 0.85, 0.85)
DARK = Color(0.25, 0.25, 0.3)


@dataclass
class Column:
    """A table column: title, width (points), alignment of its body cells."""

    title: str
    width: float
    align: str = "left"  # left | right | center


class Sheet:
    """Pages of one PDF; ``y`` grows downwards from the top edge."""

    def __init__(self, size: tuple[float, float], family: str, margin: float = 50.0) -> None:
        self.buffer = io.BytesIO()
        self.width, self.height = size
        self.canvas = Canvas(self.buffer, pagesize=size, invariant=1)
        self.regular, self.bold = font_pair(family)
        self.margin = margin
        self.y = margin
        self.page = 1
        self.on_new_page: Callable[[Sheet], None] | None = None

    # ---- primitives -------------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 10,
        *,
        bold: bool = False,
        align: str = "left",
        color: Color = black,
    ) -> None:
        c = self.canvas
        c.setFillColor(color)
        c.setFont(self.bold if bold else self.regular, size)
        baseline = self.height - y
        if align == "right":
            c.drawRightString(x, baseline, text)
        elif align == "center":
            c.drawCentredString(x, baseline, text)
        else:
            c.drawString(x, baseline, text)
        c.setFillColor(black)

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        return pdfmetrics.stringWidth(text, self.bold if bold else self.regular, size)

    def hline(self, x0: float, x1: float, y: float, width: float = 0.8) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, self.height - y, x1, self.height - y)

    def vline(self, x: float, y0: float, y1: float, width: float = 0.8) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x, self.height - y0, x, self.height - y1)

    def box(
        self, x: float, y: float, w: float, h: float, *, fill: Color | None = None, stroke=True
    ) -> None:
        c = self.canvas
        if fill is not None:
            c.setFillColor(fill)
        c.setLineWidth(0.8)
        c.rect(x, self.height - y - h, w, h, stroke=1 if stroke else 0, fill=1 if fill else 0)
        c.setFillColor(black)

    def lines(self, x: float, y: float, rows: list[str], size: float = 10, **kw) -> float:
        """Draw ``rows`` one under the other from ``y``; returns the y below the last one."""
        for row in rows:
            y += size * 1.35
            self.text(x, y, row, size, **kw)
        return y

    # ---- flow -------------------------------------------------------------------------
    def new_page(self) -> None:
        self.canvas.showPage()
        self.page += 1
        self.y = self.margin
        if self.on_new_page is not None:
            self.on_new_page(self)

    def ensure(self, needed: float) -> None:
        if self.y + needed > self.height - self.margin:
            self.new_page()

    def table(
        self,
        x: float,
        columns: list[Column],
        rows: list[list[str]],
        *,
        style: str = "grid",
        size: float = 9.5,
        row_height: float = 18.0,
        header_fill: Color | None = None,
        repeat_header: bool = True,
    ) -> None:
        """A table from ``self.y``; styles: grid, header_rule, zebra, none, boxed.

        Rows that do not fit go on the next page, under a repeated header.
        """
        xs = [x]
        for column in columns:
            xs.append(xs[-1] + column.width)

        def header() -> None:
            top = self.y
            if header_fill is not None or style == "boxed":
                self.box(x, top, xs[-1] - x, row_height, fill=header_fill or GREY, stroke=False)
            for column, x0, x1 in zip(columns, xs, xs[1:], strict=False):
                self._cell(column.title, column.align, x0, x1, top, row_height, size, True)
            if style in ("grid", "boxed"):
                self.hline(x, xs[-1], top)
            if style != "none":
                self.hline(x, xs[-1], top + row_height, 1.0 if style == "header_rule" else 0.8)
            if style == "grid":
                for edge in xs:
                    self.vline(edge, top, top + row_height)
            self.y = top + row_height

        header()
        first_row_top = self.y
        for index, row in enumerate(rows):
            if self.y + row_height > self.height - self.margin:
                self._close(x, xs, first_row_top, style)
                self.new_page()
                if repeat_header:
                    header()
                first_row_top = self.y
            top = self.y
            if style == "zebra" and index % 2 == 0:
                self.box(x, top, xs[-1] - x, row_height, fill=GREY, stroke=False)
            for column, cell, x0, x1 in zip(columns, row, xs, xs[1:], strict=False):
                self._cell(cell, column.align, x0, x1, top, row_height, size, False)
            if style == "grid":
                self.hline(x, xs[-1], top + row_height)
                for edge in xs:
                    self.vline(edge, top, top + row_height)
            self.y = top + row_height
        self._close(x, xs, first_row_top, style)

    def _close(self, x: float, xs: list[float], top: float, style: str) -> None:
        if style in ("header_rule", "boxed"):
            self.hline(x, xs[-1], self.y)
        if style == "boxed":
            self.vline(x, top, self.y)
            self.vline(xs[-1], top, self.y)

    def _cell(
        self, text: str, align: str, x0: float, x1: float, top: float, h: float, size, bold
    ) -> None:
        baseline = top + h - (h - size) / 2 - 1.5
        if align == "right":
            self.text(x1 - 5, baseline, text, size, bold=bold, align="right")
        elif align == "center":
            self.text((x0 + x1) / 2, baseline, text, size, bold=bold, align="center")
        else:
            self.text(x0 + 5, baseline, text, size, bold=bold)

    def pdf(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()
