"""Risk–coverage per category from an eval report: how accurate the small stack's answers are
for each share of cases it answers without the LLM, and the thresholds that meet a target.

    .venv/bin/python -m loadtest.eval.calibration loadtest/reports/eval-XXXX.json \
        [--split heldout] [--target 0.99] [--png loadtest/reports/calibration.png]

Reads the ``results`` of a report written by ``loadtest.eval.run`` or
``loadtest.eval.component_eval`` (per case: category, split, confidence, correct; the bare-LLM
baseline rows are skipped). For every category it sorts the answers by confidence: at
threshold t the *coverage* is the share of cases whose confidence is >= t (answered without the
LLM) and the *selective accuracy* is the share of those that are right. The chosen threshold is
the lowest t whose selective accuracy meets the target on the chosen split (held-out by
default: trust only the held-out figure); the Wilson 95% lower bound shows how much that is
worth with few cases. Prints a table and writes a PNG.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORTS = Path(__file__).resolve().parents[1] / "reports"


@dataclass(frozen=True)
class Point:
    threshold: float
    coverage: float
    accuracy: float
    answered: int
    wrong: int


@dataclass(frozen=True)
class Curve:
    category: str
    n: int
    points: list[Point]  # one per distinct confidence, highest threshold first

    def at(self, threshold: float) -> Point:
        """The operating point of ``threshold`` (nothing answered above every confidence)."""
        kept = [p for p in self.points if p.threshold >= threshold]
        if not kept:
            return Point(threshold, 0.0, 1.0, 0, 0)
        last = kept[-1]
        return Point(threshold, last.coverage, last.accuracy, last.answered, last.wrong)

    def choose(self, target: float) -> Point | None:
        """The lowest threshold whose selective accuracy is >= target (None: none is)."""
        good = [p for p in self.points if p.accuracy >= target and p.answered]
        return good[-1] if good else None


def wilson_lower(successes: int, n: int, z: float = 1.96) -> float:
    """Wilson score lower bound of a proportion (95% by default)."""
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def load_results(path: Path, split: str | None) -> list[dict[str, Any]]:
    report = json.loads(path.read_text())
    results = [r for r in report["results"] if r.get("model", "interfaze") == "interfaze"]
    if split and any("split" in r for r in results):
        results = [r for r in results if r.get("split") == split]
    return results


def curves(results: list[dict[str, Any]]) -> list[Curve]:
    """One risk–coverage curve per category (answers with confidence 0 never count)."""
    by_category: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        by_category[result["category"]].append(result)
    out = []
    for category, items in sorted(by_category.items()):
        n = len(items)
        scored = sorted(
            ((float(r.get("confidence") or 0.0), bool(r["correct"])) for r in items),
            key=lambda item: -item[0],
        )
        points, right = [], 0
        for index, (confidence, correct) in enumerate(scored):
            if confidence <= 0:
                break
            answered = index + 1
            right += correct
            last_of_tie = index + 1 == len(scored) or scored[index + 1][0] != confidence
            if last_of_tie:
                points.append(
                    Point(confidence, answered / n, right / answered, answered, answered - right)
                )
        out.append(Curve(category, n, points))
    return out


def table(found: list[Curve], target: float, current: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for curve in found:
        chosen = curve.choose(target)
        now = curve.at(current[curve.category]) if curve.category in current else None
        rows.append(
            {
                "category": curve.category,
                "n": curve.n,
                "current_t": current.get(curve.category),
                "current_coverage": round(now.coverage, 3) if now else None,
                "current_accuracy": round(now.accuracy, 3) if now else None,
                "current_wrong": now.wrong if now else None,
                "chosen_t": round(chosen.threshold, 3) if chosen else None,
                "chosen_coverage": round(chosen.coverage, 3) if chosen else 0.0,
                "chosen_accuracy": round(chosen.accuracy, 3) if chosen else None,
                "chosen_wilson95": (
                    round(wilson_lower(chosen.answered - chosen.wrong, chosen.answered), 3)
                    if chosen
                    else None
                ),
            }
        )
    return rows


def plot(found: list[Curve], current: dict[str, float], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(3, max(1, len(found)))
    rows = math.ceil(len(found) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.8 * rows), squeeze=False)
    for ax, curve in zip(axes.flat, found, strict=False):
        xs = [0.0] + [p.coverage for p in curve.points]
        ys = [1.0] + [p.accuracy for p in curve.points]
        ax.step(xs, ys, where="post", color="tab:blue")
        ax.scatter([p.coverage for p in curve.points], [p.accuracy for p in curve.points], s=12)
        if curve.category in current:
            point = curve.at(current[curve.category])
            ax.scatter([point.coverage], [point.accuracy], color="tab:red", zorder=3,
                       label=f"t={current[curve.category]:.2f}")  # fmt: skip
            ax.legend(loc="lower left", fontsize=8)
        ax.axhline(0.99, color="grey", lw=0.8, ls="--")
        ax.axvline(0.90, color="grey", lw=0.8, ls=":")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(min(0.5, min(ys) - 0.05), 1.02)
        ax.set_title(f"{curve.category} (n={curve.n})")
        ax.set_xlabel("answered without the LLM (coverage)")
        ax.set_ylabel("accuracy of those answers")
    for ax in list(axes.flat)[len(found) :]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def current_thresholds(path: Path) -> dict[str, float]:
    report = json.loads(path.read_text())
    return {k: float(v) for k, v in (report.get("thresholds") or {}).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--split", default="heldout", help="'' for every case")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--png", type=Path, default=None)
    args = parser.parse_args(argv)
    results = load_results(args.report, args.split or None)
    if not results:
        print(f"no results for split {args.split!r} in {args.report}")
        return 1
    found = curves(results)
    current = current_thresholds(args.report)
    rows = table(found, args.target, current)
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))
    for curve in found:
        print(f"\n{curve.category}: threshold -> coverage, selective accuracy (wrong)")
        for point in curve.points:
            print(f"  t>={point.threshold:.3f}  {point.coverage:.3f}  {point.accuracy:.3f} "
                  f"({point.wrong})")  # fmt: skip
    REPORTS.mkdir(exist_ok=True)
    png = args.png or REPORTS / f"calibration-{time.strftime('%Y%m%d-%H%M%S')}.png"
    split = args.split or "all splits"
    plot(found, current, f"risk–coverage ({split}, {args.report.name})", png)
    print(f"\nwrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
