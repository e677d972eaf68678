"""One Conch per user and settings folder: a second launch hands its request to the running one
(which opens a tab, or a dialog, in its window) and exits. Qt-free: the second launch finds
the first before importing Qt, so handing over takes milliseconds.

The running Conch listens on a local (Unix-domain) socket in the user's runtime folder, named
after the settings folder, so a test or a second profile (``CONCH_CONFIG_DIR``) has its own.
A request is one line of JSON (at most :data:`REQUEST_LIMIT` bytes); the answer is ``ok``.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

REQUEST_LIMIT = 64 * 1024
CONNECT_TIMEOUT = 0.5
"""Seconds to reach a running Conch before starting a new one (a live one answers in ms)."""
ANSWER_TIMEOUT = 3.0
"""Seconds to wait for the running Conch to take the request (its event loop may be busy)."""
KINDS = ("local", "existing", "server", "ssh", "connect_server", "connect_ssh", "show")
"""What a request asks for: a tab on a new local kernel, on a connection file, on a server, over
SSH; the Connect to Server or over SSH dialog; or only to bring the window up."""


def socket_path() -> Path:
    """Where the running Conch listens: the runtime folder, one name per settings folder."""
    from conch.app.settings import config_dir

    digest = hashlib.sha256(str(config_dir().absolute()).encode()).hexdigest()[:16]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    folder = Path(runtime) if runtime and os.path.isdir(runtime) else Path(tempfile.gettempdir())
    return folder / f"conch-{os.getuid() if hasattr(os, 'getuid') else 0}-{digest}.sock"


def make_request(kind: str, **fields: Any) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    return {"kind": kind, **{key: value for key, value in fields.items() if value not in (None, "", [], ())}}


def encode(request: dict[str, Any]) -> bytes:
    data = json.dumps(request, ensure_ascii=False).encode() + b"\n"
    if len(data) > REQUEST_LIMIT:
        raise ValueError("request too long")
    return data


def decode(line: bytes) -> dict[str, Any] | None:
    """A request read from the socket, or None if it is not one (wrong shape, too long)."""
    if len(line) > REQUEST_LIMIT:
        return None
    try:
        request = json.loads(line.decode())
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(request, dict) or request.get("kind") not in KINDS:
        return None
    for key, value in request.items():
        if key == "ssh_options":
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                return None
        elif not isinstance(value, str):
            return None
    return request


def hand_over(request: dict[str, Any], path: Path | None = None) -> bool:
    """Give ``request`` to the running Conch; True once it said it took it, False if none is
    running (no socket, or a stale one nobody listens on) or it did not answer in time."""
    path = path or socket_path()
    if not hasattr(socket, "AF_UNIX") or not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(CONNECT_TIMEOUT)
        try:
            connection.connect(str(path))
            connection.settimeout(ANSWER_TIMEOUT)
            connection.sendall(encode(request))
            answer = connection.recv(16)
        except OSError:
            return False
    return answer.startswith(b"ok")
