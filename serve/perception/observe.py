"""Turn perception results (OCR, chart, ASR dicts) into observations with provenance."""

from __future__ import annotations

from typing import Any

from serve.context.observations import Observation, render_table


def _page_text(page: dict[str, Any]) -> str:
    text = page.get("text")
    if text:
        return str(text)
    return "\n".join(str(b.get("text", "")) for b in page.get("blocks") or [] if b.get("text"))


def from_ocr(source_id: str, result: dict[str, Any]) -> list[Observation]:
    """One text observation per page and one table observation per table."""
    observations: list[Observation] = []
    for page in result.get("pages") or []:
        number = page.get("number", len(observations) + 1)
        confidence = float(page.get("confidence", result.get("confidence", 0.0)) or 0.0)
        text = _page_text(page).strip()
        if text:
            observations.append(
                Observation(
                    source_id,
                    f"p.{number}",
                    "page",
                    text,
                    confidence,
                    "ocr",
                    {"page": number, "source": page.get("source"), "blocks": page.get("blocks")},
                )
            )
        for index, table in enumerate(page.get("tables") or [], start=1):
            rows = table.get("rows") or []
            if rows:
                observations.append(
                    Observation(
                        source_id,
                        f"table {index} p.{number}",
                        "table",
                        render_table(rows),
                        confidence,
                        "ocr",
                        {"page": number, "rows": rows},
                    )
                )
    return observations


def from_chart(source_id: str, result: dict[str, Any]) -> list[Observation]:
    """One chart observation: title, axis and the value table."""
    lines = []
    if result.get("title"):
        lines.append(f"Title: {result['title']}")
    axis = result.get("y_axis") or {}
    if axis:
        unit = f" {axis.get('unit')}" if axis.get("unit") else ""
        lines.append(
            f"Y axis: {axis.get('label') or ''} {axis.get('min')}..{axis.get('max')}{unit}"
        )
    table = result.get("table") or []
    if table:
        lines.append(render_table(table))
    confidence = float(result.get("confidence") or 0.0)
    text = "\n".join(line.strip() for line in lines if line.strip())
    return [Observation(source_id, "", "chart", text, confidence, "chart", dict(result))]


def from_ocr_image(source_id: str, result: dict[str, Any]) -> list[Observation]:
    """An OCR'd single image reads like a one-page document."""
    observations = from_ocr(source_id, result)
    for observation in observations:
        if observation.locator == "p.1":
            observation.locator = ""
        else:
            observation.locator = observation.locator.replace(" p.1", "")
    return observations


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def from_transcription(source_id: str, result: dict[str, Any]) -> list[Observation]:
    """One transcript observation; segments keep their timestamps in ``data``."""
    segments = result.get("segments") or []
    if segments:
        text = "\n".join(
            f"[{_clock(s.get('start', 0))}-{_clock(s.get('end', 0))}] "
            f"{str(s.get('text', '')).strip()}"
            for s in segments
        )
    else:
        text = str(result.get("text", ""))
    # Whisper's confidence is a mean token probability (~0.7 on clean speech whose WER is
    # under 5%), not the chance the transcript is right: map it onto that scale.
    confidence = 0.5 + 0.5 * float(result.get("confidence") or 0.0)
    data = {
        "text": result.get("text", ""),
        "segments": segments,
        "language": result.get("language"),
        "duration_s": result.get("duration_s"),
    }
    return [Observation(source_id, "", "transcript", text, confidence, "asr", data)]
