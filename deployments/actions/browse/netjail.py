"""Chromium's own network namespace: loopback only, its one way out the guarded proxy.

A small holder process (``netns_holder.py``) is started in a new network namespace
(``unshare --net`` as root; ``unshare --user --map-current-user --keep-caps --net``
otherwise). Chromium joins that namespace (``nsenter``), so whatever a page makes it do —
WebRTC STUN/TURN over UDP or TCP, mDNS multicast, a direct connection — can reach nothing
but the namespace's own loopback. The egress proxies listen on sockets the holder opens
*inside* the namespace and hands over (SCM_RIGHTS): the replica accepts from there and
connects out from its own namespace, through the SSRF guard.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

HOLDER = Path(__file__).with_name("netns_holder.py")
START_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 5.0


class JailUnavailable(RuntimeError):
    """This host cannot give Chromium its own network namespace (the message says why)."""


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise JailUnavailable(f"{name} not found (Debian package util-linux)")
    return path


class NetJail:
    """A loopback-only network namespace held by a helper process."""

    def __init__(self, process: subprocess.Popen, channel: socket.socket, user_ns: bool) -> None:
        self.process = process
        self.channel = channel
        self.user_ns = user_ns  # the namespace belongs to a user namespace (non-root replica)
        self._lock = threading.Lock()

    @classmethod
    def create(cls) -> NetJail:
        """Start the holder in a new network namespace; raises JailUnavailable."""
        unshare = _tool("unshare")
        _tool("nsenter")
        user_ns = os.geteuid() != 0
        namespaces = ["--user", "--map-current-user", "--keep-caps"] if user_ns else []
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = [
            unshare,
            *namespaces,
            "--net",
            "--",
            sys.executable,
            "-I",
            "-S",
            str(HOLDER),
            str(child.fileno()),
        ]
        try:
            process = subprocess.Popen(
                command,
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            parent.close()
            raise JailUnavailable(f"cannot start {unshare}: {exc}") from None
        finally:
            child.close()
        jail = cls(process, parent, user_ns)
        jail._wait_ready()
        return jail

    def _wait_ready(self) -> None:
        self.channel.settimeout(START_TIMEOUT_S)
        line = b""
        try:
            while not line.endswith(b"\n"):
                chunk = self.channel.recv(256)
                if not chunk:
                    break
                line += chunk
        except OSError as exc:
            line = f"error {exc}".encode()
        if line.strip() == b"ready":
            self.channel.settimeout(REQUEST_TIMEOUT_S)
            if self.process.stderr is not None:
                self.process.stderr.close()
            return
        self.close()
        stderr = b""
        if self.process.stderr is not None:
            stderr = self.process.stderr.read() or b""
            self.process.stderr.close()
        reason = (line.decode(errors="replace") + " " + stderr.decode(errors="replace")).strip()
        raise JailUnavailable(
            f"cannot create a network namespace for Chromium: {reason or 'holder exited'}"
        )

    # -- use ---------------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def path(self) -> str:
        """The namespace file (valid while the holder lives)."""
        return f"/proc/{self.process.pid}/ns/net"

    def inode(self) -> int:
        """Identity of the namespace (compare with ``/proc/PID/ns/net`` of a process)."""
        return os.stat(self.path).st_ino

    def enter_command(self) -> list[str]:
        """The argv prefix that runs a program inside the namespace."""
        nsenter = _tool("nsenter")
        if self.user_ns:
            target = str(self.process.pid)
            return [nsenter, "--target", target, "--user", "--net", "--preserve-credentials", "--"]
        return [nsenter, f"--net={self.path}", "--"]

    def listen(self) -> socket.socket:
        """A TCP socket listening on 127.0.0.1 inside the namespace (for one egress proxy)."""
        with self._lock:
            if not self.alive:
                raise JailUnavailable("the network namespace holder has exited")
            try:
                self.channel.sendall(b"L")
                status, fds, _flags, _addr = socket.recv_fds(self.channel, 1, 1)
            except OSError as exc:
                raise JailUnavailable(f"the network namespace holder failed: {exc}") from None
        if status != b"+" or not fds:
            for fd in fds:
                os.close(fd)
            raise JailUnavailable("the network namespace holder could not open a listener")
        return socket.socket(fileno=fds[0])

    def close(self) -> None:
        """Stop the holder (Chromium and open listeners keep the namespace until they end)."""
        self.channel.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=2)
