"""OCR output: pages → blocks (text, bbox, confidence) and tables, plus the whole text."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

BBox = tuple[float, float, float, float]  # x0, y0, x1, y1 in points (PDF) or pixels (image)


class Block(BaseModel):
    """A line of text with its box and confidence, in reading order."""

    text: str
    bbox: BBox
    confidence: float = Field(ge=0, le=1)


class Table(BaseModel):
    """A table as rows of cell texts (first row: the header when there is one)."""

    rows: list[list[str]]
    bbox: BBox | None = None
    method: Literal["ruled", "geometry"] = "ruled"


class Page(BaseModel):
    number: int = Field(ge=1)
    width: float
    height: float
    source: Literal["text_layer", "ocr"]
    text: str
    blocks: list[Block] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)


class OcrResult(BaseModel):
    pages: list[Page]
    text: str = Field(description="The whole document in reading order.")
    confidence: float = Field(ge=0, le=1, description="Character-weighted page confidence.")
    backend: str
    page_count: int = Field(description="Pages in the document (may exceed pages returned).")
    timings_ms: dict[str, float] = Field(default_factory=dict)
