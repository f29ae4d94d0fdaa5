"""PDF pages with a text layer: exact text, line boxes (pypdfium2) and ruled tables (pdfplumber)."""

from __future__ import annotations

import io

from deployments.perception.ocr.protocol import Block, Table


def page_text(document, index: int) -> str:
    """The page's text layer in content order, lines joined by newlines."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def line_blocks(document, index: int) -> tuple[list[Block], float, float]:
    """One block per text line, with its box in PDF points (origin top-left)."""
    page = document[index]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            blocks: list[Block] = []
            count = textpage.count_chars()
            text = textpage.get_text_range(0, count) if count else ""
            line_chars: list[str] = []
            box: list[float] | None = None
            for i in range(min(count, len(text))):
                char = text[i]
                if char in "\r\n":
                    if line_chars and box:
                        blocks.append(_block(line_chars, box, height))
                    line_chars, box = [], None
                    continue
                x0, y0, x1, y1 = textpage.get_charbox(i)
                line_chars.append(char)
                if char.strip():
                    box = [x0, y0, x1, y1] if box is None else [
                        min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)
                    ]  # fmt: skip
            if line_chars and box:
                blocks.append(_block(line_chars, box, height))
        finally:
            textpage.close()
    finally:
        page.close()
    return blocks, width, height


def _block(chars: list[str], box: list[float], page_height: float) -> Block:
    x0, y0, x1, y1 = box  # PDF coordinates: origin bottom-left
    bbox = (round(x0, 1), round(page_height - y1, 1), round(x1, 1), round(page_height - y0, 1))
    return Block(text="".join(chars).strip(), bbox=bbox, confidence=1.0)


def ruled_tables(data: bytes, page_numbers: list[int]) -> dict[int, list[Table]]:
    """Tables drawn with lines, per 1-based page number (pdfplumber's lines strategy)."""
    import pdfplumber

    found: dict[int, list[Table]] = {}
    settings = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number in page_numbers:
            page = pdf.pages[number - 1]
            tables = []
            for table in page.find_tables(table_settings=settings):
                rows = [[(cell or "").strip() for cell in row] for row in table.extract()]
                rows = [row for row in rows if any(row)]
                if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                    x0, top, x1, bottom = table.bbox
                    tables.append(Table(rows=rows, bbox=(x0, top, x1, bottom), method="ruled"))
            if tables:
                found[number] = tables
    return found
