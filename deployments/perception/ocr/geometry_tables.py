"""Tables rebuilt from word geometry where a scan has no usable ruling lines."""

from __future__ import annotations

from deployments.perception.ocr.protocol import Table
from deployments.perception.ocr.tesseract import Line

MIN_ROWS = 3
GAP_FACTOR = 1.2


def split_cells(line: Line) -> list[tuple[float, str]]:
    """(left x, text) of each cell: words separated by gaps wider than the text height."""
    cells: list[tuple[float, list[str]]] = []
    height = line.height or 10
    previous = None
    for word in line.words:
        if previous is None or word.left - previous.right > GAP_FACTOR * height:
            cells.append((word.left, [word.text]))
        else:
            cells[-1][1].append(word.text)
        previous = word
    return [(x, " ".join(words)) for x, words in cells]


def _aligned(row: list[tuple[float, str]], columns: list[float], tolerance: float) -> bool:
    """Every cell starts near a column start or ends a numeric column (right-aligned)."""
    return len(row) == len(columns) or all(
        any(abs(x - c) <= tolerance for c in columns) for x, _ in row
    )


def find_tables(lines: list[Line]) -> list[Table]:
    """Runs of ≥3 consecutive lines with the same number (≥2) of gap-separated cells."""
    tables: list[Table] = []
    run: list[tuple[Line, list[tuple[float, str]]]] = []

    def flush() -> None:
        if len(run) >= MIN_ROWS:
            rows = [[text for _, text in cells] for _, cells in run]
            boxes = [line.bbox for line, _ in run]
            bbox = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            tables.append(Table(rows=rows, bbox=bbox, method="geometry"))
        run.clear()

    for line in lines:
        cells = split_cells(line)
        if len(cells) < 2:
            flush()
            continue
        if run:
            _, first_cells = run[0]
            columns = [x for x, _ in first_cells]
            same_width = len(cells) == len(first_cells)
            if not same_width or not _aligned(cells, columns, 3 * (line.height or 10)):
                flush()
        run.append((line, cells))
    flush()
    return tables
