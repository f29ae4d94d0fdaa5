"""Runs one snippet in the planned sandbox: spawn, capped output, wall timeout, clean-up.

Blocking by design (one thread per run); the deployment calls it through ``asyncio.to_thread``.
Whatever happens, the process group is killed, the run's cgroup emptied and removed, and the
file descriptors and temporary files released.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

from deployments.actions.execute import seccomp_filter
from deployments.actions.execute.cgroups import CgroupManager, RunCgroup
from deployments.actions.execute.command import (
    JOIN_FAILED,
    JOIN_TAG,
    MIB,
    PID_OVERHEAD,
    SNIPPET_PATH,
    BwrapFds,
    boot_settings,
    bwrap_argv,
    launcher_prefix,
    python_argv,
    sandbox_env,
)
from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.interpreter import SITE_DIR
from deployments.actions.execute.plan import SandboxPlan
from deployments.actions.execute.protocol import (
    LIMIT_CPU,
    LIMIT_MEMORY,
    LIMIT_OUTPUT,
    LIMIT_PIDS,
    LIMIT_TIMEOUT,
    ExecutionResult,
)
from deployments.actions.execute.sandbox_main import BOOT_FAILED, BOOT_TAG

_READ_CHUNK = 64 * 1024
_DRAIN_AFTER_EXIT_S = 0.05  # output still buffered in the pipes once the snippet has exited
_TAIL = 4096  # bytes of stderr searched for Python's own limit errors


class SandboxFailure(RuntimeError):
    """The sandbox itself failed to start (not the snippet): a replica-side error."""


@dataclass
class _Output:
    """stdout and stderr, each kept up to ``cap`` bytes; ``overflow`` once one went over."""

    cap: int
    streams: dict[str, bytearray] = field(
        default_factory=lambda: {"stdout": bytearray(), "stderr": bytearray()}
    )
    overflow: bool = False

    def add(self, name: str, chunk: bytes) -> None:
        buffer = self.streams[name]
        room = self.cap - len(buffer)
        buffer += chunk[: max(room, 0)]
        if len(chunk) > room:
            self.overflow = True

    def text(self, name: str) -> bytes:
        return bytes(self.streams[name])


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name)
    try:
        _write_all(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _exited(proc: subprocess.Popen) -> bool:
    """Whether the leader has exited, without reaping it (``proc.poll()`` would reap)."""
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class SandboxRunner:
    """Runs snippets with a fixed :class:`SandboxPlan` (thread-safe; one call per run)."""

    def __init__(
        self, plan: SandboxPlan, settings: ExecuteSettings, cgroups: CgroupManager | None
    ) -> None:
        self.plan = plan
        self.settings = settings
        self.cgroups = cgroups if plan.cgroup_controllers else None
        self._bwrap_filter = (
            seccomp_filter.build_filter(base=True, deny_fork=plan.deny_fork)
            if plan.seccomp and plan.backend == "bubblewrap"
            else None
        )
        self._in_process_filter = self._make_in_process_filter(plan)

    @staticmethod
    def _make_in_process_filter(plan: SandboxPlan) -> bytes | None:
        """What the bootstrap installs itself: exec denial, plus the base list without bwrap."""
        base = plan.seccomp and plan.backend != "bubblewrap"
        if not (base or plan.deny_exec):
            return None
        return seccomp_filter.build_filter(
            base=base,
            deny_exec=plan.deny_exec,
            deny_fork=base and plan.deny_fork,
            deny_session=base,  # no pid namespace: the process group is what gets killed
        )

    # -- one run ---------------------------------------------------------------------------

    def run(
        self,
        code: str,
        *,
        stdin: bytes | None = None,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
    ) -> ExecutionResult:
        """Run ``code``; never raises for anything the snippet does (only SandboxFailure)."""
        timeout = min(timeout_s or self.settings.timeout_s, self.settings.timeout_s)
        fds: list[int] = []
        cgroup: RunCgroup | None = None
        workdir: str | None = None
        proc: subprocess.Popen | None = None
        try:
            cgroup = self._create_cgroup()
            stdin_fd = _memfd("ifz-stdin", stdin) if stdin else subprocess.DEVNULL
            if stdin:
                fds.append(stdin_fd)
            argv, pass_fds, env, workdir = self._command(code, timeout, fds)
            join = cgroup.join_files if cgroup else []
            started = time.monotonic()
            proc = subprocess.Popen(
                launcher_prefix(self.plan, self.settings, join) + argv,
                stdin=stdin_fd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=pass_fds,
                env=env,
                cwd=workdir or "/",
                start_new_session=True,
            )
            for fd in fds:  # the child has its copies; ours are no longer needed
                os.close(fd)
            fds.clear()
            deadline = started + timeout
            output, timed_out, cancelled = self._collect(proc, deadline, cancel)
            if not (timed_out or cancelled or output.overflow):
                timed_out, cancelled = self._await_exit(proc, deadline, cancel)
            duration_ms = (time.monotonic() - started) * 1000
            # Always: members may outlive the leader (detached children); the leader is not
            # reaped yet, so its process group id cannot have been reused.
            self._kill(proc, cgroup)
            proc.wait()
            return self._result(proc, output, cgroup, timed_out, duration_ms)
        finally:
            if proc is not None and proc.returncode is None:
                self._kill(proc, cgroup)
                proc.wait()
            if cgroup is not None:
                cgroup.close()
            for fd in fds:
                os.close(fd)
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)

    def _create_cgroup(self) -> RunCgroup | None:
        if self.cgroups is None:
            return None
        cgroup = self.cgroups.create(list(self.plan.cgroup_controllers))
        try:
            if "pids" in cgroup.directories:
                cgroup.limit_pids(self.settings.max_pids + PID_OVERHEAD)
            if "memory" in cgroup.directories:
                cgroup.limit_memory(self.settings.memory_mb * MIB)
        except OSError:
            cgroup.close(wait_s=0)
            raise
        return cgroup

    def _command(
        self, code: str, timeout: float, fds: list[int]
    ) -> tuple[list[str], tuple[int, ...], dict[str, str], str | None]:
        """argv, fds to pass, environment and working directory (subprocess backend only)."""
        source = code.encode("utf-8")
        if self.plan.backend == "bubblewrap":
            snippet_fd = _memfd("ifz-snippet", source)
            fds.append(snippet_fd)
            seccomp_fd = None
            if self._bwrap_filter is not None:
                seccomp_fd = _memfd("ifz-seccomp", self._bwrap_filter)
                fds.append(seccomp_fd)
            boot = boot_settings(
                self.settings,
                self.plan,
                timeout_s=timeout,
                snippet=SNIPPET_PATH,
                site_dir=SITE_DIR,
                in_process_filter=self._in_process_filter,
            )
            argv = bwrap_argv(self.plan, self.settings, BwrapFds(snippet_fd, seccomp_fd), boot)
            passed = tuple(fd for fd in (snippet_fd, seccomp_fd) if fd is not None)
            return argv, passed, {"PATH": "/usr/bin:/bin"}, None
        workdir = tempfile.mkdtemp(prefix="ifz-execute-run-")
        snippet = os.path.join(workdir, "snippet.py")
        with open(snippet, "wb") as handle:
            handle.write(source)
        if self.plan.setpriv:
            for path in (workdir, snippet):
                os.chown(path, self.settings.sandbox_uid, self.settings.sandbox_gid)
        site_dir = self._link_packages(workdir)
        boot = boot_settings(
            self.settings,
            self.plan,
            timeout_s=timeout,
            snippet=snippet,
            site_dir=site_dir,
            in_process_filter=self._in_process_filter,
            workdir=workdir,
        )
        return python_argv(self.plan, boot), (), sandbox_env(workdir), workdir

    def _link_packages(self, workdir: str) -> str:
        """Subprocess backend: a root-owned directory of symlinks to just the allowed packages
        (so the rest of this environment's site-packages stays off ``sys.path``)."""
        if not self.plan.packages:
            return ""
        site_dir = os.path.join(workdir, ".site")
        os.mkdir(site_dir, 0o755)
        for mount in self.plan.packages:
            os.symlink(mount.source, os.path.join(site_dir, mount.name))
        return site_dir

    def _collect(
        self, proc: subprocess.Popen, deadline: float, cancel: threading.Event | None
    ) -> tuple[_Output, bool, bool]:
        """Read stdout/stderr up to the cap until both close, the deadline or a cancel."""
        output = _Output(cap=self.settings.max_output_bytes)
        assert proc.stdout is not None and proc.stderr is not None
        streams = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
        exited_at: float | None = None
        with selectors.DefaultSelector() as selector:
            for fd in streams:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                now = time.monotonic()
                if cancel is not None and cancel.is_set():
                    return output, False, True
                if now >= deadline:
                    return output, True, False
                if exited_at is None and _exited(proc):
                    exited_at = now
                if exited_at is not None and now - exited_at > _DRAIN_AFTER_EXIT_S:
                    break  # the snippet is gone; a detached child may hold the pipes
                for key, _ in selector.select(min(deadline - now, 0.1)):
                    chunk = os.read(key.fd, _READ_CHUNK)
                    if chunk:
                        output.add(streams[key.fd], chunk)
                    else:
                        selector.unregister(key.fd)
                if output.overflow:
                    break
        return output, False, False

    @staticmethod
    def _await_exit(
        proc: subprocess.Popen, deadline: float, cancel: threading.Event | None
    ) -> tuple[bool, bool]:
        """Wait for the leader after its pipes closed (it may have closed them itself);
        returns (timed_out, cancelled)."""
        while not _exited(proc):
            if cancel is not None and cancel.is_set():
                return False, True
            if time.monotonic() >= deadline:
                return True, False
            time.sleep(0.01)
        return False, False

    @staticmethod
    def _kill(proc: subprocess.Popen, cgroup: RunCgroup | None) -> None:
        """SIGKILL the process group (bubblewrap then takes its pid namespace down) and the
        cgroup's members (whatever changed session or group)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if cgroup is not None:
            cgroup.kill_all()

    def _result(
        self,
        proc: subprocess.Popen,
        output: _Output,
        cgroup: RunCgroup | None,
        timed_out: bool,
        duration_ms: float,
    ) -> ExecutionResult:
        stdout, stderr = output.text("stdout"), output.text("stderr")
        exit_code = _exit_code(proc.returncode)
        self._raise_on_sandbox_failure(exit_code, stderr, timed_out)
        limits: list[str] = []
        if timed_out:
            limits.append(LIMIT_TIMEOUT)
        if output.overflow:
            limits.append(LIMIT_OUTPUT)
        if cgroup is not None:
            limits += cgroup.limits_hit()
        tail = stderr[-_TAIL:]
        if LIMIT_MEMORY not in limits and b"MemoryError" in tail:
            limits.append(LIMIT_MEMORY)
        if LIMIT_PIDS not in limits and b"BlockingIOError: [Errno 11]" in tail:
            limits.append(LIMIT_PIDS)
        if exit_code == 128 + signal.SIGXCPU:
            limits.append(LIMIT_CPU)
        return ExecutionResult(
            stdout=stdout.decode("utf-8", errors="replace"),
            stderr=stderr.decode("utf-8", errors="replace"),
            exit_code=exit_code,
            duration_ms=round(duration_ms, 2),
            limits_hit=limits,
            truncated=output.overflow,
            sandbox=self.plan.label,
        )

    def _raise_on_sandbox_failure(self, exit_code: int, stderr: bytes, timed_out: bool) -> None:
        if timed_out:
            return
        text = stderr[:2000].decode("utf-8", errors="replace").strip()
        if exit_code == BOOT_FAILED and text.startswith(BOOT_TAG):
            raise SandboxFailure(text)
        if exit_code == JOIN_FAILED and text.startswith(JOIN_TAG):
            raise SandboxFailure(text)
        if self.plan.backend == "bubblewrap" and exit_code == 1 and text.startswith("bwrap:"):
            raise SandboxFailure(text)
