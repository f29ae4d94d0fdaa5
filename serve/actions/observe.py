"""Turn action results (pages, executions, retrieved passages) into observations."""

from __future__ import annotations

from typing import Any

from serve.context.observations import Observation, render_table


def from_page(source_id: str, result: dict[str, Any]) -> list[Observation]:
    """The page's main text as one observation, plus one per table."""
    url = result.get("final_url") or result.get("url") or ""
    title = result.get("title") or ""
    text = str(result.get("text") or "").strip()
    observations = []
    if text or title:
        body = f"{title}\n{text}".strip() if title and title not in text[:200] else text
        observations.append(
            Observation(
                source_id, url, "passage", body, 0.9, "browse", {"url": url, "title": title}
            )
        )
    for index, table in enumerate(result.get("tables") or [], start=1):
        rows = table.get("rows") if isinstance(table, dict) else table
        if rows:
            observations.append(
                Observation(
                    source_id,
                    f"{url} table {index}",
                    "table",
                    render_table(rows),
                    0.9,
                    "browse",
                    {"rows": rows, "url": url},
                )
            )
    return observations


def from_execution(source_id: str, code: str, result: dict[str, Any]) -> list[Observation]:
    """What the sandbox printed, with its exit status and the limits it hit."""
    ok = result.get("exit_code") == 0 and not result.get("limits_hit")
    stdout = str(result.get("stdout") or "")
    stderr = str(result.get("stderr") or "")
    lines = [f"exit code {result.get('exit_code')}"]
    if result.get("limits_hit"):
        lines.append(f"limits hit: {', '.join(result['limits_hit'])}")
    lines.append(f"stdout:\n{stdout}" if stdout else "stdout: (empty)")
    if stderr:
        lines.append(f"stderr:\n{stderr[-2000:]}")
    data = {"code": code, **result}
    return [
        Observation(
            source_id, "", "execution", "\n".join(lines), 1.0 if ok else 0.3, "execute", data
        )
    ]


def from_hits(result: dict[str, Any], *, min_score: float = 0.0) -> list[Observation]:
    """Retrieved chunks, each citing its source document, page and character offsets."""
    observations = []
    for index, hit in enumerate(result.get("hits") or [], start=1):
        score = float(hit.get("score") or 0.0)
        if score < min_score:
            continue
        locator = f"p.{hit['page']}" if hit.get("page") else ""
        if hit.get("start") is not None and hit.get("end") is not None:
            locator = f"{locator} chars {hit['start']}-{hit['end']}".strip()
        observations.append(
            Observation(
                str(hit.get("source") or f"kb{index}"),
                locator,
                "passage",
                str(hit.get("text") or ""),
                # Cosine similarity is not a probability: 0.5+ is already a close match.
                max(0.0, min(1.0, 0.4 + 0.6 * score)),
                "retrieve",
                dict(hit),
            )
        )
    return observations
