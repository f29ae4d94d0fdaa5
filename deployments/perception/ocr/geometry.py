"""What OCR engines return, in pixels: words with boxes and confidence, grouped in lines."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from deployments.perception.ocr.protocol import BBox, Table

T = TypeVar("T")


@dataclass
class OcrWord:
    """A word and its box (pixels, top-left origin); confidence in 0..1."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float = 1.0
    # A second, independent reading agrees with ``text`` (True), disagrees (False), or none was
    # made (None): see :mod:`deployments.perception.ocr.verify`.
    checked: bool | None = None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)


@dataclass
class OcrLine:
    """Words on one text line, left to right."""

    words: list[OcrWord]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> BBox:
        return union_box(self.words)

    @property
    def height(self) -> float:
        return statistics.median(w.height for w in self.words)

    @property
    def confidence(self) -> float:
        return mean_confidence(self.words)


@dataclass
class RecognizedPage:
    """An engine's reading of one page image.

    Engines with positions fill ``lines`` (``ordered``: already in reading order); engines
    without them (Nougat) fill ``paragraphs`` (text, confidence) and may give ``tables``.
    """

    lines: list[OcrLine] = field(default_factory=list)
    ordered: bool = True
    paragraphs: list[tuple[str, float]] | None = None
    tables: list[Table] | None = None


# A gap between two words wider than this many text heights separates two segments of a line
# (columns, a label and its value): the text marks it with a tab.
SEGMENT_GAP = 2.0


def gapped_text(words: list[tuple[str, BBox]]) -> str:
    """Words of one line left to right, a tab where the gap is wider than ``SEGMENT_GAP``
    text heights (a single space otherwise)."""
    if not words:
        return ""
    # The line's tallest words approach the font size (ascenders, descenders); glyph boxes
    # of digits and lower-case letters alone would make an ordinary space look wide.
    heights = sorted(max(box[3] - box[1], 1.0) for _, box in words)
    height = heights[min(len(heights) - 1, (3 * len(heights)) // 4)]
    parts = [words[0][0]]
    for (_, previous), (text, box) in itertools.pairwise(words):
        parts.append("\t" if box[0] - previous[2] > SEGMENT_GAP * height else " ")
        parts.append(text)
    return "".join(parts)


def ocr_gapped_text(words: list[OcrWord]) -> str:
    return gapped_text([(w.text, (w.x0, w.y0, w.x1, w.y1)) for w in words])


def union_box(words: list[OcrWord]) -> BBox:
    return (
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def mean_confidence(words: list[OcrWord]) -> float:
    """Character-weighted mean confidence of ``words`` (0 when there are none)."""
    chars = sum(len(w.text) for w in words)
    if not chars:
        return 0.0
    return sum(w.confidence * len(w.text) for w in words) / chars


def _rows(items: list[T], box: Callable[[T], BBox]) -> list[list[T]]:
    """Items grouped into visual rows (vertical overlap), top to bottom, each left to right."""
    rows: list[list[T]] = []
    centre = 0.0
    for item in sorted(items, key=lambda i: (box(i)[1] + box(i)[3]) / 2):
        _x0, y0, _x1, y1 = box(item)
        cy, height = (y0 + y1) / 2, max(y1 - y0, 1.0)
        if rows:
            row_height = statistics.median(max(box(i)[3] - box(i)[1], 1.0) for i in rows[-1])
            if abs(cy - centre) <= 0.5 * min(row_height, height):
                rows[-1].append(item)
                centre = statistics.fmean((box(i)[1] + box(i)[3]) / 2 for i in rows[-1])
                continue
        rows.append([item])
        centre = cy
    return [sorted(row, key=lambda i: box(i)[0]) for row in rows]


def group_rows(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Words grouped into visual rows (vertical overlap), top to bottom, each left to right."""
    return _rows(words, lambda w: (w.x0, w.y0, w.x1, w.y1))


def read_words(words: list[OcrWord]) -> str:
    """Text of words in reading order: rows top to bottom, words left to right."""
    return "\n".join(" ".join(w.text for w in row) for row in group_rows(words))


def order_lines(lines: list[OcrLine]) -> list[OcrLine]:
    """Reading order for engines that return text boxes unordered (rapidocr).

    Boxes on one visual row are sorted left to right and merged into one line when the gap
    between them is small (a line split by the detector); far-apart boxes stay separate lines.
    """
    ordered: list[OcrLine] = []
    for row in _rows([ln for ln in lines if ln.words], lambda ln: ln.bbox):
        previous = None
        for line in row:
            if previous is not None and _same_row(previous, line):
                previous.words.extend(line.words)
                continue
            previous = OcrLine(list(line.words))
            ordered.append(previous)
    return ordered


def _same_row(left: OcrLine, right: OcrLine) -> bool:
    _lx0, ly0, lx1, ly1 = left.bbox
    rx0, ry0, _rx1, ry1 = right.bbox
    overlap = min(ly1, ry1) - max(ly0, ry0)
    height = min(ly1 - ly0, ry1 - ry0)
    return overlap > 0.5 * height and 0 <= rx0 - lx1 <= 1.5 * height
