"""The layering chosen for this host: which backend, interpreter and layers every run uses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from deployments.actions.execute.interpreter import Interpreter, PackageMount
from deployments.actions.execute.protocol import SandboxReport, Strength

# Layer names, strongest first, as reported in /healthz and in every result's ``sandbox``.
BUBBLEWRAP = "bubblewrap"
UNPRIVILEGED_UID = "unprivileged_uid"
CGROUP_PIDS = "cgroup_pids"
CGROUP_MEMORY = "cgroup_memory"
SECCOMP = "seccomp"
NO_EXEC = "no_exec"
NO_FORK = "no_fork"
LANDLOCK = "landlock"
FORK_LIMIT = "fork_limit"
ALWAYS_ON = ("rlimits", "wall_timeout", "output_cap")
# Layers whose absence turns a bubblewrap sandbox from "strong" into "reduced".
REQUIRED_FOR_STRONG = (UNPRIVILEGED_UID, CGROUP_PIDS, CGROUP_MEMORY, SECCOMP)


@dataclass(frozen=True)
class SandboxPlan:
    """Everything a run needs to know about the sandbox; fixed after the start-up probe."""

    backend: Literal["bubblewrap", "subprocess"]
    interpreter: Interpreter
    packages: tuple[PackageMount, ...] = ()
    bwrap: str | None = None
    bwrap_disable_userns: bool = False
    setpriv: str | None = None  # set: drop root to the sandbox uid before anything runs
    host_uid_nonroot: bool = False  # the snippet's uid on the host is not 0
    cgroup_controllers: tuple[str, ...] = ()
    seccomp: bool = False
    deny_exec: bool = False
    deny_fork: bool = False  # seccomp refuses new processes (threads still work)
    landlock: bool = False  # subprocess backend: file access limited to what the run needs
    missing: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes) -> SandboxPlan:
        """A copy with ``changes``; ``deny_fork`` follows: on exactly when nothing else stops a
        fork bomb (root ignores RLIMIT_NPROC, so that needs a pids cgroup or a non-root uid)."""
        plan = replace(self, **changes)
        return replace(plan, deny_fork=plan.seccomp and not plan.fork_limited)

    @property
    def fork_limited(self) -> bool:
        """Process count bounded without seccomp: a pids cgroup, or RLIMIT_NPROC (non-root)."""
        return "pids" in self.cgroup_controllers or self.host_uid_nonroot

    def layers(self) -> list[str]:
        """The active layers, strongest first."""
        names = [BUBBLEWRAP] if self.backend == "bubblewrap" else []
        if self.landlock:
            names.append(LANDLOCK)
        if self.host_uid_nonroot:
            names.append(UNPRIVILEGED_UID)
        names += [f"cgroup_{c}" for c in ("pids", "memory") if c in self.cgroup_controllers]
        if self.seccomp:
            names.append(SECCOMP)
        if self.deny_exec:
            names.append(NO_EXEC)
        if self.deny_fork:
            names.append(NO_FORK)
        return names + list(ALWAYS_ON)

    @property
    def label(self) -> str:
        """The layering as one string, e.g. ``bubblewrap+unprivileged_uid+...``."""
        return "+".join(self.layers())

    @property
    def strength(self) -> Strength:
        if self.backend != "bubblewrap":
            return "weak"
        active = set(self.layers())
        return "strong" if all(layer in active for layer in REQUIRED_FOR_STRONG) else "reduced"

    def report(self) -> SandboxReport:
        missing = dict(self.missing)
        if not (self.fork_limited or self.deny_fork):
            missing[FORK_LIMIT] = "no pids cgroup, root uid, no seccomp: only the timeout stops"
        return SandboxReport(
            backend=self.backend,
            layers=self.layers(),
            missing=missing,
            strength=self.strength,
            python=self.interpreter.describe(),
            packages=sorted({p.name for p in self.packages if not p.name.endswith(".libs")}),
        )
