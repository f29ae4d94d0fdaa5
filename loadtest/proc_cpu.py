"""CPU time of this process's descendants, grouped by role (router replica, proxy, HAProxy...).

Ray started by this process (``ray.init``) runs its GCS, raylet, workers and the HAProxy
ingress as descendants, so their CPU seconds can be read from ``/proc`` around a measured
window without touching other Ray instances on the machine.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# role -> predicate on the command line (first match wins, in this order); other Serve
# replicas are "replica:<deployment>"
ROLES: list[tuple[str, Callable[[str], bool]]] = [
    ("router", lambda cmd: "ServeReplica:" in cmd and ":router" in cmd),
    ("proxy", lambda cmd: "ProxyActor" in cmd),
    ("haproxy", lambda cmd: "haproxy" in cmd and "ray::" not in cmd),
    ("controller", lambda cmd: "ServeController" in cmd),
    ("trace-store", lambda cmd: "TraceStore" in cmd),
    ("locust", lambda cmd: "locust" in cmd and "ray::" not in cmd),
    ("raylet+gcs", lambda cmd: "raylet" in cmd or "gcs_server" in cmd),
]


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    cmdline: str
    cpu_s: float


def parse_stat(text: str) -> tuple[int, float]:
    """``(ppid, CPU seconds)`` from a ``/proc/<pid>/stat`` line.

    CPU counts the process (utime + stime) and its reaped children (cutime + cstime), so
    short-lived helpers such as the ``tesseract`` binary an OCR replica spawns are included.
    """
    # the command name is in parentheses and may contain spaces: split after the last ')'
    rest = text[text.rindex(")") + 2 :].split()
    ppid = int(rest[1])
    ticks = sum(int(rest[i]) for i in (11, 12, 13, 14))
    return ppid, ticks / CLOCK_TICKS


_REPLICA = re.compile(r"ServeReplica:[^:\s]+:([A-Za-z0-9_-]+)")


def role_of(cmdline: str) -> str:
    replica = _REPLICA.search(cmdline)
    if replica and replica.group(1) != "router":
        return f"replica:{replica.group(1)}"
    for role, matches in ROLES:
        if matches(cmdline):
            return role
    return "other"


def _read(pid: int) -> ProcInfo | None:
    base = Path("/proc") / str(pid)
    try:
        ppid, cpu = parse_stat((base / "stat").read_text())
        cmd = (base / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return None
    return ProcInfo(pid, ppid, cmd.strip(), cpu)


def descendants(root: int | None = None) -> list[ProcInfo]:
    """Every live process under ``root`` (default: this process), not ``root`` itself."""
    root = os.getpid() if root is None else root
    procs = [p for p in (_read(int(d)) for d in os.listdir("/proc") if d.isdigit()) if p]
    children: dict[int, list[ProcInfo]] = defaultdict(list)
    for proc in procs:
        children[proc.ppid].append(proc)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child.pid)
    return found


def cpu_by_role(procs: list[ProcInfo]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for proc in procs:
        totals[role_of(proc.cmdline)] += proc.cpu_s
    return dict(totals)


def pids_of(role: str, procs: list[ProcInfo]) -> list[int]:
    return [p.pid for p in procs if role_of(p.cmdline) == role]


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of ``pid`` so far, summed by thread name (``comm``).

    Ray's C++ threads carry their own names (``worker.io``, ``grpc_global_tim``...); Python
    threads keep the process's name, and the main thread is called ``main``.
    """
    totals: dict[str, float] = defaultdict(float)
    task_dir = Path("/proc") / str(pid) / "task"
    try:
        tids = os.listdir(task_dir)
    except OSError:
        return {}
    for tid in tids:
        try:
            stat = (task_dir / tid / "stat").read_text()
            name = (task_dir / tid / "comm").read_text().strip()
        except OSError:
            continue  # the thread ended
        rest = stat[stat.rindex(")") + 2 :].split()
        name = "main" if tid == str(pid) else name
        totals[name] += (int(rest[11]) + int(rest[12])) / CLOCK_TICKS
    return dict(totals)


def thread_cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds per thread name between two :func:`thread_cpu` snapshots, most first."""
    delta = {name: cpu - before.get(name, 0.0) for name, cpu in after.items()}
    return dict(sorted(((n, d) for n, d in delta.items() if d > 0), key=lambda x: -x[1]))


def cpu_delta(before: list[ProcInfo], after: list[ProcInfo]) -> dict[str, float]:
    """CPU seconds spent per role between two snapshots (processes matched by pid)."""
    start = {p.pid: p.cpu_s for p in before}
    totals: dict[str, float] = defaultdict(float)
    for proc in after:
        totals[role_of(proc.cmdline)] += proc.cpu_s - start.get(proc.pid, 0.0)
    return dict(totals)
