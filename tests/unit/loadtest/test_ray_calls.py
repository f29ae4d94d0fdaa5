"""loadtest.ray_calls: counts read per process role, differences, per-request figures."""

from __future__ import annotations

import json
import os
from collections import Counter

from loadtest.proc_cpu import role_of
from loadtest.ray_calls import diff, per_unit, read_counts


def test_counts_are_grouped_by_the_writers_role(tmp_path):
    (tmp_path / f"{os.getpid()}.json").write_text(json.dumps({"handle ocr.process": 3}))
    (tmp_path / "999999999.json").write_text(json.dumps({"actor put_many": 1}))  # exited
    (tmp_path / "garbage.json").write_text("{")
    with open(f"/proc/{os.getpid()}/cmdline", "rb") as raw:
        role = role_of(raw.read().replace(b"\0", b" ").decode())
    assert read_counts(tmp_path) == {role: Counter({"handle ocr.process": 3})}


def test_differences_and_rates():
    before = {"router": Counter({"handle ocr.process": 2, "actor put_many": 5})}
    after = {
        "router": Counter({"handle ocr.process": 8, "actor put_many": 5}),
        "controller": Counter({"actor check_health": 3}),
    }
    delta = diff(after, before)
    assert delta == {
        "router": Counter({"handle ocr.process": 6}),
        "controller": Counter({"actor check_health": 3}),
    }
    assert per_unit(delta, 3) == {
        "controller": {"actor check_health": 1.0},
        "router": {"handle ocr.process": 2.0},
    }


def test_recording_stops_the_sampler_and_parses_what_it_wrote(tmp_path, monkeypatch):
    """py-spy runs until the block ends; SIGINT makes it write its collapsed stacks."""
    import stat

    from loadtest import pyspy

    fake = tmp_path / "py-spy"
    stacks = "main (a.py:1);work (a.py:2) 3\\nmain (a.py:1) 1\\n"
    fake.write_text(
        "#!/bin/bash\n"
        'out="${@: -1}"\n'  # --output is the last argument
        f'trap \'printf "{stacks}" > "$out"; exit 0\' INT\n'
        "while true; do sleep 0.05; done\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(pyspy, "py_spy_path", lambda: str(fake))
    with pyspy.recording(os.getpid(), tmp_path / "out.txt") as found:
        import time

        time.sleep(0.3)  # the trap must be installed before the signal
        assert found == []
    (profile,) = found
    assert profile.samples == 4
    assert profile.top_self(1) == [("work (a.py:2)", 75.0)]


def test_thread_cpu_sees_the_busy_thread_by_name():
    import time

    from loadtest.proc_cpu import thread_cpu, thread_cpu_delta

    before = thread_cpu(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass  # busy on the main thread
    delta = thread_cpu_delta(before, thread_cpu(os.getpid()))
    assert delta["main"] >= 0.1
    assert list(delta) == sorted(delta, key=lambda n: -delta[n])
    assert thread_cpu(2**22 + 12345) == {}  # no such process
