"""Tables: ruled ones in PDFs (pdfplumber) and scans (ruling grid), unruled ones by geometry.

Internally a found table keeps its words per cell (pixels) so the page layout can replace the
lines it covers with one block per row; :meth:`FoundTable.rows` gives the cell texts.
"""

from __future__ import annotations

import io
import itertools
import statistics
from dataclasses import dataclass

from deployments.perception.ocr.geometry import OcrWord, group_rows, read_words
from deployments.perception.ocr.preprocess import Rulings, Segment
from deployments.perception.ocr.protocol import BBox, Table

MIN_GEOMETRY_ROWS = 3
CELL_GAP = 1.2  # a gap wider than this many text heights separates two cells
ROW_GAP = 2.5  # rows further apart than this many text heights end a table
MAX_WORDS_PER_CELL = 4  # median; longer "cells" are columns of prose, not a table


@dataclass
class FoundTable:
    """A table found on a page image: words per cell, row by row."""

    cells: list[list[list[OcrWord]]]
    bbox: BBox
    method: str

    def rows(self) -> list[list[str]]:
        return [[read_words(cell).replace("\n", " ") for cell in row] for row in self.cells]

    def words(self) -> list[OcrWord]:
        return [w for row in self.cells for cell in row for w in cell]

    def contains(self, word: OcrWord) -> bool:
        x0, y0, x1, y1 = self.bbox
        return x0 <= word.cx <= x1 and y0 <= word.cy <= y1


def _drop_empty(cells: list[list[list[OcrWord]]]) -> list[list[list[OcrWord]]]:
    rows = [row for row in cells if any(row)]
    if not rows:
        return []
    keep = [c for c in range(len(rows[0])) if any(row[c] for row in rows)]
    return [[row[c] for c in keep] for row in rows]


def _cluster(values: list[int], tolerance: int) -> list[float]:
    """Sorted values with near-duplicates (a line drawn twice, a thick line) merged."""
    merged: list[list[int]] = []
    for value in sorted(values):
        if merged and value - merged[-1][-1] <= tolerance:
            merged[-1].append(value)
        else:
            merged.append([value])
    return [statistics.fmean(group) for group in merged]


def _crosses(h: Segment, v: Segment, tolerance: int) -> bool:
    return (
        h.start - tolerance <= v.offset <= h.end + tolerance
        and v.start - tolerance <= h.offset <= v.end + tolerance
    )


def _grids(rulings: Rulings, tolerance: int) -> list[tuple[list[Segment], list[Segment]]]:
    """Groups of crossing horizontal and vertical rulings (one group per table)."""
    lines = [("h", s) for s in rulings.horizontal] + [("v", s) for s in rulings.vertical]
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (kind_i, seg_i) in enumerate(lines):
        for j in range(i + 1, len(lines)):
            kind_j, seg_j = lines[j]
            if kind_i != kind_j:
                h, v = (seg_i, seg_j) if kind_i == "h" else (seg_j, seg_i)
                if _crosses(h, v, tolerance):
                    parent[root(i)] = root(j)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, (kind, seg) in enumerate(lines):
        group = groups.setdefault(root(i), ([], []))
        group[0 if kind == "h" else 1].append(seg)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def ruled_tables(rulings: Rulings, words: list[OcrWord], tolerance: int = 5) -> list[FoundTable]:
    """Tables from a grid of ruling lines; each word goes to the cell holding its centre."""
    tables = []
    for horizontal, vertical in _grids(rulings, tolerance):
        ys = _cluster([s.offset for s in horizontal], tolerance)
        xs = _cluster([s.offset for s in vertical], tolerance)
        if len(ys) < 2 or len(xs) < 2:
            continue
        cells: list[list[list[OcrWord]]] = [[[] for _ in xs[1:]] for _ in ys[1:]]
        for word in words:
            row = next((r for r in range(len(ys) - 1) if ys[r] <= word.cy < ys[r + 1]), None)
            col = next((c for c in range(len(xs) - 1) if xs[c] <= word.cx < xs[c + 1]), None)
            if row is not None and col is not None:
                cells[row][col].append(word)
        cells = _drop_empty(cells)
        if len(cells) >= 1 and len(cells[0]) >= 2:
            tables.append(FoundTable(cells, (xs[0], ys[0], xs[-1], ys[-1]), "ruled"))
    return tables


def _segments(row: list[OcrWord]) -> list[list[OcrWord]]:
    """A row split into cells at gaps wider than ``CELL_GAP`` text heights."""
    height = statistics.median(w.height for w in row)
    cells = [[row[0]]]
    for previous, word in itertools.pairwise(row):
        if word.x0 - previous.x1 > CELL_GAP * height:
            cells.append([word])
        else:
            cells[-1].append(word)
    return cells


def _columns(run: list[list[list[OcrWord]]], slack: float) -> list[tuple[float, float]]:
    """Column spans: the union of the cells' x-extents over all rows of a run."""
    spans = sorted((min(w.x0 for w in c), max(w.x1 for w in c)) for row in run for c in row)
    merged: list[list[float]] = []
    for x0, x1 in spans:
        if merged and x0 <= merged[-1][1] + slack:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return [(a, b) for a, b in merged]


def _merge_complementary_columns(cells: list[list[list[OcrWord]]]) -> list[list[list[OcrWord]]]:
    """Join neighbouring columns that no row uses both of (a left-aligned header above
    right-aligned numbers reads as two narrow columns otherwise)."""
    column = 0
    while column + 1 < len(cells[0]):
        if not any(row[column] and row[column + 1] for row in cells):
            cells = [
                [*row[:column], row[column] + row[column + 1], *row[column + 2 :]] for row in cells
            ]
        else:
            column += 1
    return cells


def _as_table(run: list[list[list[OcrWord]]]) -> FoundTable | None:
    height = statistics.median(w.height for row in run for cell in row for w in cell)
    columns = _columns(run, 0.5 * height)
    if len(columns) < 2:
        return None
    if statistics.median(len(cell) for row in run for cell in row) > MAX_WORDS_PER_CELL:
        return None
    cells: list[list[list[OcrWord]]] = []
    for row in run:
        out: list[list[OcrWord]] = [[] for _ in columns]
        for cell in row:
            centre = (min(w.x0 for w in cell) + max(w.x1 for w in cell)) / 2
            index = next(
                (i for i, (a, b) in enumerate(columns) if a - height <= centre <= b + height), 0
            )
            out[index].extend(cell)
        cells.append(out)
    cells = _merge_complementary_columns(cells)
    if any(sum(1 for c in row if c) < 2 for row in cells):
        return None
    words = [w for row in run for cell in row for w in cell]
    box = (min(w.x0 for w in words), min(w.y0 for w in words))
    end = (max(w.x1 for w in words), max(w.y1 for w in words))
    return FoundTable(cells, (*box, *end), "geometry")


def geometry_tables(words: list[OcrWord]) -> list[FoundTable]:
    """Unruled tables: runs of ≥3 close rows that split into ≥2 aligned columns of short cells."""
    tables: list[FoundTable] = []
    run: list[list[list[OcrWord]]] = []
    last_bottom = None

    def flush() -> None:
        if len(run) >= MIN_GEOMETRY_ROWS:
            table = _as_table(run)
            if table is not None:
                tables.append(table)
        run.clear()

    for row in group_rows(words):
        height = statistics.median(w.height for w in row)
        top = min(w.y0 for w in row)
        cells = _segments(row)
        if len(cells) < 2 or (last_bottom is not None and top - last_bottom > ROW_GAP * height):
            flush()
        if len(cells) >= 2:
            run.append(cells)
        last_bottom = max(w.y1 for w in row)
    flush()
    return tables


def pdf_ruled_tables(data: bytes, indices: list[int]) -> dict[int, list[Table]]:
    """Tables drawn with lines on PDF pages (pdfplumber's lines strategy), by 0-based index.

    Boxes are in points from the page's top-left corner.
    """
    import pdfplumber

    found: dict[int, list[Table]] = {}
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for index in indices:
            tables = []
            for table in pdf.pages[index].find_tables(table_settings=settings):
                rows = [[(cell or "").strip() for cell in row] for row in table.extract()]
                rows = [row for row in rows if any(row)]
                if rows and max(len(r) for r in rows) >= 2:
                    bbox = tuple(round(float(v), 1) for v in table.bbox)
                    tables.append(Table(rows=rows, bbox=bbox, method="ruled"))
            if tables:
                found[index] = tables
    return found
