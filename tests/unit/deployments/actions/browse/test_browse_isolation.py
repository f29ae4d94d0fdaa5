"""Chromium's isolation without Chromium: the network namespace holder, the launcher (run for
real with a stand-in browser that reports what it got) and the planner's fallbacks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from deployments.actions.browse import launcher
from deployments.actions.browse.config import BrowseSettings
from deployments.actions.browse.isolation import (
    NETWORK_NAMESPACE,
    WEBRTC_DISABLED_FEATURES,
    BrowserIsolation,
    IsolationUnavailable,
)
from deployments.actions.browse.netjail import JailUnavailable, NetJail

PLAYWRIGHT_FEATURES = "--disable-features=MediaRouter,PaintHolding"
# A stand-in for Chromium: writes its argv, environment, ids and network to a JSON file.
FAKE_BROWSER = """#!/usr/bin/python3
import json, os, socket, sys
out = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--report=")][0]
with open(out, "w") as handle:
    json.dump({"argv": sys.argv[1:], "env": dict(os.environ), "uid": os.getuid(),
               "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
               "interfaces": sorted(n for _, n in socket.if_nameindex()),
               "netns": os.stat("/proc/self/ns/net").st_ino}, handle)
"""


@pytest.fixture
def tmp_path():
    """A temporary directory the unprivileged browser uid can enter (pytest's is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="ifz-browse-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def jail():
    try:
        made = NetJail.create()
    except JailUnavailable as exc:
        pytest.skip(f"no network namespaces on this host: {exc}")
    yield made
    made.close()


def test_the_namespace_has_only_loopback_and_the_proxy_socket_is_inside(jail):
    listener = jail.listen()
    port = listener.getsockname()[1]
    probe = (
        "import socket, sys; c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5);"
        "c.sendall(b'inside'); print(sorted(n for _, n in socket.if_nameindex()))"
    )
    done = subprocess.run(
        [*jail.enter_command(), sys.executable, "-I", "-c", probe, str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['lo']"
    listener.settimeout(5)
    conn, _ = listener.accept()
    assert conn.recv(16) == b"inside"
    conn.close()
    # From the replica's own namespace the proxy port is not there.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert jail.inode() != os.stat("/proc/self/ns/net").st_ino
    listener.close()


def test_the_holder_exits_with_its_channel(jail):
    assert jail.alive
    jail.close()
    assert not jail.alive
    with pytest.raises(JailUnavailable, match="exited"):
        jail.listen()


def test_feature_lists_are_merged_not_replaced():
    args = [PLAYWRIGHT_FEATURES, "--headless", "--enable-features=A,MediaRouter", "--x=1"]
    merged = launcher.merge_features(args, ["WebRtcHideLocalIpsWithMdns"])
    assert merged == [
        "--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,PaintHolding",
        "--enable-features=A",
        "--headless",
        "--x=1",
    ]


def test_preferences_are_merged_into_the_profile(tmp_path):
    default = tmp_path / "Default"
    default.mkdir()
    (default / "Preferences").write_text(json.dumps({"webrtc": {"x": 1}, "other": True}))
    launcher.write_preferences(str(tmp_path), {"webrtc": {"ip_handling_policy": "p"}})
    prefs = json.loads((default / "Preferences").read_text())
    assert prefs == {"webrtc": {"x": 1, "ip_handling_policy": "p"}, "other": True}


def _run_launcher(tmp_path: Path, config: dict, env: dict[str, str]) -> dict:
    browser = tmp_path / "fake-chromium"
    browser.write_text(FAKE_BROWSER)
    browser.chmod(0o755)
    profile = tmp_path / "profile"
    profile.mkdir()
    report = tmp_path / "report" / "out.json"
    report.parent.mkdir()
    report.parent.chmod(0o777)
    config_path = tmp_path / "launch.json"
    config_path.write_text(json.dumps({**config, "chromium": str(browser)}))
    args = [f"--user-data-dir={profile}", PLAYWRIGHT_FEATURES, f"--report={report}"]
    done = subprocess.run(
        [sys.executable, "-I", "-S", launcher.__file__, str(config_path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(report.read_text())
    result["profile"] = profile
    return result


def test_launcher_cleans_the_environment_and_writes_preferences(tmp_path):
    config = {"preferences": {"webrtc": {"ip_handling_policy": "disable_non_proxied_udp"}}}
    env = {
        "PATH": "/usr/bin:/bin",
        "RAY_SECRET_TOKEN": "s3cret",
        "OPENAI_API_KEY": "k",
        "TZ": "UTC",
    }
    result = _run_launcher(tmp_path, {**config, "disable_features": ["X"]}, env)
    assert "RAY_SECRET_TOKEN" not in result["env"] and "OPENAI_API_KEY" not in result["env"]
    assert result["env"]["TZ"] == "UTC" and result["env"]["HOME"] == str(result["profile"])
    assert "--disable-features=X,MediaRouter,PaintHolding" in result["argv"]
    prefs = json.loads((result["profile"] / "Default" / "Preferences").read_text())
    assert prefs["webrtc"]["ip_handling_policy"] == "disable_non_proxied_udp"


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping root needs root")
def test_launcher_joins_the_namespace_and_drops_root(tmp_path, jail):
    isolation = BrowserIsolation(BrowseSettings(browser_uid=64513))
    isolation.jail = jail
    config = isolation._launch_config()
    result = _run_launcher(tmp_path, config, {"PATH": "/usr/bin:/bin"})
    assert (result["uid"], result["euid"], result["gid"]) == (64513, 64513, 64513)
    assert result["groups"] == []
    assert result["interfaces"] == ["lo"] and result["netns"] == jail.inode()
    profile = os.stat(result["profile"])
    assert profile.st_uid == 64513 and stat.S_IMODE(profile.st_mode) == 0o700
    assert set(WEBRTC_DISABLED_FEATURES) <= set(
        next(a for a in result["argv"] if a.startswith("--disable-features="))
        .split("=")[1]
        .split(",")
    )


def _no_jail(*_args, **_kwargs):
    raise JailUnavailable("unshare: unshare failed: Operation not permitted")


def test_required_isolation_fails_at_start_with_the_reason(monkeypatch):
    monkeypatch.setattr(NetJail, "create", classmethod(lambda cls: _no_jail()))
    isolation = BrowserIsolation(BrowseSettings())
    with pytest.raises(IsolationUnavailable, match="Operation not permitted") as info:
        isolation.prepare()
    assert "network_isolation" in str(info.value)
    isolation.close()


def test_preferred_isolation_falls_back_and_says_so(monkeypatch):
    monkeypatch.setattr(NetJail, "create", classmethod(lambda cls: _no_jail()))
    isolation = BrowserIsolation(BrowseSettings(network_isolation="preferred"))
    options = isolation.launch_options()
    report = isolation.report()
    assert report.network == "host" and report.strength == "weak"
    assert "Operation not permitted" in report.missing[NETWORK_NAMESPACE]
    assert isolation.listen() is None  # the proxy then listens on the host's loopback
    wrapper = Path(options["executable_path"])
    assert wrapper.read_text().startswith("#!/bin/sh") and os.access(wrapper, os.X_OK)
    isolation.close()
    assert not wrapper.exists()


def test_sandbox_fallback_only_when_preferred():
    required = BrowserIsolation(BrowseSettings(network_isolation="off"))
    assert required.use_sandbox()
    assert not required.sandbox_failed("No usable sandbox!")
    preferred = BrowserIsolation(
        BrowseSettings(network_isolation="off", chromium_sandbox="preferred")
    )
    assert not preferred.sandbox_failed("Target closed")  # not a sandbox problem: no retry
    assert preferred.sandbox_failed("FATAL: No usable sandbox! Update your kernel")
    assert not preferred.use_sandbox()
    preferred.launched(sandbox=False)
    report = preferred.report()
    assert (
        report.chromium_sandbox is False
        and "No usable sandbox" in report.missing["chromium_sandbox"]
    )
    assert report.strength == "weak"  # network_isolation off


def test_wrapper_directories_of_dead_replicas_are_removed(monkeypatch):
    monkeypatch.setattr(NetJail, "create", classmethod(lambda cls: _no_jail()))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = Path(tempfile.mkdtemp(prefix=f"ifz-browse-{dead.pid}-"))
    alive = Path(tempfile.mkdtemp(prefix=f"ifz-browse-{os.getpid()}-"))
    isolation = BrowserIsolation(BrowseSettings(network_isolation="preferred"))
    isolation.prepare()
    try:
        assert not stale.exists()  # its replica is gone
        assert alive.exists()  # this process still runs
    finally:
        isolation.close()
        shutil.rmtree(alive, ignore_errors=True)
