"""Holds Chromium's network namespace and makes the proxies' listening sockets inside it.

Standard library only: :mod:`deployments.actions.browse.netjail` runs it as
``unshare --net -- python -I -S netns_holder.py FD`` (FD: a unix socket to the replica).
It brings ``lo`` up, checks that loopback is the only interface, answers ``ready``, and
then, for every ``L`` it reads, opens a TCP socket listening on 127.0.0.1 (a free port)
*inside this namespace* and sends its descriptor back (SCM_RIGHTS). The replica accepts
on it from its own namespace, so Chromium's only way out is the guarded proxy behind it.
It exits when the replica closes its end.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import sys

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
IFREQ = "16sH14x"
LISTEN_BACKLOG = 256


def loopback_up() -> None:
    """Bring ``lo`` up (a new network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack(IFREQ, b"lo", 0)
        flags = struct.unpack(IFREQ, fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))


def interfaces() -> list[str]:
    """Names of the interfaces of this network namespace."""
    return sorted(name for _index, name in socket.if_nameindex())


def serve(channel: socket.socket) -> int:
    """Answer listen requests until the replica hangs up."""
    while True:
        request = channel.recv(1)
        if not request:
            return 0
        if request != b"L":
            return 2
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
                listener.bind(("127.0.0.1", 0))
                listener.listen(LISTEN_BACKLOG)
                socket.send_fds(channel, [b"+"], [listener.fileno()])
        except OSError:
            channel.sendall(b"-")


def main(argv: list[str]) -> int:
    channel = socket.socket(fileno=int(argv[1]))
    try:
        loopback_up()
        names = interfaces()
        if names != ["lo"]:
            raise OSError(f"the new namespace has interfaces {names}, expected only lo")
    except OSError as exc:
        channel.sendall(f"error {exc}\n".encode())
        return 1
    channel.sendall(b"ready\n")
    return serve(channel)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
