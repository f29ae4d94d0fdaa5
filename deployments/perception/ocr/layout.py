"""A page's blocks, tables and text in reading order, from an engine's words or a text layer.

Lines that fall inside a table are replaced by one block per table row (its cells joined by
tabs, left to right), placed where the table starts, so the page text reads a table row by
row even when the engine read it column by column. Within a line, a gap wider than
``SEGMENT_GAP`` text heights (a column break, a label and its value far apart) is a tab.
"""

from __future__ import annotations

from dataclasses import dataclass

from deployments.perception.ocr.geometry import (
    OcrLine,
    OcrWord,
    RecognizedPage,
    gapped_text,
    mean_confidence,
    ocr_gapped_text,
    order_lines,
    union_box,
)
from deployments.perception.ocr.pdf_text import TextLayerPage
from deployments.perception.ocr.preprocess import Rulings
from deployments.perception.ocr.protocol import BBox, Block, Table, Word
from deployments.perception.ocr.tables import FoundTable, geometry_tables, ruled_tables


@dataclass
class PageContent:
    """Everything a page says, in the page's unit."""

    blocks: list[Block]
    tables: list[Table]
    text: str
    confidence: float


def _scaled(box: BBox, scale: float) -> BBox:
    return (
        round(box[0] * scale, 1),
        round(box[1] * scale, 1),
        round(box[2] * scale, 1),
        round(box[3] * scale, 1),
    )


def token_readings(text: str, words: list[OcrWord]) -> tuple[list[float], list[bool | None]] | None:
    """Confidence and second-reading check of each whitespace token of ``text``, from the
    words it was written from (None when a token is no word's text)."""
    pool = list(words)
    confidences: list[float] = []
    checks: list[bool | None] = []
    for token in text.split():
        at = next((i for i, w in enumerate(pool) if w.text == token), None)
        if at is None:
            return None
        word = pool.pop(at)
        confidences.append(round(word.confidence, 3))
        checks.append(word.checked)
    return confidences, checks


def _block(text: str, words: list[OcrWord], scale: float, with_words: bool) -> Block:
    readings = token_readings(text, words)
    return Block(
        text=text,
        bbox=_scaled(union_box(words), scale),
        confidence=round(mean_confidence(words), 4),
        word_confidences=readings[0] if readings else None,
        word_checks=readings[1] if readings and any(c is not None for c in readings[1]) else None,
        words=[
            Word(
                text=w.text, bbox=_scaled((w.x0, w.y0, w.x1, w.y1), scale), confidence=w.confidence
            )
            for w in words
        ]
        if with_words
        else None,
    )


def _row_blocks(table: FoundTable, scale: float, with_words: bool) -> list[Block]:
    blocks = []
    for row, texts in zip(table.cells, table.rows(), strict=True):
        words = [w for cell in row for w in cell]
        if words:
            text = "\t".join(t for t in texts if t)
            blocks.append(_block(text, words, scale, with_words))
    return blocks


def _inside(box: BBox, area: BBox | None) -> bool:
    if area is None:
        return False
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]


def _table(table: FoundTable, scale: float) -> Table:
    return Table(rows=table.rows(), bbox=_scaled(table.bbox, scale), method=table.method)


def find_tables(words: list[OcrWord], rulings: Rulings | None) -> list[FoundTable]:
    """Ruled tables first, then unruled ones among the words left over."""
    found = ruled_tables(rulings, words) if rulings else []
    taken = {id(w) for t in found for w in t.words()}
    inside = [w for w in words if id(w) not in taken and any(t.contains(w) for t in found)]
    taken.update(id(w) for w in inside)
    found += geometry_tables([w for w in words if id(w) not in taken])
    return found


def _in_reading_order(
    lines: list[OcrLine], tables: list[FoundTable], scale: float, with_words: bool
) -> list[Block]:
    owner = {id(w): t for t in tables for w in t.words()}
    emitted: set[int] = set()
    blocks: list[Block] = []
    for line in lines:
        outside = [w for w in line.words if id(w) not in owner]
        if outside:
            blocks.append(_block(ocr_gapped_text(outside), outside, scale, with_words))
        for word in line.words:
            table = owner.get(id(word))
            if table is not None and id(table) not in emitted:
                emitted.add(id(table))
                blocks.extend(_row_blocks(table, scale, with_words))
    return blocks


_RULING_MARKS = "|[]_"


def _without_ruling_marks(lines: list[OcrLine]) -> list[OcrLine]:
    """Table rulings left on the page read as ``|``, ``[``, ``]`` or ``_`` at word edges:
    strip them (a word made only of them goes)."""
    cleaned = []
    for line in lines:
        words = []
        for w in line.words:
            text = w.text.strip(_RULING_MARKS)
            if text:
                words.append(OcrWord(text, w.x0, w.y0, w.x1, w.y1, w.confidence, w.checked))
        if words:
            cleaned.append(OcrLine(words))
    return cleaned


def join_split_runs(lines: list[OcrLine]) -> list[OcrLine]:
    """Put back together a run of text the engine split into two blocks ("34." in one column,
    "92" in another): a line on the same row as an earlier one, starting right after it."""
    joined: list[OcrLine] = []
    for line in lines:
        if not line.words:
            continue
        x0, y0, _x1, y1 = line.bbox
        height = y1 - y0
        host = None
        for earlier in joined:
            _ex0, ey0, ex1, ey1 = earlier.bbox
            overlap = min(y1, ey1) - max(y0, ey0)
            if overlap > 0.6 * min(height, ey1 - ey0) and -2 <= x0 - ex1 <= 0.5 * height:
                host = earlier
                break
        if host is None:
            joined.append(OcrLine(list(line.words)))
        else:
            host.words.extend(line.words)
    return joined


def compose_ocr(
    page: RecognizedPage,
    rulings: Rulings | None,
    *,
    scale: float = 1.0,
    extract_tables: bool = True,
    with_words: bool = False,
) -> PageContent:
    """Blocks and tables of an OCR'd page; ``scale`` converts pixels to the page's unit."""
    if page.paragraphs is not None:
        blocks = [Block(text=t, confidence=round(c, 4)) for t, c in page.paragraphs if t.strip()]
        chars = sum(len(b.text) for b in blocks)
        confidence = sum(b.confidence * len(b.text) for b in blocks) / chars if chars else 0.0
        return PageContent(
            blocks=blocks,
            tables=list(page.tables or []) if extract_tables else [],
            text="\n".join(b.text for b in blocks),
            confidence=round(confidence, 4),
        )
    lines = page.lines if page.ordered else order_lines(page.lines)
    if rulings is not None and (rulings.horizontal or rulings.vertical):
        lines = _without_ruling_marks(lines)
    lines = join_split_runs(lines)
    words = [w for line in lines for w in line.words]
    tables = find_tables(words, rulings) if extract_tables else []
    blocks = _in_reading_order(lines, tables, scale, with_words)
    return PageContent(
        blocks=blocks,
        tables=[_table(t, scale) for t in tables],
        text="\n".join(b.text for b in blocks),
        confidence=round(mean_confidence(words), 4),
    )


def compose_text_layer(
    layer: TextLayerPage,
    ruled: list[Table],
    *,
    extract_tables: bool = True,
    with_words: bool = False,
) -> PageContent:
    """Blocks of a PDF text layer (exact text, confidence 1) with its ruled tables.

    Words outside the ruled tables are also searched for unruled tables by their geometry.
    """
    blocks = [
        Block(
            text=gapped_text(line.words) if line.words else line.text,
            bbox=line.bbox,
            confidence=1.0,
            words=[Word(text=t, bbox=b, confidence=1.0) for t, b in line.words]
            if with_words
            else None,
        )
        for line in layer.lines
    ]
    tables = list(ruled) if extract_tables else []
    if extract_tables:
        words = [
            OcrWord(text, *box)
            for line in layer.lines
            for text, box in line.words
            if not any(_inside(box, t.bbox) for t in ruled)
        ]
        tables += [_table(t, 1.0) for t in geometry_tables(words)]
    return PageContent(
        blocks=blocks,
        tables=tables,
        text="\n".join(b.text for b in blocks) if blocks else layer.text,
        confidence=1.0 if layer.chars else 0.0,
    )
