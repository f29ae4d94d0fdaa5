"""Locating cgroup hierarchies (fixtures for v1, v2, namespaced mounts) and real per-run
cgroups on this host (skipped where cgroups cannot be created)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from deployments.actions.execute import cgroups

V1_MOUNTINFO = """\
30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
35 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 30 0:32 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
37 30 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
V1_CGROUP = "8:pids:/\n4:memory:/jobs/abc\n0::/\n"
V2_MOUNTINFO = "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V2_CGROUP = "0::/system.slice/app.service\n"


def test_v1_controllers_win_and_follow_the_process_cgroup():
    found, missing = cgroups.locate_bases(mountinfo=V1_MOUNTINFO, proc_cgroup=V1_CGROUP)
    assert found == {
        "pids": (Path("/sys/fs/cgroup/pids"), 1),
        "memory": (Path("/sys/fs/cgroup/memory/jobs/abc"), 1),
    }
    assert missing == {}


def test_v2_uses_the_unified_hierarchy_and_a_configured_root():
    found, _ = cgroups.locate_bases(mountinfo=V2_MOUNTINFO, proc_cgroup=V2_CGROUP)
    assert found["pids"] == (Path("/sys/fs/cgroup/system.slice/app.service"), 2)
    found, _ = cgroups.locate_bases("/delegated/ifz", mountinfo=V2_MOUNTINFO, proc_cgroup=V2_CGROUP)
    assert found["memory"] == (Path("/sys/fs/cgroup/delegated/ifz"), 2)


def test_namespaced_mount_root_is_stripped():
    mountinfo = "40 30 0:31 /kubepods/pod1 /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    found, missing = cgroups.locate_bases(
        mountinfo=mountinfo, proc_cgroup="3:pids:/kubepods/pod1/ctr\n"
    )
    assert found["pids"] == (Path("/sys/fs/cgroup/pids/ctr"), 1)
    assert "memory" in missing


def test_no_hierarchy_is_reported():
    found, missing = cgroups.locate_bases(mountinfo="", proc_cgroup="")
    assert found == {} and set(missing) == {"pids", "memory"}


@pytest.fixture(scope="module")
def manager() -> cgroups.CgroupManager:
    bases, missing = cgroups.prepare_bases()
    if len(bases) < 2:
        pytest.skip(f"pids and memory cgroups not both usable here: {missing}")
    return cgroups.CgroupManager(bases)


def test_run_cgroup_limits_join_and_cleanup(manager: cgroups.CgroupManager):
    run = manager.create()
    try:
        run.limit_pids(5)
        run.limit_memory(32 << 20)
        pids_dir, version = run.directories["pids"]
        assert (pids_dir / "pids.max").read_text().strip() == "5"
        join = run.join_files
        assert len(join) == (2 if version == 1 else 1)
        # A shell that joins and then tries to start 10 processes: only 5 fit.
        script = (
            'for f in "$@"; do echo 0 > "$f"; done; '
            "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait"
        )
        done = subprocess.run(
            ["/bin/sh", "-c", script, "sh", *join], capture_output=True, timeout=10
        )
        assert b"fork" in done.stderr.lower() or b"resource" in done.stderr.lower()
        assert "pids" in run.limits_hit()
    finally:
        assert run.close()
    assert not pids_dir.exists()


def test_close_kills_members_that_are_still_running(manager: cgroups.CgroupManager):
    run = manager.create(["pids"])
    join = run.join_files[0]
    proc = subprocess.Popen(["/bin/sh", "-c", f'echo 0 > "{join}"; exec sleep 30'])
    try:
        for _ in range(100):
            if str(proc.pid) in Path(join).read_text().split():
                break
            subprocess.run(["sleep", "0.01"])
        assert run.close(wait_s=2)
        assert proc.wait(timeout=2) == -9
    finally:
        proc.kill()


def test_sweep_removes_run_cgroups_of_dead_processes(manager: cgroups.CgroupManager):
    base = manager.bases["pids"].base
    dead_pid = 2**22 + 12345  # above pid_max: never alive
    stale = base / f"ifz-run-{dead_pid}-0-abcdef"
    stale.mkdir()
    mine = manager.create(["pids"])
    try:
        assert cgroups.sweep_stale(list(manager.bases.values())) >= 1
        assert not stale.exists()
        assert all(path.exists() for path, _ in mine.directories.values())
    finally:
        mine.close()
        if stale.exists():
            stale.rmdir()


def test_run_names_carry_the_owner_pid(manager: cgroups.CgroupManager):
    run = manager.create(["pids"])
    try:
        path, _ = run.directories["pids"]
        assert path.name.startswith(f"ifz-run-{os.getpid()}-")
    finally:
        run.close()
