"""Chromium's launcher: Playwright runs this (through a generated wrapper) as the browser.

Standard library only; run as ``python -I -S launcher.py CONFIG.json ARGS...``, where ARGS
are the arguments Playwright gives Chromium. It

- merges repeated ``--disable-features``/``--enable-features`` (Chromium keeps only the last
  one, so our list would otherwise replace Playwright's);
- writes profile preferences into the fresh ``--user-data-dir`` (WebRTC may use no UDP and
  no interface outside the proxy) and, when dropping root, gives the profile to that user;
- clears the environment (the replica's secrets stay out of the browser);
- execs ``[enter...] [drop...] chromium ARGS``: ``enter`` joins the network namespace
  (``nsenter``), ``drop`` switches to the unprivileged uid (``setpriv``).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

FEATURE_SWITCHES = ("--disable-features=", "--enable-features=")
KEPT_ENV = ("LANG", "LC_ALL", "TZ", "FONTCONFIG_PATH", "FONTCONFIG_FILE")


def merge_features(args: list[str], extra_disabled: list[str]) -> list[str]:
    """One ``--disable-features`` and one ``--enable-features`` holding every value given."""
    merged: dict[str, list[str]] = {prefix: [] for prefix in FEATURE_SWITCHES}
    merged["--disable-features="].extend(extra_disabled)
    rest = []
    for arg in args:
        prefix = next((p for p in FEATURE_SWITCHES if arg.startswith(p)), None)
        if prefix is None:
            rest.append(arg)
        else:
            merged[prefix].extend(f for f in arg[len(prefix) :].split(",") if f)
    disabled = set(merged["--disable-features="])
    out = []
    for prefix, features in merged.items():
        if prefix == "--enable-features=":
            features = [f for f in features if f not in disabled]  # disabling wins
        if features:
            out.append(prefix + ",".join(dict.fromkeys(features)))
    return out + rest


def user_data_dir(args: list[str]) -> str | None:
    for arg in args:
        if arg.startswith("--user-data-dir="):
            return arg.split("=", 1)[1]
    return None


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def write_preferences(profile: str, preferences: dict[str, Any]) -> None:
    """Merge ``preferences`` into ``PROFILE/Default/Preferences`` (read at start)."""
    directory = os.path.join(profile, "Default")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "Preferences")
    current: dict[str, Any] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            current = json.load(handle)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(_deep_merge(current, preferences), handle)


def give_to(path: str, uid: int, gid: int) -> None:
    """chown -R (no symlinks followed) and 0700 on the top directory."""
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)
    os.chown(path, uid, gid)
    os.chmod(path, 0o700)


def clean_env(environ: dict[str, str], home: str) -> dict[str, str]:
    env = {key: environ[key] for key in KEPT_ENV if key in environ}
    env.update(
        HOME=home,
        PATH="/usr/local/bin:/usr/bin:/bin",
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
    )
    return env


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    args = merge_features(argv[2:], config.get("disable_features", []))
    profile = user_data_dir(args)
    if profile is None:
        print("launcher: Playwright passed no --user-data-dir", file=sys.stderr)
        return 2
    if config.get("preferences"):
        write_preferences(profile, config["preferences"])
    uid = config.get("uid")
    if uid is not None:
        give_to(profile, uid, config.get("gid", uid))
    command = [*config.get("enter", []), *config.get("drop", []), config["chromium"], *args]
    os.execve(command[0], command, clean_env(dict(os.environ), profile))
    return 1  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv))
