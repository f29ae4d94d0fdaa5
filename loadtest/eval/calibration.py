"""Risk–coverage per category from an eval report: how accurate the small stack's answers are
for each share of cases it answers without the LLM, and the thresholds that meet a target.

    .venv/bin/python -m loadtest.eval.calibration loadtest/reports/eval-*.json \
        [--split heldout] [--choose-on dev] [--target 0.99] \
        [--png loadtest/reports/calibration-heldout.png]

Reads the ``results`` of one or more reports written by ``loadtest.eval.run`` or
``loadtest.eval.component_eval`` (per case: category, split, confidence, whether the small
stack's answer was right; the bare-LLM baseline rows are skipped). For every category it sorts
the answers by confidence: at threshold t the *coverage* is the share of cases whose
confidence is >= t (answered without the LLM) and the *selective accuracy* is the share of
those that are right. The chosen threshold is the lowest t whose selective accuracy meets the
target on the ``--choose-on`` split (dev by default: thresholds are tuned on dev, and the
plotted split, held-out by default, shows what that choice is worth on cases never tuned on);
the Wilson 95% lower bound shows how much a figure is worth with few cases. Prints a table and
writes a PNG.
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


def load_results(path: Path | list[Path], split: str | None) -> list[dict[str, Any]]:
    """The small stack's per-case results of one or more reports (of ``split`` if given)."""
    results = []
    for one in [path] if isinstance(path, Path) else path:
        report = json.loads(one.read_text())
        results += [r for r in report["results"] if r.get("model", "interfaze") == "interfaze"]
    if split and any("split" in r for r in results):
        results = [r for r in results if r.get("split") == split]
    return results


def _right(result: dict[str, Any]) -> bool:
    """Whether the small stack's answer was right, escalated or not (``run.py`` records it as
    ``small_correct``; its ``correct`` is the answer given, empty when escalated)."""
    return bool(result.get("small_correct", result["correct"]))


def curves(results: list[dict[str, Any]]) -> list[Curve]:
    """One risk–coverage curve per category (answers with confidence 0 never count)."""
    by_category: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        by_category[result["category"]].append(result)
    out = []
    for category, items in sorted(by_category.items()):
        n = len(items)
        scored = sorted(
            ((float(r.get("confidence") or 0.0), _right(r)) for r in items),
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


def table(
    found: list[Curve],
    target: float,
    current: dict[str, float],
    tuned: dict[str, Curve] | None = None,
) -> list[dict[str, Any]]:
    """Per category: the current threshold's operating point and the chosen one's; with
    ``tuned`` (curves of another split) the threshold is chosen there and read here."""
    rows = []
    for curve in found:
        chosen = curve.choose(target)
        if tuned is not None:
            on_dev = tuned[curve.category].choose(target) if curve.category in tuned else None
            chosen = curve.at(on_dev.threshold) if on_dev else None
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


def plot(
    found: list[Curve],
    current: dict[str, float],
    title: str,
    path: Path,
    chosen: dict[str, float] | None = None,
) -> None:
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
                       label=f"route t={current[curve.category]:.2f}")  # fmt: skip
        if chosen and curve.category in chosen:
            point = curve.at(chosen[curve.category])
            ax.scatter([point.coverage], [point.accuracy], color="tab:green", marker="x",
                       zorder=4, label=f"dev-chosen t={chosen[curve.category]:.2f}")  # fmt: skip
        if curve.category in current or (chosen and curve.category in chosen):
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


def current_thresholds(path: Path | list[Path]) -> dict[str, float]:
    """Per category, the escalation threshold the reports ran under."""
    found: dict[str, float] = {}
    for one in [path] if isinstance(path, Path) else path:
        report = json.loads(one.read_text())
        found.update({k: float(v) for k, v in (report.get("thresholds") or {}).items()})
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, nargs="+", help="one or more eval reports")
    parser.add_argument("--split", default="heldout", help="the split shown ('' for all)")
    parser.add_argument(
        "--choose-on",
        default="dev",
        help="the split thresholds are chosen on ('' : the shown split itself)",
    )
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--png", type=Path, default=None)
    args = parser.parse_args(argv)
    results = load_results(args.report, args.split or None)
    if not results:
        print(f"no results for split {args.split!r} in {args.report}")
        return 1
    found = curves(results)
    current = current_thresholds(args.report)
    tuned = None
    if args.choose_on and args.choose_on != args.split:
        tuned = {c.category: c for c in curves(load_results(args.report, args.choose_on))}
        print(f"thresholds chosen on {args.choose_on!r}, read on {args.split or 'all'!r}")
    rows = table(found, args.target, current, tuned)
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
    chosen = {r["category"]: r["chosen_t"] for r in rows if r["chosen_t"] is not None}
    where = f", thresholds chosen on {args.choose_on}" if tuned is not None else ""
    plot(found, current, f"risk–coverage ({split}{where})", png, chosen)
    print(f"\nwrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
