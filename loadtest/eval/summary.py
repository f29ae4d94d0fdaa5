"""One markdown table from several eval reports: per category and split, n, accuracy, the
share answered without the LLM and the accuracy of those answers.

    .venv/bin/python -m loadtest.eval.summary loadtest/reports/eval12-*.json

Reads the per-case ``results`` of reports written by ``loadtest.eval.run`` (in-process or
HTTP, the ``interfaze`` rows) and ``loadtest.eval.component_eval``. Without an LLM (in-process
and component runs) an escalated case counts as *not right* in ``accuracy``: the figure is a
lower bound of what the whole stack scores, whatever the LLM would have said. A later report
replaces an earlier one's cases of the same category and split (re-runs after a fix).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    category: str
    split: str
    n: int
    accuracy: float
    no_llm_share: float
    no_llm_accuracy: float | None
    no_llm_wrong: int


def _given_right(result: dict[str, Any]) -> bool:
    """Right *and* given without the LLM (component reports mark the small answer's own
    correctness in ``correct``, escalated or not)."""
    return bool(result["correct"]) and not result["escalated"]


def load(paths: list[Path]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Per (category, split), the cases of the last report that holds them."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in paths:
        report = json.loads(path.read_text())
        fresh: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for result in report["results"]:
            if result.get("model", "interfaze") != "interfaze":
                continue
            key = (result["category"], result.get("split") or report.get("split", ""))
            fresh.setdefault(key, []).append(result)
        groups.update(fresh)
    return groups


def rows(groups: dict[tuple[str, str], list[dict[str, Any]]]) -> list[Row]:
    out = []
    for (category, split), items in sorted(groups.items()):
        given = [r for r in items if not r["escalated"]]
        right = sum(_given_right(r) for r in items)
        out.append(
            Row(
                category,
                split,
                len(items),
                right / len(items),
                len(given) / len(items),
                right / len(given) if given else None,
                len(given) - right,
            )
        )
    return out


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def markdown(found: list[Row]) -> str:
    lines = [
        "| category | split | n | accuracy | answered without LLM | right of those answered |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in found:
        wrong = f" ({row.no_llm_wrong} wrong)" if row.no_llm_wrong else ""
        lines.append(
            f"| {row.category} | {row.split} | {row.n} | {_pct(row.accuracy)} | "
            f"{_pct(row.no_llm_share)} | {_pct(row.no_llm_accuracy)}{wrong} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, nargs="+")
    args = parser.parse_args(argv)
    print(markdown(rows(load(args.report))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
