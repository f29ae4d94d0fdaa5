"""Observations: what perception and action stages found, each fact with its source.

They are the distilled context's raw material (Interfaze's compact state): the answerers read
their structured ``data``; the LLM reads their rendered text, quoted as data and tagged with the
source id so answers can cite it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ObservationKind = Literal["text", "table", "chart", "transcript", "page", "execution", "passage"]


@dataclass
class Observation:
    """One unit of evidence with its provenance."""

    source_id: str  # e.g. "doc1", "img1", "audio1", "url1"
    locator: str  # where inside the source: "p.2", "table 1 p.3", "00:12-00:19", ""
    kind: ObservationKind
    text: str
    confidence: float
    stage: str  # the stage that produced it (ocr, chart, asr, browse, ...)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def citation(self) -> str:
        return f"{self.source_id} {self.locator}".strip()

    def render(self) -> str:
        """The block the LLM sees: a citation header, then the content."""
        header = f"{self.citation} | {self.kind} via {self.stage}, confidence {self.confidence:.2f}"
        return f"[{header}]\n{self.text}"


def render_table(rows: list[list[Any]], *, max_rows: int = 60) -> str:
    """A compact pipe table; long tables are cut with a note."""
    lines = []
    for row in rows[:max_rows]:
        lines.append(" | ".join("" if cell is None else str(cell).strip() for cell in row))
    if len(rows) > max_rows:
        lines.append(f"... ({len(rows) - max_rows} more rows)")
    return "\n".join(lines)
