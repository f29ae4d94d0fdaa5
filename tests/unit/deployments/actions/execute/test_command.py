"""The command line of a run: every isolation flag present, limits derived from config."""

from __future__ import annotations

import json

from deployments.actions.execute.command import (
    ADDRESS_SPACE_SLACK,
    MIB,
    SNIPPET_PATH,
    BwrapFds,
    boot_settings,
    bwrap_argv,
    landlock_rules,
    launcher_prefix,
    rlimits,
)
from deployments.actions.execute.config import ExecuteSettings

from .test_plan import full_plan

SETTINGS = ExecuteSettings(timeout_s=2.5, memory_mb=100, max_pids=10, tmp_size_mb=8)


def _pairs(argv: list[str], flag: str) -> list[tuple[str, ...]]:
    return [tuple(argv[i + 1 : i + 3]) for i, a in enumerate(argv) if a == flag]


def test_bwrap_isolates_everything():
    plan = full_plan(bwrap_disable_userns=True)
    argv = bwrap_argv(plan, SETTINGS, BwrapFds(snippet=7, seccomp=8), "{}")
    head = argv[: argv.index("--")]
    for flag in (
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
    ):
        assert flag in head
    assert ("ALL", "--uid") in [
        tuple(argv[i + 1 : i + 3]) for i, a in enumerate(argv) if a == "--cap-drop"
    ]
    assert argv[argv.index("--uid") + 1] == "65534"
    assert ("/usr", "/usr") in _pairs(head, "--ro-bind")
    assert ("/x/numpy", "/opt/ifz/site/numpy") in _pairs(head, "--ro-bind")
    assert ("7", SNIPPET_PATH) in _pairs(head, "--ro-bind-data")
    assert head[head.index("--seccomp") + 1] == "8"
    assert head[head.index("--tmpfs") - 1] == str(8 * MIB)  # --size before --tmpfs /tmp
    assert head[head.index("--remount-ro") + 1] == "/"
    assert "--bind" not in head and "--dev-bind" not in head  # nothing writable from the host
    assert argv[argv.index("--") + 1 :][:4] == ["/usr/bin/python3.11", "-I", "-S", "-B"]


def test_launcher_joins_cgroups_then_drops_root():
    prefix = launcher_prefix(full_plan(), SETTINGS, ["/cg/a/cgroup.procs", "/cg/b/cgroup.procs"])
    assert prefix[:2] == ["/bin/sh", "-c"]
    assert prefix[4:7] == ["2", "/cg/a/cgroup.procs", "/cg/b/cgroup.procs"]
    setpriv = prefix[7:]
    assert setpriv[0] == "/usr/bin/setpriv" and "--reuid=65534" in setpriv
    assert "--clear-groups" in setpriv and "--no-new-privs" in setpriv
    assert launcher_prefix(full_plan(setpriv=None), SETTINGS, []) == []


def test_rlimits_follow_the_settings():
    limits = rlimits(SETTINGS, full_plan(), timeout_s=2.5)
    assert limits["RLIMIT_AS"] == [100 * MIB + ADDRESS_SPACE_SLACK] * 2
    assert limits["RLIMIT_CPU"] == [4, 5]
    assert limits["RLIMIT_FSIZE"] == [8 * MIB] * 2
    assert limits["RLIMIT_CORE"] == [0, 0]
    assert limits["RLIMIT_NPROC"][0] >= 10  # per user namespace under bubblewrap


def test_nproc_outside_bubblewrap_only_without_a_pids_cgroup():
    with_cgroup = full_plan(backend="subprocess", bwrap=None)
    assert "RLIMIT_NPROC" not in rlimits(SETTINGS, with_cgroup, 1)
    without = with_cgroup.with_changes(cgroup_controllers=("memory",))
    assert "RLIMIT_NPROC" in rlimits(SETTINGS, without, 1)


def test_boot_settings_carry_filter_paths_and_snippet():
    boot = json.loads(
        boot_settings(
            SETTINGS,
            full_plan(),
            timeout_s=1,
            snippet="/s.py",
            site_dir="/site",
            in_process_filter=b"\x01\x02",
        )
    )
    assert boot["filter"] == "0102" and boot["paths"] == ["/site"] and boot["snippet"] == "/s.py"
    assert boot["prefix"] == "/usr" and boot["landlock"] is None  # bubblewrap: mounts instead


def test_landlock_rules_read_system_and_packages_write_only_the_run_directory():
    plan = full_plan(backend="subprocess", bwrap=None, landlock=True)
    rules = landlock_rules(plan, workdir="/tmp/run-1", site_dir="/tmp/site")
    assert {"/usr", "/x/numpy", "/x/numpy.libs", "/tmp/site"} <= set(rules["read"])
    assert "/etc" not in rules["read"] and "/proc" not in rules["read"]
    assert rules["write"][0] == "/tmp/run-1"
    assert all(p == "/tmp/run-1" or p.startswith("/dev/") for p in rules["write"])
    boot = json.loads(
        boot_settings(
            SETTINGS,
            plan,
            timeout_s=1,
            snippet="/tmp/run-1/s.py",
            site_dir="/tmp/site",
            in_process_filter=None,
            workdir="/tmp/run-1",
        )
    )
    assert boot["landlock"] == rules
