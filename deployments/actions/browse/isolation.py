"""How Chromium is launched: its own network namespace, an unprivileged uid, its sandbox.

:class:`BrowserIsolation` plans the layers from :class:`BrowseSettings` and the host, and
hands Playwright a generated ``executable_path``: a wrapper that runs ``launcher.py``,
which joins the namespace (:class:`NetJail`), drops to ``browser_uid`` and execs Chromium
with WebRTC switched off. The egress proxies listen inside the namespace (:meth:`listen`).
What is in force, and what is not and why, is reported by :meth:`report`.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.netjail import JailUnavailable, NetJail
from deployments.actions.browse.protocol import IsolationReport

logger = logging.getLogger(__name__)

LAUNCHER = Path(__file__).with_name("launcher.py")
NETWORK_NAMESPACE = "network_namespace"
UNPRIVILEGED_UID = "unprivileged_uid"
CHROMIUM_SANDBOX = "chromium_sandbox"
WEBRTC_OFF = "webrtc_off"

# Profile preferences: WebRTC may use no UDP that bypasses the proxy and no other route.
WEBRTC_PREFERENCES = {
    "webrtc": {
        "ip_handling_policy": "disable_non_proxied_udp",
        "multiple_routes_enabled": False,
        "nonproxied_udp_enabled": False,
    }
}
WEBRTC_ARGS = ["--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]
# mDNS host candidates (multicast announcements) and local-network media discovery.
WEBRTC_DISABLED_FEATURES = [
    "WebRtcHideLocalIpsWithMdns",
    "MediaRouter",
    "DialMediaRouteProvider",
    "CastMediaRouteProvider",
]
# Every frame: no RTCPeerConnection for page scripts (the namespace holds without it).
NO_WEBRTC_INIT_JS = """(() => {
  for (const name of ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCIceTransport"]) {
    try { delete window[name]; } catch (e) {}
  }
})();"""


DIR_PREFIX = "ifz-browse-"  # + pid: the wrapper and its config, one directory per replica


def _remove_stale_dirs() -> None:
    """Remove wrapper directories of replicas that died without closing (Ray kills them)."""
    for path in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*-*"):
        pid = path.name[len(DIR_PREFIX) :].split("-", 1)[0]
        try:
            if not pid.isdigit() or path.lstat().st_uid != os.geteuid() or not path.is_dir():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


class IsolationUnavailable(RuntimeError):
    """A layer the settings require cannot be set up on this host."""


class BrowserIsolation:
    """The layers around Chromium; :meth:`prepare` once, :meth:`launch_options` per launch."""

    def __init__(self, settings: BrowseSettings) -> None:
        self.settings = settings
        self.jail: NetJail | None = None
        self.missing: dict[str, str] = {}
        self.sandbox: bool | None = None  # Chromium's own sandbox, known after a launch
        self._sandbox_failed: str | None = None
        self._dir: str | None = None
        self._prepared = False
        self.is_root = os.geteuid() == 0
        self.uid = settings.browser_uid if self.is_root else os.geteuid()
        self.gid = settings.browser_uid if self.is_root else os.getegid()

    # -- planning ----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the namespace and the wrapper; raises IsolationUnavailable when a required
        layer is impossible here. Idempotent; re-creates a namespace whose holder died."""
        mode = self.settings.network_isolation
        if mode == "off":
            self.missing[NETWORK_NAMESPACE] = "disabled in config (network_isolation: off)"
        elif self.jail is None or not self.jail.alive:
            if self.jail is not None:
                logger.warning("the browse network namespace holder died; making a new one")
                self.jail.close()
                self.jail = None
            try:
                self.jail = NetJail.create()
                self.missing.pop(NETWORK_NAMESPACE, None)
            except JailUnavailable as exc:
                if mode == "required":
                    raise IsolationUnavailable(
                        f"browse: {exc}. Chromium must not share the host network "
                        "(WebRTC/UDP would bypass the SSRF guard); run the replica as root or "
                        "allow unprivileged user namespaces, or set "
                        "actions.browse.network_isolation to 'preferred' (host network, "
                        "flagged in /healthz) or 'off'"
                    ) from None
                self.missing[NETWORK_NAMESPACE] = str(exc)
                logger.error("browse: Chromium uses the host network: %s", exc)
        if self.is_root and shutil.which("setpriv") is None:
            raise IsolationUnavailable(
                "browse: setpriv (Debian util-linux) not found; Chromium would run as root"
            )
        if not self.settings.block_webrtc:
            self.missing[WEBRTC_OFF] = "disabled in config (block_webrtc: false)"
        if self.settings.chromium_sandbox == "off":
            self.missing[CHROMIUM_SANDBOX] = "disabled in config (chromium_sandbox: off)"
        if self._dir is None:
            _remove_stale_dirs()
            self._dir = tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-")
        self._prepared = True

    @property
    def wrapper(self) -> str:
        assert self._dir is not None
        return os.path.join(self._dir, "chromium")

    def _launch_config(self) -> dict[str, Any]:
        block = self.settings.block_webrtc
        drop: list[str] = []
        if self.is_root:
            drop = [
                shutil.which("setpriv") or "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.gid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--",
            ]
        return {
            "chromium": self.settings.chromium_path,
            "enter": self.jail.enter_command() if self.jail is not None else [],
            "drop": drop,
            "uid": self.uid if self.is_root else None,
            "gid": self.gid if self.is_root else None,
            "preferences": WEBRTC_PREFERENCES if block else {},
            "disable_features": WEBRTC_DISABLED_FEATURES if block else [],
        }

    def _write_wrapper(self) -> None:
        assert self._dir is not None
        config = os.path.join(self._dir, "launch.json")
        with open(config, "w", encoding="utf-8") as handle:
            json.dump(self._launch_config(), handle)
        script = (
            "#!/bin/sh\n# Generated by deployments/actions/browse/isolation.py\nexec "
            + " ".join(shlex.quote(a) for a in (sys.executable, "-I", "-S", str(LAUNCHER), config))
            + ' "$@"\n'
        )
        with open(self.wrapper, "w", encoding="utf-8") as handle:
            handle.write(script)
        os.chmod(self.wrapper, 0o700)

    def use_sandbox(self) -> bool:
        """Whether the next launch asks for Chromium's own sandbox."""
        mode = self.settings.chromium_sandbox
        return mode == "required" or (mode == "preferred" and self._sandbox_failed is None)

    def launch_options(self) -> dict[str, Any]:
        """Keyword arguments for ``playwright.chromium.launch`` (prepares first)."""
        self.prepare()
        self._write_wrapper()
        args = list(self.settings.chromium_args)
        if self.settings.block_webrtc:
            args += WEBRTC_ARGS
        return {
            "executable_path": self.wrapper,
            "args": args,
            "chromium_sandbox": self.use_sandbox(),
        }

    def launched(self, sandbox: bool) -> None:
        """Record what the successful launch used."""
        self.sandbox = sandbox
        if not sandbox and self.settings.chromium_sandbox != "off":
            self.missing[CHROMIUM_SANDBOX] = self._sandbox_failed or "not in force"

    def sandbox_failed(self, message: str) -> bool:
        """A launch with the sandbox failed; True when a retry without it is allowed."""
        if self.settings.chromium_sandbox != "preferred" or "sandbox" not in message.lower():
            return False
        first_line = (message.strip().splitlines() or ["failed"])[0]
        self._sandbox_failed = f"Chromium could not start its sandbox: {first_line[:300]}"
        logger.error("browse: %s; running Chromium with --no-sandbox", self._sandbox_failed)
        return True

    # -- use ---------------------------------------------------------------------------------

    @property
    def namespace_alive(self) -> bool:
        """False when Chromium's namespace holder died (a relaunch makes a new one)."""
        return self.jail is None or self.jail.alive

    def listen(self) -> socket.socket | None:
        """A listening socket inside Chromium's namespace for one egress proxy (None: host
        network, the proxy listens on the host's loopback)."""
        if self.jail is None:
            return None
        try:
            return self.jail.listen()
        except JailUnavailable as exc:
            raise IsolationUnavailable(f"browse: {exc}") from None

    def init_scripts(self) -> list[str]:
        return [NO_WEBRTC_INIT_JS] if self.settings.block_webrtc else []

    def report(self, process_uids: list[int] | None = None) -> IsolationReport:
        if self.settings.backend == "http":
            return IsolationReport(
                renderer="http",
                network="host",
                browser_uid=self.uid,
                webrtc_blocked=self.settings.block_webrtc,
                strength="n/a",
            )
        layers = []
        if self.jail is not None:
            layers.append(NETWORK_NAMESPACE)
        if self.uid != 0:
            layers.append(UNPRIVILEGED_UID)
        if self.sandbox or (self.sandbox is None and self.use_sandbox()):
            layers.append(CHROMIUM_SANDBOX)
        if self.settings.block_webrtc:
            layers.append(WEBRTC_OFF)
        missing = {k: v for k, v in self.missing.items() if k not in layers}
        if not self._prepared:
            missing.setdefault(NETWORK_NAMESPACE, "not prepared yet")
        strength = (
            "weak" if NETWORK_NAMESPACE not in layers else ("reduced" if missing else "strong")
        )
        return IsolationReport(
            network="namespace" if self.jail is not None else "host",
            browser_uid=self.uid,
            chromium_sandbox=self.sandbox,
            webrtc_blocked=self.settings.block_webrtc,
            layers=layers,
            missing=missing,
            strength=strength,
            process_uids=sorted(set(process_uids or [])),
        )

    def close(self) -> None:
        if self.jail is not None:
            self.jail.close()
            self.jail = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
