"""The LLM replica's CPU priority while it starts (Linux; a no-op where not permitted).

On a small CPU machine every deployment starts at once: the router imports its models and
warms up while the LLM replica imports torch and vLLM and spawns the engine, and the LLM is
the last to be ready. ``ifz serve``'s worker hook calls :func:`raise_startup_priority` in the
LLM replica's process before its imports (the replica's runtime env carries
:data:`STARTUP_NICE_ENV`); the engine processes it spawns inherit it. Once the engine has
started, :func:`restore_priority` puts the replica and every process and thread under it back
to the normal priority, so serving is not affected. Raising priority needs CAP_SYS_NICE (root
on the local machine); without it nothing changes.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

STARTUP_NICE_ENV = "IFZ_LLM_STARTUP_NICE"
DEFAULT_STARTUP_NICE = -5


def startup_nice(environ: dict[str, str] | os._Environ = os.environ) -> int:
    """The nice value asked for at start-up (0: leave it); bad values count as 0."""
    try:
        return min(0, max(-20, int(environ.get(STARTUP_NICE_ENV, "0"))))
    except ValueError:
        return 0


def raise_startup_priority() -> int:
    """Lower this process's nice value to :func:`startup_nice`; returns the value now in force."""
    wanted = startup_nice()
    if wanted >= 0 or not hasattr(os, "setpriority"):
        return os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0
    try:
        os.setpriority(os.PRIO_PROCESS, 0, wanted)
    except OSError as exc:  # no CAP_SYS_NICE: start at the normal priority
        logger.info("llm start-up priority not raised: %s", exc)
    return os.getpriority(os.PRIO_PROCESS, 0)


def descendants(pid: int, proc: str = "/proc") -> list[int]:
    """``pid`` and every process under it (from ``/proc/<pid>/task/*/children``)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"{proc}/{current}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"{proc}/{current}/task/{tid}/children") as handle:
                    queue.extend(int(c) for c in handle.read().split())
            except (OSError, ValueError):
                continue
    return found


def threads(pid: int, proc: str = "/proc") -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"{proc}/{pid}/task")]
    except OSError:
        return []


def restore_priority(pid: int | None = None) -> int:
    """Normal priority (nice 0) for every thread of ``pid`` (this process) and of the
    processes under it that run above it; returns how many threads were changed."""
    if not hasattr(os, "setpriority") or startup_nice() >= 0:
        return 0
    changed = 0
    for process in descendants(pid or os.getpid()):
        for tid in threads(process):
            try:
                if os.getpriority(os.PRIO_PROCESS, tid) < 0:
                    os.setpriority(os.PRIO_PROCESS, tid, 0)
                    changed += 1
            except OSError:
                continue
    return changed
