"""The LLM replica's start-up priority: what is asked for, and the way back (no Ray)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from deployments.llm import priority
from deployments.llm.builder import engine_env
from deployments.llm.config import LLMSettings
from deployments.llm.priority import STARTUP_NICE_ENV, descendants, startup_nice


@pytest.mark.parametrize(
    ("value", "nice"), [("-5", -5), ("0", 0), ("7", 0), ("-40", -20), ("high", 0), (None, 0)]
)
def test_only_a_raised_priority_is_taken(value, nice):
    environ = {} if value is None else {STARTUP_NICE_ENV: value}
    assert startup_nice(environ) == nice


def test_the_cpu_replica_asks_for_it_and_the_config_can_turn_it_off():
    assert engine_env(LLMSettings())[STARTUP_NICE_ENV] == "-5"
    off = LLMSettings(env_vars={STARTUP_NICE_ENV: "0"})
    assert engine_env(off)[STARTUP_NICE_ENV] == "0"
    assert STARTUP_NICE_ENV not in engine_env(LLMSettings(device="cuda", num_gpus=1))


def test_descendants_walk_the_process_tree(tmp_path):
    tree = {1: {1: "2 3", 4: ""}, 2: {2: "5"}, 3: {3: ""}, 5: {5: ""}}
    for pid, tasks in tree.items():
        for tid, children in tasks.items():
            folder = tmp_path / str(pid) / "task" / str(tid)
            folder.mkdir(parents=True)
            (folder / "children").write_text(children)
    assert sorted(descendants(1, proc=str(tmp_path))) == [1, 2, 3, 5]
    assert descendants(9, proc=str(tmp_path)) == [9]  # gone: itself only


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")
def test_restore_puts_raised_threads_and_children_back(monkeypatch):
    """A child started at a raised priority goes back to 0 (needs CAP_SYS_NICE to raise)."""
    script = "import os, time; os.setpriority(os.PRIO_PROCESS, 0, -3); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            nice = os.getpriority(os.PRIO_PROCESS, child.pid)
            if nice == -3 or child.poll() is not None:
                break
            time.sleep(0.05)
        if os.getpriority(os.PRIO_PROCESS, child.pid) != -3:
            pytest.skip("raising priority is not permitted here")
        monkeypatch.setenv(STARTUP_NICE_ENV, "-3")
        assert priority.restore_priority() >= 1
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == 0
    finally:
        child.kill()
        child.wait()
