"""OCR output: pages → blocks (text, bbox, confidence) and tables, plus the whole text.

Boxes are ``(x0, y0, x1, y1)`` with the origin at the top-left of the page, in the page's
``unit``: PDF points (1/72 inch) for every PDF page, OCR'd or not, and pixels for images.
Confidences lie in 0..1: 1 for a PDF text layer, the engine's word confidences otherwise,
averaged per character.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

BBox = tuple[float, float, float, float]


class Word(BaseModel):
    """One word (only when the request asks for ``words``)."""

    text: str
    bbox: BBox
    confidence: float = Field(ge=0, le=1)


class Block(BaseModel):
    """A line of text in reading order (a table row reads as its cells joined by spaces)."""

    text: str
    bbox: BBox | None = Field(None, description="None when the engine gives no positions.")
    confidence: float = Field(ge=0, le=1)
    words: list[Word] | None = None
    word_confidences: list[float] | None = Field(
        None,
        description=(
            "OCR'd blocks: the engine's confidence of each whitespace-separated token of "
            "``text``, in order (what an answer made of some tokens was read as)."
        ),
    )
    word_checks: list[bool | None] | None = Field(
        None,
        description=(
            "OCR'd blocks: per token of ``text``, whether a second, independent reading of it "
            "agreed (True), disagreed (False) or was not made (None)."
        ),
    )


class Table(BaseModel):
    """A table as rows of cell texts (first row: the header when there is one)."""

    rows: list[list[str]]
    bbox: BBox | None = None
    method: Literal["ruled", "geometry", "model"] = Field(
        "ruled",
        description="ruled: from drawn lines; geometry: from word alignment; model: engine output.",
    )


class Page(BaseModel):
    """One page (PDF page or image frame), numbered from 1 as in the document."""

    number: int = Field(ge=1)
    width: float
    height: float
    unit: Literal["pt", "px"] = "pt"
    source: Literal["text_layer", "ocr"]
    text: str = Field(description="The page in reading order: the blocks' text, one per line.")
    blocks: list[Block] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    skew_deg: float = Field(0.0, description="Rotation undone before OCR (degrees).")
    elapsed_ms: float = Field(0.0, description="Time spent on this page.")


class OcrResult(BaseModel):
    """The whole answer of ``OcrDeployment.process``."""

    pages: list[Page]
    text: str = Field(
        description="The whole document in reading order, pages split by a blank line."
    )
    confidence: float = Field(ge=0, le=1, description="Character-weighted page confidence.")
    backend: str = Field(description="text_layer when no page needed OCR, else the engine name.")
    mime: str = Field(description="The media type the bytes really are.")
    page_count: int = Field(description="Pages in the document (may exceed pages returned).")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
