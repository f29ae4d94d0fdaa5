"""Execute sandbox benchmark: run overhead and throughput per layering.

    .venv/bin/python -m loadtest.actions.execute_bench
    .venv/bin/python -m loadtest.actions.execute_bench --runs 50 --parallel-runs 60 --json out.json

For each layering (the full probe result, then with one layer left out at a time, bubblewrap
alone, the subprocess backend, and a bare ``python -I -S`` without any sandbox for reference)
it prints the wall time of ``print(1+1)`` (p50/p95 ms over ``--runs`` sequential runs, sandbox
start-up and clean-up included) and runs/s with 2 runs in parallel. Wall times on a shared
machine move with its load: compare layerings within one invocation. ``--numpy`` adds the p50 of
``import numpy``. Needs no Ray; runs the same ``SandboxRunner`` the deployment uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.layers import SandboxUnavailable, probe
from deployments.actions.execute.runner import SandboxRunner

SNIPPET = "print(1+1)"
LAYERINGS: list[tuple[str, dict]] = [
    ("probed (strongest here)", {}),
    ("without unprivileged_uid", {"disable_layers": ["unprivileged_uid"]}),
    ("without cgroups", {"disable_layers": ["cgroup_pids", "cgroup_memory"]}),
    ("without seccomp", {"disable_layers": ["seccomp"]}),
    (
        "bubblewrap alone",
        {"disable_layers": ["unprivileged_uid", "cgroup_pids", "cgroup_memory", "seccomp"]},
    ),
    ("subprocess backend", {"backend": "subprocess"}),
]


@dataclass
class Row:
    layering: str
    sandbox: str
    strength: str
    p50_ms: float
    p95_ms: float
    parallel_runs_per_s: float
    numpy_p50_ms: float | None = None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _measure(run_once: Callable[[], None], runs: int, parallel_runs: int) -> tuple:
    """Wall p50/p95 (ms) of sequential runs and runs/s with two at a time."""
    run_once()  # warm caches (page cache, interpreter files)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run_once()
        times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: run_once(), range(parallel_runs)))
    rate = parallel_runs / (time.perf_counter() - started)
    return statistics.median(times), _percentile(times, 0.95), rate


def bench_layering(name: str, overrides: dict, args: argparse.Namespace) -> Row | None:
    settings = ExecuteSettings(timeout_s=10, **overrides)
    try:
        found = probe(settings)
    except SandboxUnavailable as exc:
        print(f"  {name}: unavailable ({exc})", file=sys.stderr)
        return None
    runner = SandboxRunner(found.plan, settings, found.cgroups)

    def run_once(code: str = SNIPPET) -> None:
        result = runner.run(code)
        if result.exit_code != 0:
            raise RuntimeError(f"{name}: run failed: {result.stderr[-300:]}")

    p50, p95, rate = _measure(run_once, args.runs, args.parallel_runs)
    numpy_p50 = None
    if args.numpy and "numpy" in found.plan.report().packages:
        samples = []
        for _ in range(max(5, args.runs // 4)):
            started = time.perf_counter()
            run_once("import numpy")
            samples.append((time.perf_counter() - started) * 1000)
        numpy_p50 = round(statistics.median(samples), 1)
    return Row(
        name,
        found.plan.label,
        found.plan.strength,
        round(p50, 1),
        round(p95, 1),
        round(rate, 1),
        numpy_p50,
    )


def bench_bare_python(args: argparse.Namespace) -> Row:
    """No sandbox at all: the interpreter's own start-up, for reference."""
    command = [sys.executable, "-I", "-S", "-c", SNIPPET]

    def run_once() -> None:
        subprocess.run(command, capture_output=True, check=True)

    p50, p95, rate = _measure(run_once, args.runs, args.parallel_runs)
    return Row(
        "no sandbox (reference)",
        "-",
        "-",
        round(p50, 1),
        round(p95, 1),
        round(rate, 1),
    )


def _print_table(rows: list[Row]) -> None:
    header = f"{'layering':<28} {'strength':<9} {'p50 ms':>8} {'p95 ms':>8} {'2-par runs/s':>13}"
    has_numpy = any(r.numpy_p50_ms is not None for r in rows)
    if has_numpy:
        header += f" {'numpy p50':>10}"
    print(header)
    print("-" * len(header))
    for r in rows:
        line = (
            f"{r.layering:<28} {r.strength:<9} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} "
            f"{r.parallel_runs_per_s:>13.1f}"
        )
        if has_numpy:
            line += f" {r.numpy_p50_ms if r.numpy_p50_ms is not None else '-':>10}"
        print(line)
    print()
    for r in rows:
        if r.sandbox != "-":
            print(f"{r.layering}: {r.sandbox}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="sequential runs per layering")
    parser.add_argument("--parallel-runs", type=int, default=40, help="runs for the 2-way test")
    parser.add_argument("--numpy", action="store_true", help="also time `import numpy`")
    parser.add_argument("--only", help="run only layerings whose name contains this text")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name, overrides in LAYERINGS:
        if args.only and args.only not in name:
            continue
        print(f"benchmarking: {name} ...", file=sys.stderr)
        row = bench_layering(name, overrides, args)
        if row is not None:
            rows.append(row)
    if not args.only:
        rows.append(bench_bare_python(args))
    _print_table(rows)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([asdict(r) for r in rows], handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
