"""Layer lists, strength and the automatic no_fork rule of a SandboxPlan."""

from __future__ import annotations

from deployments.actions.execute.interpreter import Interpreter, PackageMount
from deployments.actions.execute.plan import SandboxPlan

PY = Interpreter(executable="/usr/bin/python3.11", prefix="/usr", version="3.11.2")


def full_plan(**changes) -> SandboxPlan:
    plan = SandboxPlan(
        backend="bubblewrap",
        interpreter=PY,
        bwrap="/usr/bin/bwrap",
        setpriv="/usr/bin/setpriv",
        host_uid_nonroot=True,
        cgroup_controllers=("pids", "memory"),
        seccomp=True,
        deny_exec=True,
        packages=(PackageMount("/x/numpy", "numpy"), PackageMount("/x/numpy.libs", "numpy.libs")),
    )
    return plan.with_changes(**changes)


def test_full_plan_is_strong():
    plan = full_plan()
    assert plan.layers()[:6] == [
        "bubblewrap",
        "unprivileged_uid",
        "cgroup_pids",
        "cgroup_memory",
        "seccomp",
        "no_exec",
    ]
    assert plan.strength == "strong" and not plan.deny_fork
    assert plan.label.startswith("bubblewrap+unprivileged_uid+")
    report = plan.report()
    assert report.packages == ["numpy"] and report.missing == {}


def test_missing_layer_reduces_and_subprocess_is_weak():
    assert full_plan(seccomp=False).strength == "reduced"
    assert full_plan(backend="subprocess", bwrap=None).strength == "weak"


def test_no_fork_only_when_nothing_else_bounds_processes():
    assert not full_plan(cgroup_controllers=()).deny_fork  # RLIMIT_NPROC (non-root)
    assert not full_plan(host_uid_nonroot=False).deny_fork  # pids cgroup
    rootish = full_plan(host_uid_nonroot=False, setpriv=None, cgroup_controllers=())
    assert rootish.deny_fork and "no_fork" in rootish.layers()
    bare = rootish.with_changes(seccomp=False, deny_exec=False)
    assert not bare.deny_fork and "fork_limit" in bare.report().missing


def test_landlock_layer_is_listed_for_the_subprocess_backend():
    plan = full_plan(backend="subprocess", bwrap=None, landlock=True)
    assert plan.layers()[0] == "landlock" and plan.strength == "weak"
