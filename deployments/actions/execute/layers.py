"""Start-up probe: which layers work on this host, and the strongest layering that runs.

Each optional layer is checked on its own first (cgroup directories can be created, a seccomp
table exists for this CPU, bubblewrap and setpriv exist), then candidate plans are tried, from
strongest to weakest, with a real trial run that must print a marker. The first that passes
is used for every run; each layer left out is reported with the reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass

from deployments.actions.execute import seccomp_filter
from deployments.actions.execute.cgroups import CgroupManager, prepare_bases, sweep_stale
from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.interpreter import (
    Interpreter,
    InterpreterUnavailable,
    PackageMount,
    candidate_interpreters,
    package_mounts,
)
from deployments.actions.execute.plan import (
    BUBBLEWRAP,
    CGROUP_MEMORY,
    CGROUP_PIDS,
    LANDLOCK,
    NO_EXEC,
    SECCOMP,
    UNPRIVILEGED_UID,
    SandboxPlan,
)
from deployments.actions.execute.runner import SandboxFailure, SandboxRunner

logger = logging.getLogger(__name__)

PROBE_MARKER = "ifz-probe-ok"
# The filter refuses AF_INET sockets with EPERM (without it they open, even with no network).
_SECCOMP_CHECK = (
    "import socket\n"
    "try:\n"
    "    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()\n"
    "except PermissionError:\n"
    "    pass\n"
    "else:\n"
    "    raise SystemExit(3)\n"
)


class SandboxUnavailable(RuntimeError):
    """No layering at all can run snippets here (or only a fallback the config forbids)."""


@dataclass
class ProbeResult:
    """The chosen plan and the cgroup manager its runs use."""

    plan: SandboxPlan
    cgroups: CgroupManager | None


def _probe_cgroups(settings: ExecuteSettings, missing: dict[str, str]) -> CgroupManager | None:
    wanted = [c for c in ("pids", "memory") if f"cgroup_{c}" not in settings.disable_layers]
    for controller in {"pids", "memory"} - set(wanted):
        missing[f"cgroup_{controller}"] = "disabled in config (disable_layers)"
    if not wanted:
        return None
    try:
        bases, reasons = prepare_bases(settings.cgroup_root)
    except OSError as exc:
        bases, reasons = [], {c: str(exc) for c in wanted}
    bases = [b for b in bases if b.controller in wanted]
    working = []
    for base in bases:
        manager = CgroupManager([base])
        try:
            run = manager.create()
            try:
                if base.controller == "pids":
                    run.limit_pids(settings.max_pids)
                else:
                    run.limit_memory(settings.memory_mb * 1024 * 1024)
            finally:
                run.close(wait_s=0.5)
            working.append(base)
        except OSError as exc:
            reasons[base.controller] = f"cannot create a limited cgroup under {base.base}: {exc}"
    for controller, reason in reasons.items():
        if controller in wanted:
            missing[f"cgroup_{controller}"] = reason
    if not working:
        return None
    sweep_stale(working)
    return CgroupManager(working)


def _probe_seccomp(settings: ExecuteSettings, missing: dict[str, str]) -> bool:
    if "seccomp" in settings.disable_layers:
        missing[SECCOMP] = "disabled in config (disable_layers)"
        return False
    try:
        seccomp_filter.build_filter()
    except seccomp_filter.UnsupportedArchitecture as exc:
        missing[SECCOMP] = str(exc)
        return False
    return True


def _which(name: str) -> str | None:
    return (
        shutil.which(name) if os.sep not in name else (name if os.access(name, os.X_OK) else None)
    )


def _bwrap_supports(bwrap: str, option: str) -> bool:
    try:
        help_text = subprocess.run(
            [bwrap, "--help"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return option in help_text


def _trial(
    plan: SandboxPlan, settings: ExecuteSettings, cgroups: CgroupManager | None
) -> str | None:
    """Run the probe snippets under ``plan``; None when they pass, else the reason."""
    runner = SandboxRunner(plan, settings, cgroups)
    try:
        checks = [f"print({PROBE_MARKER!r})"]
        if plan.seccomp:
            checks.append(_SECCOMP_CHECK)
        if plan.packages:
            names = sorted({p.name for p in plan.packages if not p.name.endswith(".libs")})
            checks.append("".join(f"import {name}\n" for name in names))
        for code in checks:
            result = runner.run(code, timeout_s=min(settings.timeout_s, 20.0))
            if result.exit_code != 0:
                detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["-"]
                return f"trial run exited {result.exit_code}: {detail[0][:300]}"
        return None
    except (SandboxFailure, OSError) as exc:
        return str(exc)[:300]


def _candidates(
    settings: ExecuteSettings,
    interpreters: list[Interpreter],
    packages: tuple[PackageMount, ...],
    cgroups: CgroupManager | None,
    seccomp: bool,
    missing: dict[str, str],
) -> list[SandboxPlan]:
    """Plans to try, strongest first: bubblewrap (unprivileged, then root-mapped) unless the
    subprocess backend is configured, then the subprocess fallback if allowed."""
    controllers = tuple(cgroups.controllers) if cgroups else ()
    deny_exec = seccomp and not settings.allow_exec
    is_root = os.geteuid() == 0
    setpriv = _which(settings.setpriv_path) if is_root else None
    if UNPRIVILEGED_UID in settings.disable_layers:
        missing[UNPRIVILEGED_UID] = "disabled in config (disable_layers)"
        setpriv = None
    elif is_root and setpriv is None:
        missing[UNPRIVILEGED_UID] = f"{settings.setpriv_path} not found; cannot drop root"
    uid_modes = [(setpriv, True), (None, False)] if setpriv else [(None, not is_root)]
    base = {
        "packages": packages,
        "cgroup_controllers": controllers,
        "seccomp": seccomp,
        "deny_exec": deny_exec,
    }
    plans: list[SandboxPlan] = []
    if settings.backend == "bubblewrap":
        bwrap = _which(settings.bwrap_path)
        if bwrap is None:
            missing[BUBBLEWRAP] = f"{settings.bwrap_path} not found"
        else:
            disable_userns = _bwrap_supports(bwrap, "--disable-userns")
            for drop, nonroot in uid_modes:
                for interpreter in interpreters:
                    plans.append(
                        SandboxPlan(
                            backend="bubblewrap",
                            interpreter=interpreter,
                            bwrap=bwrap,
                            bwrap_disable_userns=disable_userns,
                            setpriv=drop,
                            host_uid_nonroot=nonroot,
                            **base,
                        )
                    )
    else:
        missing[BUBBLEWRAP] = "backend 'subprocess' configured"
    if settings.backend == "subprocess" or settings.allow_fallback:
        landlock = LANDLOCK not in settings.disable_layers
        if not landlock:
            missing[LANDLOCK] = "disabled in config (disable_layers)"
        for drop, nonroot in uid_modes:
            for interpreter in interpreters:
                plans.append(
                    SandboxPlan(
                        backend="subprocess",
                        interpreter=interpreter,
                        setpriv=drop,
                        host_uid_nonroot=nonroot,
                        landlock=landlock,
                        **base,
                    )
                )
    # Last resorts: the same plans without Landlock, seccomp, then cgroups.
    relaxed = [p.with_changes(landlock=False) for p in plans if p.landlock]
    relaxed += [p.with_changes(seccomp=False, deny_exec=False) for p in plans if p.seccomp]
    relaxed += [p.with_changes(cgroup_controllers=()) for p in plans if p.cgroup_controllers]
    return [p.with_changes() for p in plans + relaxed]  # settles deny_fork


def _choose(
    candidates: list[SandboxPlan],
    settings: ExecuteSettings,
    cgroups: CgroupManager | None,
) -> tuple[SandboxPlan | None, list[tuple[SandboxPlan, str]]]:
    failures: list[tuple[SandboxPlan, str]] = []
    for plan in candidates:
        reason = _trial(plan, settings, cgroups)
        if reason is None:
            return plan, failures
        logger.info("execute sandbox candidate %s failed: %s", plan.label, reason)
        failures.append((plan, reason))
    return None, failures


def _explain(chosen: SandboxPlan, failures: list[tuple[SandboxPlan, str]], missing: dict) -> None:
    """Name, for each layer the chosen plan lacks, why the stronger candidate failed."""
    have = set(chosen.layers())
    for plan, reason in failures:
        for layer in plan.layers():
            if layer not in have:
                missing.setdefault(layer, f"trial with it failed: {reason}")


def probe(settings: ExecuteSettings) -> ProbeResult:
    """Find the strongest layering that runs here (called once per replica at start)."""
    missing: dict[str, str] = {}
    try:
        interpreters = candidate_interpreters(settings.python_executable)
    except InterpreterUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from exc
    cgroups = _probe_cgroups(settings, missing)
    seccomp = _probe_seccomp(settings, missing)
    names = (["numpy"] if settings.allow_numpy else []) + list(settings.extra_packages)
    mounts, package_missing = package_mounts(names)
    candidates = _candidates(settings, interpreters, tuple(mounts), cgroups, seccomp, missing)
    chosen, failures = _choose(candidates, settings, cgroups)
    if chosen is None and mounts:  # packages may be what fails: try again without them
        without = [p.with_changes(packages=()) for p in candidates]
        chosen, more = _choose(without, settings, cgroups)
        if chosen is not None:
            package_missing.update(dict.fromkeys(names, f"import failed: {failures[0][1]}"))
        failures += more
    if chosen is None:
        reasons = "; ".join(f"{p.label}: {r}" for p, r in failures[:4]) or "no candidate"
        raise SandboxUnavailable(f"no sandbox layering works on this host ({reasons})")
    _explain(chosen, failures, missing)
    if settings.allow_exec:
        missing[NO_EXEC] = "allow_exec is set"
    for layer in (CGROUP_PIDS, CGROUP_MEMORY):
        if layer not in chosen.layers():
            missing.setdefault(layer, "not available")
    missing.update({f"package:{name}": reason for name, reason in package_missing.items()})
    chosen = chosen.with_changes(missing=missing)
    logger.info("execute sandbox: %s (%s)", chosen.label, chosen.strength)
    return ProbeResult(plan=chosen, cgroups=cgroups if chosen.cgroup_controllers else None)
