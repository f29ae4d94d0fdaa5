"""WebRTC and mDNS cannot get past the SSRF guard (issue 14, row 1).

A STUN/TURN canary on 127.0.0.2 (not allow-listed; UDP and TCP) records every packet and
answers binding requests with a made-up mapped address, 1.2.3.4; an mDNS canary listens on
224.0.0.251:5353. A page on the allowed test host opens an RTCPeerConnection with that server
and makes a second one resolve a ``.local`` candidate (an mDNS query). With Chromium in its
own network namespace, and with the WebRTC switches on their own, the canaries see nothing
and the page learns no candidate. The control (both off, as before the fix) shows the
canaries do catch it: STUN/TURN and mDNS packets arrive and the page reads 1.2.3.4 back.

These tests make Chromium send UDP and multicast, so they run only inside a network
namespace of their own: ``test_in_a_closed_namespace`` re-runs this file under
``unshare --net`` with loopback and a veth pair whose two ends both stay inside (without a
non-loopback interface Chromium gathers no candidates, and the control could not fail).
Nothing can leave the host, whether the hole is open or not.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.service import BrowseService

INNER_ENV = "IFZ_BROWSE_CLOSED_NETNS"
INNER = os.environ.get(INNER_ENV) == "1"
WIRE = ("ifz-wire0", "ifz-wire1")
NAMESPACE_SETUP = (
    "ip link set lo up && ip link set lo multicast on"
    f" && ip link add {WIRE[0]} type veth peer name {WIRE[1]}"
    f" && ip addr add 10.99.0.1/24 dev {WIRE[0]} && ip addr add 10.99.0.2/24 dev {WIRE[1]}"
    f" && ip link set {WIRE[0]} up && ip link set {WIRE[1]} up"
    f" && ip route add 224.0.0.0/4 dev {WIRE[0]}"
)
MAPPED_ADDRESS = "1.2.3.4"  # what the canary tells STUN clients their address is
MDNS_GROUP = "224.0.0.251"
REPO = Path(__file__).resolve().parents[5]

inner_only = pytest.mark.skipif(
    not INNER, reason="runs only inside its closed network namespace (test_in_a_closed_namespace)"
)


@pytest.mark.skipif(INNER, reason="the runner itself")
def test_in_a_closed_namespace():
    """Re-run the canary tests in a network namespace nothing can leave."""
    if os.geteuid() != 0:
        pytest.skip("needs root: a network namespace with a veth pair (unshare --net, ip)")
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None:
        pytest.skip("unshare/ip not installed (Debian util-linux, iproute2)")
    command = [
        unshare,
        "--net",
        "--",
        "sh",
        "-c",
        NAMESPACE_SETUP + ' && exec "$@"',
        "sh",
        sys.executable,
        "-m",
        "pytest",
        str(Path(__file__).resolve()),
        "-q",
        "-k",
        "inner",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    ]
    done = subprocess.run(
        command,
        env={**os.environ, INNER_ENV: "1"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=400,
    )
    output = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, output
    assert "4 passed" in done.stdout, output  # every case ran; none was skipped


# -- inside the closed namespace ---------------------------------------------------------------


@dataclass
class Canary:
    """STUN/TURN on 127.0.0.2 (UDP and TCP, same port) and mDNS on 224.0.0.251:5353."""

    port: int = 0
    udp: list[bytes] = field(default_factory=list)
    tcp: list[str] = field(default_factory=list)
    mdns: list[bytes] = field(default_factory=list)
    sockets: list[socket.socket] = field(default_factory=list)

    def clear(self) -> None:
        self.udp.clear()
        self.tcp.clear()
        self.mdns.clear()

    @property
    def silent(self) -> bool:
        return not (self.udp or self.tcp or self.mdns)


def _stun_answer(request: bytes) -> bytes | None:
    """A binding success with XOR-MAPPED-ADDRESS 1.2.3.4:4242 for a binding request."""
    if len(request) < 20 or request[:2] != b"\x00\x01":
        return None
    cookie = 0x2112A442
    address = int.from_bytes(socket.inet_aton(MAPPED_ADDRESS), "big") ^ cookie
    attribute = struct.pack("!HHBBHI", 0x0020, 8, 0, 1, 4242 ^ (cookie >> 16), address)
    return struct.pack("!HHI", 0x0101, len(attribute), cookie) + request[8:20] + attribute


def _loop(target, *args) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


def _serve_udp(sock: socket.socket, canary: Canary) -> None:
    while True:
        try:
            data, peer = sock.recvfrom(4096)
        except OSError:
            return
        canary.udp.append(data)
        answer = _stun_answer(data)
        if answer is not None:
            sock.sendto(answer, peer)


def _serve_tcp(sock: socket.socket, canary: Canary) -> None:
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        canary.tcp.append(f"{peer[0]}:{peer[1]}")
        conn.close()


def _serve_mdns(sock: socket.socket, canary: Canary) -> None:
    while True:
        try:
            canary.mdns.append(sock.recv(4096))
        except OSError:
            return


def _interfaces() -> set[str]:
    return {name for _index, name in socket.if_nameindex()}


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    assert _interfaces() == {"lo", *WIRE}, "not in the closed namespace this test sets up"
    routes = Path("/proc/net/route").read_text().splitlines()[1:]
    assert not [r for r in routes if r.split()[1] == "00000000"], "a default route: not closed"
    result = Canary()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.2", 0))
    result.port = udp.getsockname()[1]
    tcp = socket.socket()
    tcp.bind(("127.0.0.2", result.port))
    tcp.listen(16)
    mdns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mdns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    mdns.bind(("0.0.0.0", 5353))
    for local in ("127.0.0.1", "10.99.0.1", "10.99.0.2"):
        membership = socket.inet_aton(MDNS_GROUP) + socket.inet_aton(local)
        mdns.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    result.sockets = [udp, tcp, mdns]
    _loop(_serve_udp, udp, result)
    _loop(_serve_tcp, tcp, result)
    _loop(_serve_mdns, mdns, result)
    yield result
    for sock in result.sockets:
        sock.close()


RTC_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>rtc</title></head>
<body><p>webrtc probe</p><script>
const report = {webrtc: typeof RTCPeerConnection === "function", candidates: [], errors: []};
function done() {
  document.title = JSON.stringify(report);
  const out = document.createElement("p"); out.id = "done"; out.textContent = "done";
  document.body.appendChild(out);
}
async function probe() {
  if (!report.webrtc) return;
  const a = new RTCPeerConnection({iceServers: [
    {urls: "stun:127.0.0.2:PORT"},
    {urls: ["turn:127.0.0.2:PORT?transport=udp", "turn:127.0.0.2:PORT?transport=tcp"],
     username: "u", credential: "p"}]});
  a.createDataChannel("x");
  const gathered = new Promise((resolve) => {
    a.onicecandidate = (e) => e.candidate
      ? (e.candidate.candidate && report.candidates.push(e.candidate.candidate)) : resolve();
  });
  await a.setLocalDescription(await a.createOffer());
  const b = new RTCPeerConnection();  // must resolve a .local name: an mDNS query
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await b.addIceCandidate({sdpMid: "0", sdpMLineIndex: 0, candidate:
    "candidate:1 1 udp 2122260223 0a1b2c3d-0000-4000-8000-123456789abc.local 9 typ host"});
  await Promise.race([gathered, new Promise((r) => setTimeout(r, 3000))]);
}
probe().catch((e) => report.errors.push(String(e))).finally(done);
</script></body></html>"""


@pytest.fixture(scope="module")
def rtc_page(canary: Canary) -> Iterator[str]:
    body = RTC_PAGE.replace("PORT", str(canary.port)).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    _loop(server.serve_forever)
    yield f"http://127.0.0.1:{server.server_address[1]}/rtc"
    server.shutdown()
    server.server_close()


async def _visit(url: str, **overrides) -> tuple[dict, str]:
    settings = BrowseSettings(allow_cidrs=["127.0.0.1/32"], page_pool_size=1, **overrides)
    service = BrowseService(settings)
    service.prepare()
    try:
        page = await service.browse({"url": url, "wait_for": "#done", "timeout_s": 15})
        network = (await service.describe()).network
    finally:
        await service.close()
    report = json.loads(page.title)
    return report, network


@inner_only
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("overrides", "network", "hole"),
    [
        ({}, "namespace", False),
        ({"block_webrtc": False}, "namespace", False),  # the namespace on its own
        ({"network_isolation": "off"}, "host", False),  # the WebRTC switches on their own
        ({"network_isolation": "off", "block_webrtc": False}, "host", True),  # control
    ],
    ids=["defaults", "namespace-alone", "switches-alone", "control-hole-open"],
)
async def test_inner_webrtc_and_mdns_reach_no_canary(canary, rtc_page, overrides, network, hole):
    canary.clear()
    report, used = await _visit(rtc_page, **overrides)
    await asyncio.sleep(1.0)  # late retransmissions and mDNS announcements
    assert used == network
    if hole:
        assert report["webrtc"] and canary.udp, (report, canary)  # STUN/TURN arrived
        assert any(MAPPED_ADDRESS in c for c in report["candidates"]), report  # read back
        assert canary.mdns, "the control should show Chromium's mDNS traffic"
        return
    assert canary.silent, (canary.udp[:3], canary.tcp, canary.mdns[:3])
    assert report["candidates"] == [], report
    # The namespace alone must hold even with WebRTC fully on in the page.
    assert report["webrtc"] == (not overrides.get("block_webrtc", True))
