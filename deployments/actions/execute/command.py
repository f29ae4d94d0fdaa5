"""Command lines of one run: the cgroup-joining launcher, setpriv, bubblewrap and Python."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.plan import SandboxPlan

MIB = 1024 * 1024
SNIPPET_PATH = "/opt/ifz/snippet.py"  # inside the bubblewrap sandbox
PID_OVERHEAD = 2  # bubblewrap's monitor and its pid-1 reaper share the run's pids cgroup
ADDRESS_SPACE_SLACK = 128 * MIB  # virtual memory beyond RSS: libraries, arenas, thread stacks
JOIN_FAILED = 125
JOIN_TAG = "ifz-sandbox: cannot join cgroup"
# Joins the cgroups named first ("0" moves the shell itself), then becomes the real command.
_JOIN_SCRIPT = (
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo 0 > "$1" || '
    f'{{ echo "{JOIN_TAG} $1" >&2; exit {JOIN_FAILED}; }}; shift; n=$((n-1)); done; exec "$@"'
)
_BOOT_SOURCE = (Path(__file__).with_name("sandbox_main.py")).read_text()


def sandbox_env(home: str) -> dict[str, str]:
    """The snippet's whole environment (nothing from the host leaks in)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def rlimits(settings: ExecuteSettings, plan: SandboxPlan, timeout_s: float) -> dict[str, list]:
    """Per-process limits the bootstrap sets before the snippet runs (soft, hard)."""
    # Address space, not RSS: numpy alone maps ~100 MiB; the cgroup (when present) is exact.
    memory = settings.memory_mb * MIB + ADDRESS_SPACE_SLACK
    cpu = math.ceil(timeout_s) + 1
    limits: dict[str, list] = {
        "RLIMIT_AS": [memory, memory],
        "RLIMIT_CPU": [cpu, cpu + 1],
        "RLIMIT_FSIZE": [settings.tmp_size_mb * MIB] * 2,
        "RLIMIT_NOFILE": [settings.max_open_files] * 2,
        "RLIMIT_CORE": [0, 0],
    }
    # RLIMIT_NPROC counts per user namespace inside bubblewrap (so per run). Without one it
    # counts every process of the uid on the host, so it is only the fallback for no pids cgroup.
    per_run_count = plan.backend == "bubblewrap"
    if per_run_count or (plan.host_uid_nonroot and "pids" not in plan.cgroup_controllers):
        limits["RLIMIT_NPROC"] = [settings.max_pids + PID_OVERHEAD + 2] * 2
    return limits


_SYSTEM_READ_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")


def landlock_rules(plan: SandboxPlan, *, workdir: str, site_dir: str) -> dict[str, list[str]]:
    """Subprocess backend: read the system, the interpreter and the allowed packages; write
    only the run's own directory (and the harmless devices)."""
    read = [*_SYSTEM_READ_PATHS, *plan.interpreter.host_paths()]
    read += [mount.source for mount in plan.packages] + ([site_dir] if site_dir else [])
    return {"read": read, "write": [workdir, *_DEVICES]}


def boot_settings(
    settings: ExecuteSettings,
    plan: SandboxPlan,
    *,
    timeout_s: float,
    snippet: str,
    site_dir: str,
    in_process_filter: bytes | None,
    workdir: str | None = None,
) -> str:
    """The JSON the bootstrap reads from ``argv[1]``."""
    landlock = None
    if plan.landlock and workdir:
        landlock = landlock_rules(plan, workdir=workdir, site_dir=site_dir)
    return json.dumps(
        {
            "prefix": plan.interpreter.prefix,  # a binary that cannot see its stdlib falls back
            "rlimits": rlimits(settings, plan, timeout_s),
            "landlock": landlock,
            "filter": in_process_filter.hex() if in_process_filter else None,
            "paths": [site_dir] if plan.packages else [],
            "snippet": snippet,
        }
    )


def python_argv(plan: SandboxPlan, boot_json: str) -> list[str]:
    """Isolated mode, no site: only the stdlib and the allowed packages are importable."""
    return [plan.interpreter.executable, "-I", "-S", "-B", "-c", _BOOT_SOURCE, boot_json]


def launcher_prefix(plan: SandboxPlan, settings: ExecuteSettings, join_files: list[str]) -> list:
    """``sh`` joining the run's cgroups, then ``setpriv`` dropping root (each when in use)."""
    prefix: list[str] = []
    if join_files:
        prefix += ["/bin/sh", "-c", _JOIN_SCRIPT, "ifz-join", str(len(join_files)), *join_files]
    if plan.setpriv:
        prefix += [
            plan.setpriv,
            f"--reuid={settings.sandbox_uid}",
            f"--regid={settings.sandbox_gid}",
            "--clear-groups",
            "--no-new-privs",
            "--",
        ]
    return prefix


@dataclass(frozen=True)
class BwrapFds:
    """File descriptors bubblewrap reads at start (memfds in the parent)."""

    snippet: int
    seccomp: int | None = None


def _root_links() -> list[str]:
    """Mirror the host's merged-/usr links (/bin → usr/bin ...) or bind the real directories."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def bwrap_argv(
    plan: SandboxPlan, settings: ExecuteSettings, fds: BwrapFds, boot_json: str
) -> list[str]:
    """The bubblewrap command: fresh namespaces, read-only /usr and interpreter, private /tmp."""
    assert plan.bwrap is not None
    args = [plan.bwrap, "--unshare-all", "--unshare-user"]
    if plan.bwrap_disable_userns:
        args.append("--disable-userns")
    args += [
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--uid",
        str(settings.sandbox_uid),
        "--gid",
        str(settings.sandbox_gid),
        "--hostname",
        "sandbox",
        "--clearenv",
    ]
    for key, value in sandbox_env("/tmp").items():
        args += ["--setenv", key, value]
    args += ["--ro-bind", "/usr", "/usr", *_root_links()]
    for path in plan.interpreter.host_paths():
        args += ["--ro-bind", path, path]
    for mount in plan.packages:
        args += ["--ro-bind", mount.source, mount.target]
    args += ["--perms", "0444", "--ro-bind-data", str(fds.snippet), SNIPPET_PATH]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(settings.tmp_size_mb * MIB), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    args += ["--remount-ro", "/"]
    if fds.seccomp is not None:
        args += ["--seccomp", str(fds.seccomp)]
    return [*args, "--", *python_argv(plan, boot_json)]
