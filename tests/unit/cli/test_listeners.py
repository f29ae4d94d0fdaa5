"""Which listening sockets count as exposed (anything not bound to a loopback address)."""

from __future__ import annotations

import socket

from ops.cli.listeners import Listener, listeners, parse_ss

SS = """\
LISTEN 0 4096 127.0.0.1:8000 0.0.0.0:* users:(("python",pid=12,fd=3))
LISTEN 0 4096 *:36701 *:* users:(("ray::IDLE",pid=13,fd=9))
LISTEN 0 4096 [::1]:555 [::]:* users:(("x",pid=14,fd=9),("y",pid=15,fd=2))
LISTEN 0 4096 [::]:556 [::]:* users:(("x",pid=14,fd=9))
LISTEN 0 4096 0.0.0.0:9095 0.0.0.0:* users:(("agent",pid=16,fd=9))
LISTEN 0 4096 192.0.2.2:52365 0.0.0.0:* users:(("agent",pid=16,fd=10))
LISTEN 0 4096 [::ffff:127.0.0.1]:45851 *:* users:(("gcs_server",pid=17,fd=10))
LISTEN 0 4096 [::ffff:192.0.2.2]:45852 *:* users:(("gcs_server",pid=17,fd=11))
"""


def test_parse_and_classify():
    rows = parse_ss(SS)
    assert [(a, p) for a, p, _ in rows][:3] == [("127.0.0.1", 8000), ("*", 36701), ("[::1]", 555)]
    assert rows[2][2] == [("x", 14), ("y", 15)]
    loopback = [Listener(a, p, owners[0][1], owners[0][0]).loopback for a, p, owners in rows]
    assert loopback == [True, False, True, False, False, False, True, False]


def test_finds_this_process_sockets():
    with socket.socket() as inside, socket.socket() as outside:
        inside.bind(("127.0.0.1", 0))
        inside.listen()
        outside.bind(("0.0.0.0", 0))
        outside.listen()
        found = {listener.port: listener for listener in listeners()}
        assert found[inside.getsockname()[1]].loopback
        assert not found[outside.getsockname()[1]].loopback
