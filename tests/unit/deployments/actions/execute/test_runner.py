"""Real attack snippets against the sandbox this host allows; every one must be contained and
the runner must keep working afterwards (no leftover processes or cgroups)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from deployments.actions.execute.runner import SandboxRunner

from .conftest import small_settings


def _assert_healthy(runner: SandboxRunner) -> None:
    """The runner still works and left no run cgroup behind."""
    result = runner.run("print(6 * 7)")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "42\n"
    if runner.cgroups is not None:
        for base in runner.cgroups.bases.values():
            assert not [p for p in base.base.glob(f"ifz-run-{os.getpid()}-*")], "run cgroup left"


def test_plain_run_reports_output_exit_code_and_layering(runner: SandboxRunner):
    result = runner.run("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)")
    assert (result.stdout, result.stderr, result.exit_code) == ("out\n", "err\n", 3)
    assert result.limits_hit == [] and not result.truncated
    assert result.sandbox == runner.plan.label
    assert 0 < result.duration_ms < 3000


def test_exception_traceback_starts_in_the_snippet(runner: SandboxRunner):
    result = runner.run("def f():\n    return 1 / 0\nf()\n")
    assert result.exit_code == 1
    assert "ZeroDivisionError" in result.stderr
    assert "<string>" not in result.stderr  # no bootstrap frames
    assert "line 2, in f" in result.stderr


def test_syntax_error_is_reported_not_raised(runner: SandboxRunner):
    result = runner.run("def (:\n")
    assert result.exit_code == 1 and "SyntaxError" in result.stderr


def test_stdin_reaches_the_snippet(runner: SandboxRunner):
    result = runner.run("print(input()[::-1])", stdin=b"olleh\n")
    assert result.stdout == "hello\n"


def test_numpy_is_importable_when_reported(runner: SandboxRunner):
    if "numpy" not in runner.plan.report().packages:
        pytest.skip("numpy not available in the sandbox here")
    result = runner.run("import numpy as np\nprint(int(np.arange(10).sum()))")
    assert result.stdout == "45\n", result.stderr


def test_fork_bomb_is_contained(runner: SandboxRunner):
    code = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    started = time.monotonic()
    result = runner.run(code, timeout_s=1.5)
    assert time.monotonic() - started < 6
    assert result.exit_code != 0
    assert {"pids", "timeout"} & set(result.limits_hit) or "PermissionError" in result.stderr
    _assert_healthy(runner)


def test_memory_bomb_is_contained(runner: SandboxRunner):
    result = runner.run("a = []\nwhile True:\n    a.append(bytearray(1 << 20))\n")
    assert result.exit_code != 0
    assert "memory" in result.limits_hit
    _assert_healthy(runner)


def test_one_huge_allocation_fails_cleanly(runner: SandboxRunner):
    result = runner.run("x = bytearray(10 ** 10)")
    assert result.exit_code != 0 and "memory" in result.limits_hit
    _assert_healthy(runner)


def test_snippet_that_never_ends_is_killed_at_the_wall_timeout(runner: SandboxRunner):
    started = time.monotonic()
    result = runner.run("while True:\n    pass\n", timeout_s=1)
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 3
    assert result.limits_hit == ["timeout"]
    assert result.exit_code == 137
    _assert_healthy(runner)


def test_snippet_that_closes_its_pipes_still_times_out(runner: SandboxRunner):
    started = time.monotonic()
    result = runner.run("import os\nos.close(1)\nos.close(2)\nwhile True:\n    pass\n", timeout_s=1)
    assert result.limits_hit == ["timeout"]
    assert time.monotonic() - started < 3


def test_request_timeout_is_capped_by_config(runner: SandboxRunner):
    capped = SandboxRunner(runner.plan, small_settings(timeout_s=1), runner.cgroups)
    started = time.monotonic()
    result = capped.run("import time\ntime.sleep(60)", timeout_s=600)
    assert "timeout" in result.limits_hit
    assert time.monotonic() - started < 3


def test_huge_stdout_is_capped_and_says_so(runner: SandboxRunner):
    result = runner.run("while True:\n    print('x' * 1000)\n")
    cap = runner.settings.max_output_bytes
    assert result.truncated and "output" in result.limits_hit
    assert 0 < len(result.stdout.encode()) <= cap
    _assert_healthy(runner)


def test_huge_stderr_is_capped_too(runner: SandboxRunner):
    result = runner.run("import sys\nsys.stderr.write('e' * 10_000_000)\n")
    assert result.truncated and len(result.stderr) <= runner.settings.max_output_bytes


def test_network_connect_fails(runner: SandboxRunner):
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
        "    print('CONNECTED')\n"
        "except OSError as exc:\n"
        "    print('blocked', type(exc).__name__)\n"
    )
    result = runner.run(code)
    assert "CONNECTED" not in result.stdout
    assert "blocked" in result.stdout


def test_spawning_a_shell_fails(runner: SandboxRunner):
    code = (
        "import os, subprocess\n"
        "try:\n"
        "    print(subprocess.run(['/bin/sh', '-c', 'echo PWNED'], capture_output=True).stdout)\n"
        "except OSError as exc:\n"
        "    print('blocked', exc.errno)\n"
        "print('system', os.system('echo PWNED'))\n"
    )
    result = runner.run(code)
    assert "PWNED" not in result.stdout
    assert "blocked" in result.stdout


def test_kernel_interfaces_are_denied_by_seccomp(runner: SandboxRunner):
    if "seccomp" not in runner.plan.layers():
        pytest.skip("seccomp layer not active here")
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "for name, args in [('unshare', (0x10000000,)), ('mount', (b'x', b'/tmp', b'tmpfs', 0, 0)),"
        " ('ptrace', (16, 1, 0, 0))]:\n"
        "    rc = getattr(libc, name)(*args)\n"
        "    print(name, rc, ctypes.get_errno())\n"
    )
    result = runner.run(code)
    assert result.stdout.splitlines() == ["unshare -1 1", "mount -1 1", "ptrace -1 1"]


def test_host_etc_passwd_is_not_visible(bubblewrap_runner: SandboxRunner):
    host_first_line = Path("/etc/passwd").read_text().splitlines()[0]
    code = (
        "try:\n"
        "    print(open('/etc/passwd').read())\n"
        "except OSError as exc:\n"
        "    print('absent', type(exc).__name__)\n"
    )
    result = bubblewrap_runner.run(code)
    assert host_first_line not in result.stdout
    assert "absent" in result.stdout


def test_writing_outside_tmp_fails_and_tmp_works(bubblewrap_runner: SandboxRunner, tmp_path):
    escape = tmp_path / "escape.txt"
    targets = ["/usr/escape", "/escape", "/opt/ifz/escape", str(escape), "/etc/escape"]
    code = (
        f"targets = {targets!r}\n"
        "for target in targets:\n"
        "    try:\n"
        "        open(target, 'w').write('x')\n"
        "        print('WROTE', target)\n"
        "    except OSError as exc:\n"
        "        print('denied', target, exc.errno)\n"
        "open('/tmp/ok.txt', 'w').write('fine')\n"
        "print(open('/tmp/ok.txt').read())\n"
    )
    result = bubblewrap_runner.run(code)
    assert "WROTE" not in result.stdout, result.stdout
    assert result.stdout.rstrip().endswith("fine")
    assert not escape.exists() and not Path("/escape").exists()


def test_tmp_is_private_and_bounded(bubblewrap_runner: SandboxRunner):
    marker = "ifz-test-private-tmp"
    Path("/tmp", marker).write_text("host")
    try:
        result = bubblewrap_runner.run(
            f"import os\nprint(os.path.exists('/tmp/{marker}'))\n"
            "try:\n    open('/tmp/big', 'wb').write(b'x' * (8 << 20))\n"
            "except OSError as exc:\n    print('full', exc.errno)\n"
        )
    finally:
        Path("/tmp", marker).unlink()
    assert result.stdout.splitlines()[0] == "False"
    assert "full" in result.stdout  # tmp_size_mb=4 (or RLIMIT_FSIZE)


def test_host_proc_is_not_visible(bubblewrap_runner: SandboxRunner):
    code = (
        "import os\n"
        "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "print(len(pids))\n"
        "print(open('/proc/1/cmdline', 'rb').read().split(b'\\0')[0].decode())\n"
    )
    result = bubblewrap_runner.run(code)
    count, init = result.stdout.splitlines()
    assert int(count) <= 3  # bubblewrap's init and the snippet
    assert init.endswith("bwrap")  # the sandbox's own pid 1, not the host's init
    assert str(os.getpid()) not in result.stdout


def test_environment_is_cleared(bubblewrap_runner: SandboxRunner, monkeypatch):
    monkeypatch.setenv("IFZ_SECRET_TOKEN", "s3cret")
    result = bubblewrap_runner.run("import os\nprint(sorted(os.environ))")
    assert "IFZ_SECRET_TOKEN" not in result.stdout and "s3cret" not in result.stdout


def test_snippet_runs_as_non_root_on_the_host(runner: SandboxRunner):
    if runner.cgroups is None or "unprivileged_uid" not in runner.plan.layers():
        pytest.skip("needs the pids cgroup and the unprivileged_uid layer")
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        # Sample for the whole run: the launcher joins the cgroup as root for a moment before
        # it drops to the unprivileged uid and execs the snippet.
        while not done.is_set():
            base = runner.cgroups.bases["pids"].base
            for procs in base.glob(f"ifz-run-{os.getpid()}-*/cgroup.procs"):
                for pid in procs.read_text().split():
                    try:
                        status = Path(f"/proc/{pid}/status").read_text()
                    except OSError:
                        continue
                    seen.append(
                        int(next(x for x in status.splitlines() if x.startswith("Uid:")).split()[1])
                    )
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        runner.run("import time\ntime.sleep(1)")
    finally:
        done.set()
        watcher.join()
    assert seen and seen[-1] != 0, seen
    first_unprivileged = next(i for i, uid in enumerate(seen) if uid != 0)
    assert 0 not in seen[first_unprivileged:], "root again after the uid was dropped"


def test_detached_children_are_killed_with_the_run(runner: SandboxRunner):
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "print('parent done')\n"
    )
    started = time.monotonic()
    result = runner.run(code)
    assert time.monotonic() - started < 3
    if runner.plan.deny_fork:
        assert "PermissionError" in result.stderr
    else:
        assert result.stdout == "parent done\n"
    _assert_healthy(runner)


def test_parallel_runs_do_not_interfere(runner: SandboxRunner):
    results = [None, None]

    def work(index: int) -> None:
        results[index] = runner.run(f"import time\ntime.sleep(0.3)\nprint({index})")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.stdout for r in results] == ["0\n", "1\n"]


def test_cancel_stops_the_run(runner: SandboxRunner):
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    runner.run("import time\ntime.sleep(30)", cancel=cancel)
    assert time.monotonic() - started < 2
    _assert_healthy(runner)


def test_subprocess_backend_contains_the_basic_attacks():
    """The weakest layering still enforces timeout, memory, output and process limits."""
    from deployments.actions.execute.layers import probe

    settings = small_settings(backend="subprocess")
    found = probe(settings)
    assert found.plan.backend == "subprocess" and found.plan.strength == "weak"
    runner = SandboxRunner(found.plan, settings, found.cgroups)
    assert runner.run("print(1 + 1)").stdout == "2\n"
    if "numpy" in found.plan.report().packages:  # through per-run links to just numpy
        assert runner.run("import numpy\nprint(numpy.ones(3).sum())").stdout == "3.0\n"
    assert runner.run("while True:\n    pass\n", timeout_s=1).limits_hit == ["timeout"]
    assert "memory" in runner.run("x = bytearray(10 ** 10)").limits_hit
    assert runner.run("print('y' * 100_000)").truncated
    bomb = runner.run("import os\nwhile True:\n    os.fork()\n", timeout_s=2)
    assert bomb.exit_code != 0
    assert "PWNED" not in runner.run("import os\nos.system('echo PWNED')").stdout
    assert "PermissionError" in runner.run("import os\nos.setsid()").stderr
    if "landlock" in found.plan.layers():  # file access limited to the run's directory
        passwd = runner.run("print(open('/etc/passwd').read())")
        assert passwd.exit_code == 1 and "PermissionError" in passwd.stderr
        escape = runner.run("open('/tmp/ifz-escape', 'w').write('x')")
        assert "PermissionError" in escape.stderr and not os.path.exists("/tmp/ifz-escape")
        assert runner.run("open('local.txt', 'w').write('ok')").exit_code == 0
    _assert_healthy(runner)


def test_a_broken_sandbox_raises_instead_of_answering(runner: SandboxRunner):
    """A bootstrap failure (here: an interpreter whose stdlib is elsewhere) is the replica's
    error, not the snippet's result."""
    from dataclasses import replace

    from deployments.actions.execute.runner import SandboxFailure

    wrong = runner.plan.interpreter.__class__(
        executable=runner.plan.interpreter.executable,
        prefix="/nonexistent/prefix",
        version=runner.plan.interpreter.version,
    )
    broken = SandboxRunner(
        replace(runner.plan, interpreter=wrong, packages=()), runner.settings, runner.cgroups
    )
    with pytest.raises(SandboxFailure):
        broken.run("print(1)")


def test_cgroup_manager_is_optional():
    """Without cgroups (disabled), limits still come from rlimits and seccomp."""
    from deployments.actions.execute.layers import probe

    settings = small_settings(disable_layers=["cgroup_pids", "cgroup_memory"])
    found = probe(settings)
    assert found.cgroups is None
    runner = SandboxRunner(found.plan, settings, None)
    bomb = runner.run("import os\nwhile True:\n    os.fork()\n", timeout_s=2)
    assert bomb.exit_code != 0
    assert "memory" in runner.run("x = bytearray(10 ** 10)").limits_hit
    _assert_healthy(runner)
