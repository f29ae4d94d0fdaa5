"""``py-spy record --format raw`` (collapsed stacks) → where a process spends its CPU.

Each line is ``frame;frame;...;leaf count`` with frames like ``handle (serve/router/x.py:42)``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Profile:
    samples: int
    self_counts: Counter
    inclusive_counts: Counter

    def top_self(self, n: int = 15, contains: str = "") -> list[tuple[str, float]]:
        """The ``n`` frames with the most own samples, as (frame, % of all samples)."""
        rows = [(f, c) for f, c in self.self_counts.most_common() if contains in f]
        return [(f, round(100 * c / max(1, self.samples), 1)) for f, c in rows[:n]]

    def top_inclusive(self, n: int = 15, contains: str = "") -> list[tuple[str, float]]:
        """The ``n`` frames present in the most samples (own + callees)."""
        rows = [(f, c) for f, c in self.inclusive_counts.most_common() if contains in f]
        return [(f, round(100 * c / max(1, self.samples), 1)) for f, c in rows[:n]]


def parse_collapsed(text: str) -> Profile:
    self_counts: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        self_counts[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    return Profile(total, self_counts, inclusive)


def py_spy_path() -> str:
    """py-spy next to this interpreter (the venv, not necessarily on PATH), else from PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else (shutil.which("py-spy") or "py-spy")


def record(pid: int, seconds: float, out: Path, rate: int = 100) -> Profile | None:
    """Sample ``pid`` for ``seconds`` (non-blocking: the target is not paused)."""
    cmd = [
        py_spy_path(), "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
        "--rate", str(rate), "--format", "raw", "--nonblocking", "--output", str(out),
    ]  # fmt: skip
    try:
        subprocess.run(cmd, capture_output=True, timeout=seconds + 30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_collapsed(out.read_text()) if out.exists() else None


@contextmanager
def recording(
    pid: int, out: Path, rate: int = 100, *, gil_only: bool = False
) -> Iterator[list[Profile]]:
    """Sample ``pid`` while the block runs; the yielded list holds the profile afterwards
    (empty when py-spy failed). Stopped with SIGINT, on which py-spy writes its output.

    ``gil_only`` keeps only samples of the thread holding the GIL: Python's own CPU, without
    threads that wait in C (Ray's core worker loop, gRPC pollers) and look busy to py-spy.
    """
    cmd = [
        py_spy_path(), "record", "--pid", str(pid), "--duration", "3600", "--rate", str(rate),
        "--format", "raw", "--nonblocking", "--output", str(out), *(["--gil"] if gil_only else []),
    ]  # fmt: skip
    found: list[Profile] = []
    try:
        process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        yield found
        return
    try:
        yield found
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        if out.exists():
            found.append(parse_collapsed(out.read_text()))
