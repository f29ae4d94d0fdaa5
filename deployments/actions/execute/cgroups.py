"""Per-run cgroups for the pids and memory limits (cgroup v1 controllers or cgroup v2).

Each run gets its own cgroup (one directory per v1 controller, or one v2 directory) directly
under a parent (``cgroup_root``, by default this process's own cgroup), so nothing is left
behind between runs. The sandbox joins it before it starts (the launcher writes ``0`` to
``cgroup.procs``), so nothing escapes by forking early. :meth:`RunCgroup.close` kills whatever
is left and removes the directories, also after errors; runs of a crashed replica are swept.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

CONTROLLERS = ("pids", "memory")
_RUN_PREFIX = "ifz-run-"
_RUN_NAME = re.compile(rf"^{_RUN_PREFIX}(\d+)-")


class CgroupUnavailable(RuntimeError):
    """The controller cannot be used here; the message says why."""


@dataclass(frozen=True)
class ControllerBase:
    """Where per-run cgroups of one controller are created."""

    controller: str
    base: Path  # the parent directory of the run cgroups
    version: int  # 1 or 2


def _mounts(mountinfo: str) -> list[tuple[str, str, str, set[str]]]:
    """(fs type, mount root, mount point, super options) of every cgroup mount."""
    found = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 3 or rfields[0] not in ("cgroup", "cgroup2"):
            continue
        found.append((rfields[0], fields[3], fields[4], set(rfields[2].split(","))))
    return found


def _own_paths(proc_cgroup: str) -> dict[str, str]:
    """Controller (or ``""`` for v2) → this process's cgroup path."""
    paths: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _join(mount_point: str, mount_root: str, path: str) -> Path:
    if mount_root != "/" and path.startswith(mount_root):
        path = path[len(mount_root) :]
    return Path(mount_point) / path.lstrip("/")


def locate_bases(
    root: str | None = None,
    *,
    mountinfo: str | None = None,
    proc_cgroup: str | None = None,
) -> tuple[dict[str, tuple[Path, int]], dict[str, str]]:
    """Parent cgroup directory per controller, and reasons for those not found.

    Returns ``({controller: (directory, version)}, {controller: reason})``; v1 wins over v2.
    """
    mountinfo = mountinfo if mountinfo is not None else Path("/proc/self/mountinfo").read_text()
    proc_cgroup = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    mounts, own = _mounts(mountinfo), _own_paths(proc_cgroup)
    found: dict[str, tuple[Path, int]] = {}
    missing: dict[str, str] = {}
    unified = next((m for m in mounts if m[0] == "cgroup2"), None)
    for controller in CONTROLLERS:
        v1 = next((m for m in mounts if m[0] == "cgroup" and controller in m[3]), None)
        if v1 is not None:
            path = root if root is not None else own.get(controller, "/")
            found[controller] = (_join(v1[2], v1[1], path), 1)
        elif unified is not None:
            path = root if root is not None else own.get("", "/")
            found[controller] = (_join(unified[2], unified[1], path), 2)
        else:
            missing[controller] = f"no cgroup hierarchy with the {controller} controller mounted"
    return found, missing


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:  # one write() per value, as cgroupfs expects
        handle.write(value)


def _ensure_v2_controller(parent: Path, controller: str) -> None:
    """Enable ``controller`` for the children of ``parent`` (v2 delegation; fails with EBUSY
    when ``parent`` itself holds processes — configure a delegated ``cgroup_root`` then)."""
    available = (parent / "cgroup.controllers").read_text().split()
    if controller not in available:
        raise CgroupUnavailable(f"{controller} is not enabled in {parent}")
    if controller not in (parent / "cgroup.subtree_control").read_text().split():
        _write(parent / "cgroup.subtree_control", f"+{controller}")


def prepare_bases(root: str | None = None) -> tuple[list[ControllerBase], dict[str, str]]:
    """The usable parents per controller, and the reasons for the others."""
    located, missing = locate_bases(root)
    bases: list[ControllerBase] = []
    for controller, (parent, version) in located.items():
        try:
            if not parent.is_dir():
                raise CgroupUnavailable(f"{parent} does not exist")
            if version == 2:
                _ensure_v2_controller(parent, controller)
            bases.append(ControllerBase(controller, parent, version))
        except (OSError, CgroupUnavailable) as exc:
            missing[controller] = f"cannot use {parent}: {exc}"
    return bases, missing


def sweep_stale(bases: list[ControllerBase]) -> int:
    """Remove run cgroups left by dead processes (a crashed replica); returns how many."""
    removed = 0
    for base in {b.base for b in bases}:
        for child in base.glob(f"{_RUN_PREFIX}*"):
            match = _RUN_NAME.match(child.name)
            if not match or _pid_alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                _kill_members(child)
                child.rmdir()
                removed += 1
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _members(directory: Path) -> list[int]:
    try:
        return [int(p) for p in (directory / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _kill_members(directory: Path) -> None:
    kill_file = directory / "cgroup.kill"
    if kill_file.exists():
        with contextlib.suppress(OSError):
            _write(kill_file, "1")
            return
    for pid in _members(directory):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@dataclass
class RunCgroup:
    """The cgroup(s) of one run: limits in, statistics out, always cleaned up."""

    directories: dict[str, tuple[Path, int]] = field(default_factory=dict)

    @property
    def join_files(self) -> list[str]:
        """``cgroup.procs`` files the launcher writes ``0`` to (one per distinct directory)."""
        unique = dict.fromkeys(path for path, _ in self.directories.values())
        return [str(path / "cgroup.procs") for path in unique]

    def limit_pids(self, max_pids: int) -> None:
        path, _ = self.directories["pids"]
        _write(path / "pids.max", str(max_pids))

    def limit_memory(self, limit_bytes: int) -> None:
        path, version = self.directories["memory"]
        if version == 1:
            _write(path / "memory.limit_in_bytes", str(limit_bytes))
            if (path / "memory.memsw.limit_in_bytes").exists():
                _write(path / "memory.memsw.limit_in_bytes", str(limit_bytes))
        else:
            _write(path / "memory.max", str(limit_bytes))
            if (path / "memory.swap.max").exists():
                _write(path / "memory.swap.max", "0")

    def limits_hit(self) -> list[str]:
        """``memory`` after an OOM kill, ``pids`` after a refused fork."""
        hit: list[str] = []
        if "memory" in self.directories:
            path, version = self.directories["memory"]
            name = "memory.oom_control" if version == 1 else "memory.events"
            if _counter(path / name, "oom_kill") > 0:
                hit.append("memory")
        if "pids" in self.directories:
            path, _ = self.directories["pids"]
            if _counter(path / "pids.events", "max") > 0:
                hit.append("pids")
        return hit

    def kill_all(self) -> None:
        for path, _ in self.directories.values():
            _kill_members(path)

    def close(self, *, wait_s: float = 2.0) -> bool:
        """Kill the members, wait for them to go, remove the directories; False if one stays."""
        deadline = time.monotonic() + wait_s
        remaining = dict(self.directories)
        while remaining:
            for name, (path, _) in list(remaining.items()):
                _kill_members(path)
                try:
                    path.rmdir()
                except FileNotFoundError:
                    pass
                except OSError:
                    continue
                del remaining[name]
            if not remaining or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        self.directories = remaining
        return not remaining


def _counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


class CgroupManager:
    """Creates per-run cgroups under the prepared bases (one manager per replica)."""

    _counter = itertools.count()

    def __init__(self, bases: list[ControllerBase]) -> None:
        self.bases = {b.controller: b for b in bases}

    @property
    def controllers(self) -> list[str]:
        return list(self.bases)

    def create(self, controllers: list[str] | None = None) -> RunCgroup:
        """A fresh run cgroup with the given controllers (default: all available)."""
        wanted = [c for c in (controllers or self.controllers) if c in self.bases]
        name = f"{_RUN_PREFIX}{os.getpid()}-{next(self._counter)}-{secrets.token_hex(3)}"
        run = RunCgroup()
        try:
            for controller in wanted:
                base = self.bases[controller]
                path = base.base / name
                if not any(p == path for p, _ in run.directories.values()):
                    path.mkdir()
                run.directories[controller] = (path, base.version)
        except OSError:
            run.close(wait_s=0)
            raise
        return run
