"""Files that hold secrets or personal data (key store, audit log, raw inputs): created 0600
in folders created 0700, whatever the process umask.

Modes are set with ``fchmod``/``chmod`` after creation, because the mode passed to
``open``/``mkdir`` is masked by the umask. Folders that already exist keep their mode (an
absolute log path may live in a shared folder such as /var/log); files of ours that exist
are tightened to 0600 when opened.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dirs(path: Path) -> Path:
    """Create ``path`` and its missing parents with mode 0700; returns ``path``."""
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another replica made it meanwhile
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)
    return path


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_APPEND | os.O_CREAT) -> int:
    """``os.open`` a file of ours, mode 0600 (also when it existed with a looser mode)."""
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new (or truncated) 0600 file."""
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def tighten(path: Path) -> None:
    """Set an existing file of ours to 0600 (no-op when it does not exist)."""
    try:
        if path.stat().st_mode & 0o777 != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass
    except PermissionError:
        logger.warning("cannot restrict %s to mode 0600 (not its owner)", path)
