"""Conch's private runtime folder (control sockets, the askpass socket) and the askpass wrapper.

Unix socket paths are limited to ~104 bytes and ssh appends 17 characters while it binds a
control socket, so the folder has a short path: ``$XDG_RUNTIME_DIR/conch`` when that is short,
else ``/tmp/conch-<uid>``. It must be a real folder owned by this user with mode 0700; if a
shared path is unsafe (someone else made it), a fresh ``mkdtemp`` folder is used instead.
"""
from __future__ import annotations

import hashlib
import os
import shlex
import stat
import sys
import tempfile
from pathlib import Path

RUNTIME_DIR_ENV = "CONCH_RUNTIME_DIR"
"""Overrides the folder (tests, or a system where /tmp is unusable)."""
MAX_FOLDER_CHARS = 60
"""Longest folder path used: room for ``/`` + a 20-character socket name + ssh's 17-character suffix."""

_chosen: Path | None = None


def runtime_dir() -> Path:
    """The private folder, created on first use (mode 0700, owned by this user)."""
    global _chosen
    if _chosen is not None and _is_private(_chosen):
        return _chosen
    for candidate in _candidates():
        try:
            candidate.mkdir(mode=0o700, parents=False, exist_ok=True)
        except OSError:
            continue
        _tighten(candidate)
        if _is_private(candidate):
            _chosen = candidate
            return candidate
    _chosen = Path(tempfile.mkdtemp(prefix="conch-"))
    return _chosen


def askpass_wrapper(folder: Path | None = None) -> Path:
    """An executable (mode 0700) that runs :mod:`conch.app.ssh.askpass` with this Python.

    ``SSH_ASKPASS`` takes a program path without arguments, hence the wrapper. Its name is a hash
    of its content, so it is written once per interpreter and never changes under a running ssh.
    The helper file is run directly (``-I``: isolated, stdlib only), without importing Conch.
    """
    folder = folder or runtime_dir()
    if getattr(sys, "frozen", False):  # the standalone bundle: no source file, its executable runs modules
        run = f"-m {shlex.quote('conch.app.ssh.askpass')}"
    else:
        run = f"-I {shlex.quote(str(Path(__file__).with_name('askpass.py')))}"
    content = f"#!/bin/sh\nexec {shlex.quote(sys.executable)} {run} \"$@\"\n"
    digest = hashlib.sha256(content.encode()).hexdigest()[:12]
    path = folder / f"askpass-{digest}"
    try:
        if path.read_text(encoding="utf-8") == content and os.access(path, os.X_OK):
            return path
    except OSError:
        pass
    partial = folder / f".{path.name}.{os.getpid()}"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(content)
    os.chmod(partial, 0o700)
    os.replace(partial, path)
    return path


def _candidates() -> list[Path]:
    found = []
    override = os.environ.get(RUNTIME_DIR_ENV)
    if override:
        found.append(Path(override))
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and len(xdg) + len("/conch") <= MAX_FOLDER_CHARS:
        found.append(Path(xdg) / "conch")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    found.append(Path(tempfile.gettempdir() if len(tempfile.gettempdir()) < 30 else "/tmp") / f"conch-{uid}")
    return [path for path in found if len(str(path)) <= MAX_FOLDER_CHARS]


def _tighten(path: Path) -> None:
    """Mode 0700 on a folder of ours that is looser (never through a symlink)."""
    try:
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode) and (not hasattr(os, "getuid") or info.st_uid == os.getuid()):
            os.chmod(path, 0o700)
    except OSError:
        pass


def _is_private(path: Path) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and owner_ok and stat.S_IMODE(info.st_mode) & 0o077 == 0
