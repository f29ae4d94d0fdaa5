"""Chart parser accuracy benchmark on generated charts with known values.

    .venv/bin/python -m loadtest.perception.chart_bench              # 48 charts, seed 0
    .venv/bin/python -m loadtest.perception.chart_bench -n 80 --seed 3 --verbose

For each chart kind (bar, grouped bar, line, horizontal bar), labelled (value labels printed)
and unlabelled, prints the mean relative error of the values, the share within 5 %, how often
the x labels, title and series names were read exactly, the mean confidence, and wall-clock
and CPU seconds per chart (CPU includes the Tesseract subprocesses; wall time grows with
whatever else loads the machine). A value the parser did not return counts as outside 5 %
(relative error 1.0). Series are matched by name, else by the assignment with the least error.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

from loadtest.perception.gen_charts import ChartSpec, generate_suite, render_chart

WITHIN = 0.05


@dataclass
class ChartScore:
    spec: ChartSpec
    errors: list[float]
    seconds: float
    cpu_seconds: float
    confidence: float
    kind_ok: bool
    labels_ok: bool
    title_ok: bool
    names_ok: bool
    notes: list[str] = field(default_factory=list)

    @property
    def within(self) -> float:
        return sum(e <= WITHIN for e in self.errors) / max(len(self.errors), 1)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def score_chart(spec: ChartSpec, result: dict, seconds: float, cpu_seconds: float) -> ChartScore:
    """Relative error of every true value against what the parser returned."""
    truth = spec.series
    predicted = [(s["name"], s["values"]) for s in result.get("series", [])]
    count = len(spec.categories)

    def errors_for(true_values, values):
        errors = []
        for index, true in enumerate(true_values):
            got = values[index] if index < len(values) and len(values) == count else None
            if got is None:
                errors.append(1.0)
            else:
                errors.append(min(abs(got - true) / max(abs(true), 1e-9), 1.0))
        return errors

    by_name = {_norm(name): values for name, values in predicted}
    names_ok = len(predicted) == len(truth) and all(_norm(n) in by_name for n, _ in truth)
    if names_ok:
        errors = [e for name, values in truth for e in errors_for(values, by_name[_norm(name)])]
    else:
        best = None
        slots = [values for _, values in predicted] + [[]] * len(truth)
        for permutation in itertools.permutations(range(len(slots)), len(truth)):
            trial = [
                e
                for (_, values), slot in zip(truth, permutation, strict=True)
                for e in errors_for(values, slots[slot])
            ]
            if best is None or sum(trial) < sum(best):
                best = trial
        errors = best or []
    x_labels = [_norm(x) for x in result.get("x_labels", [])]
    return ChartScore(
        spec=spec,
        errors=errors,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        confidence=float(result.get("confidence", 0.0)),
        kind_ok=result.get("kind") == spec.kind
        or (spec.kind == "grouped_bar" and result.get("kind") == "bar" and len(truth) == 1),
        labels_ok=x_labels == [_norm(c) for c in spec.categories],
        title_ok=_norm(result.get("title", "")) == _norm(spec.title),
        names_ok=names_ok or len(truth) == 1,
        notes=list(result.get("notes", [])),
    )


def run(n: int, seed: int, verbose: bool) -> list[ChartScore]:
    from deployments.perception.chart.pipeline import parse_chart_bytes

    scores = []
    for index, spec in enumerate(generate_suite(n, seed)):
        png = render_chart(spec)
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        result = parse_chart_bytes(png, "image/png").model_dump(mode="json")
        seconds = time.perf_counter() - start
        score = score_chart(spec, result, seconds, _cpu_seconds() - cpu_start)
        scores.append(score)
        if verbose:
            flag = "ok " if score.within == 1 else "BAD"
            print(
                f"{flag} #{index:03d} {spec.kind:11s} {'lab' if spec.labelled else 'raw'} "
                f"{spec.style:22s} dpi={spec.dpi:3d} within={score.within:.2f} "
                f"conf={score.confidence:.2f} kind={result['kind']} "
                f"labels={'y' if score.labels_ok else 'n'} {seconds:.2f}s"
            )
            if score.within < 1:
                print("     truth:", [v for _, v in spec.series])
                print("     got:  ", [s["values"] for s in result["series"]], result["notes"])
            if not score.labels_ok:
                print("     x labels:", spec.categories, "->", result["x_labels"])
            if not score.title_ok:
                print("     title:", repr(spec.title), "->", repr(result["title"]))
    return scores


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Tesseract runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _row(name: str, group: list[ChartScore]) -> str:
    errors = [e for s in group for e in s.errors]
    within = sum(e <= WITHIN for e in errors) / max(len(errors), 1)
    return (
        f"{name:24s} {len(group):6d} {len(errors):6d} {statistics.fmean(errors):9.4f} "
        f"{within:8.1%} {statistics.fmean(s.kind_ok for s in group):6.0%} "
        f"{statistics.fmean(s.labels_ok for s in group):7.0%} "
        f"{statistics.fmean(s.title_ok for s in group):6.0%} "
        f"{statistics.fmean(s.names_ok for s in group):6.0%} "
        f"{statistics.fmean(s.confidence for s in group):6.2f} "
        f"{statistics.fmean(s.seconds for s in group):7.2f} "
        f"{statistics.fmean(s.cpu_seconds for s in group):7.2f}"
    )


def report(scores: list[ChartScore]) -> str:
    header = (
        f"{'group':24s} {'charts':>6s} {'values':>6s} {'mean_rel':>9s} {'<=5%':>8s} "
        f"{'kind':>6s} {'xlabels':>7s} {'title':>6s} {'names':>6s} {'conf':>6s} {'s/chart':>7s} "
        f"{'cpu_s':>7s}"
    )
    lines = [header, "-" * len(header)]
    groups: dict[str, list[ChartScore]] = defaultdict(list)
    for score in scores:
        labelled = "labelled" if score.spec.labelled else "unlabelled"
        groups[f"{score.spec.kind} {labelled}"].append(score)
        groups[f"ALL {labelled}"].append(score)
    for name in sorted(k for k in groups if not k.startswith("ALL")):
        lines.append(_row(name, groups[name]))
    lines.append("-" * len(header))
    for name in ("ALL labelled", "ALL unlabelled"):
        if groups.get(name):
            lines.append(_row(name, groups[name]))
    lines.append(_row("ALL", scores))
    high = [s for s in scores if s.confidence >= 0.8]
    low = [s for s in scores if s.confidence < 0.8]
    lines.append("")
    lines.append("confidence check (share of values within 5 %):")
    for name, group in (("confidence >= 0.8", high), ("confidence <  0.8", low)):
        errors = [e for s in group for e in s.errors]
        share = sum(e <= WITHIN for e in errors) / max(len(errors), 1)
        lines.append(f"  {name}: {len(group):3d} charts, {share:.1%} within 5 %")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=48, help="number of charts (default 48)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per chart")
    args = parser.parse_args()
    scores = run(args.n, args.seed, args.verbose)
    print(report(scores))


if __name__ == "__main__":
    main()
