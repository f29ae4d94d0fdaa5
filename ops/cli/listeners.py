"""TCP listeners of this process and its descendants (the local Ray and every replica).

``ray.init`` in this process starts the GCS, raylet, agents and workers as its descendants,
so their sockets can be told apart from other Ray instances on the same machine.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from dataclasses import dataclass

import psutil

_PIDS = re.compile(r'\("([^"]*)",pid=(\d+)')


@dataclass(frozen=True)
class Listener:
    address: str
    port: int
    pid: int
    process: str

    @property
    def loopback(self) -> bool:
        host = self.address.strip("[]").split("%")[0]
        if host in ("*", "", "0.0.0.0", "::"):
            return False
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return host == "localhost"
        mapped = getattr(ip, "ipv4_mapped", None)  # [::ffff:127.0.0.1]: gRPC's dual-stack form
        return ip.is_loopback or bool(mapped and mapped.is_loopback)

    def __str__(self) -> str:
        return f"{self.address}:{self.port} ({self.process}, pid {self.pid})"


def process_tree(root: int | None = None) -> set[int]:
    """``root`` (default: this process) and all its descendants."""
    proc = psutil.Process(root)
    return {proc.pid, *(child.pid for child in proc.children(recursive=True))}


def parse_ss(text: str) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """``ss -ltnpH`` lines → ``(address, port, [(process, pid), ...])``."""
    rows = []
    for line in text.splitlines():
        columns = line.split()
        if len(columns) < 4:
            continue
        local = columns[3]
        address, _, port = local.rpartition(":")
        if not port.isdigit():
            continue
        owners = [(name, int(pid)) for name, pid in _PIDS.findall(line)]
        rows.append((address, int(port), owners))
    return rows


def listeners(pids: set[int] | None = None) -> list[Listener]:
    """TCP listening sockets owned by ``pids`` (default: this process tree)."""
    pids = pids if pids is not None else process_tree()
    text = subprocess.run(
        ["ss", "-ltnpH"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    found = []
    for address, port, owners in parse_ss(text):
        for name, pid in owners:
            if pid in pids:
                found.append(Listener(address, port, pid, _title(pid, name)))
                break
    return found


def exposed(pids: set[int] | None = None) -> list[Listener]:
    """Listeners of ``pids`` reachable from other machines (not bound to loopback)."""
    return [listener for listener in listeners(pids) if not listener.loopback]


def _title(pid: int, fallback: str) -> str:
    """The Ray process title (``ray::ServeReplica:app:ocr``) or the command name."""
    try:
        cmd = " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return fallback
    for token in cmd.split():
        if token.startswith("ray::"):
            return token
    for name in ("gcs_server", "raylet", "haproxy", "dashboard", "runtime_env", "log_monitor"):
        if name in cmd:
            return name
    return fallback
