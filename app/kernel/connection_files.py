"""Connection files of running kernels: finding them and reading them safely (Qt-free).

Every read goes through ``conch.app.safe_read``: a FIFO, a device or a folder in the runtime
folder (or named by ``--existing``) is refused without being opened for a blocking read, and a
file is read up to :data:`CONNECTION_FILE_LIMIT` bytes at most.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.connect import find_connection_file
from jupyter_core.paths import jupyter_runtime_dir

from conch.app.safe_read import UnreadableFile, read_json

_PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
_HASHES = {name for name in hashlib.algorithms_guaranteed if not name.startswith("shake")}
CONNECTION_FILE_LIMIT = 64 << 10
"""The biggest connection file read (64 KiB; jupyter_client writes about 300 bytes)."""
CONNECTION_FILE_DEPTH = 8
"""The deepest nesting a connection file may have (jupyter_client writes 1)."""


class ConnectionFileError(ValueError):
    """A connection file is missing, unreadable, or does not describe a kernel."""


@dataclass(frozen=True)
class ConnectionFile:
    """A connection file found in the runtime folder."""

    path: Path
    modified: float
    """Seconds since the epoch."""
    kernel_name: str
    """The kernelspec name if the file records one (jupyter_client writes it), else ""."""
    problem: str = ""
    """Why the file cannot be used (the message :func:`read_connection_file` raises), or ""."""


def runtime_dir() -> Path:
    return Path(jupyter_runtime_dir())


def list_connection_files(folder: Path | None = None) -> list[ConnectionFile]:
    """The kernel connection files in ``folder`` (the Jupyter runtime folder), newest first.

    Files that cannot be used are listed too, with the reason in ``problem``; none of them is
    ever opened for a blocking read (a FIFO is refused after a ``stat``), so listing never hangs.
    """
    folder = folder or runtime_dir()
    try:
        candidates = [p for p in folder.iterdir() if p.suffix == ".json" and p.name.startswith("kernel-")]
    except OSError:
        return []
    found = []
    for path in candidates:
        try:
            modified = path.stat().st_mtime
        except OSError:
            continue
        try:
            info = read_connection_file(path)
        except ConnectionFileError as error:
            found.append(ConnectionFile(path, modified, "", str(error)))
            continue
        found.append(ConnectionFile(path, modified, str(info.get("kernel_name") or "")))
    return sorted(found, key=lambda f: f.modified, reverse=True)


def newest_connection_file(folder: Path | None = None) -> Path:
    """The most recently written usable connection file; raises if there is none."""
    files = list_connection_files(folder)
    usable = [f for f in files if not f.problem]
    if usable:
        return usable[0].path
    where = folder or runtime_dir()
    if not files:
        raise ConnectionFileError(
            f"No kernel connection files in {where}: start a kernel first "
            "(e.g. `jupyter kernel` or a notebook), or give the file's path."
        )
    reasons = "\n".join(f"  {f.problem}" for f in files[:5]) + ("\n  …" if len(files) > 5 else "")
    raise ConnectionFileError(
        f"No usable kernel connection files in {where}: start a kernel first, or give the file's "
        f"path. These cannot be used:\n{reasons}"
    )


def resolve_connection_file(name: str, folder: Path | None = None) -> Path:
    """A path as given, or a name the way ``jupyter console --existing`` takes it (a file in the
    current or runtime folder, or a part of one: ``1234`` finds ``kernel-1234.json``). A name
    that matches nothing comes back as given, for :func:`read_connection_file` to report."""
    try:
        return Path(find_connection_file(name, path=[".", str(folder or runtime_dir())]))
    except (OSError, ValueError):
        return Path(name).expanduser()


def read_connection_file(path: Path) -> dict[str, Any]:
    """The connection info in ``path``, checked enough that connecting can only fail at the network."""
    try:
        info = read_json(path, CONNECTION_FILE_LIMIT, "connection file", max_depth=CONNECTION_FILE_DEPTH)
    except UnreadableFile as error:
        if error.problem == "missing":
            raise ConnectionFileError(
                f"Connection file {path} does not exist. The kernel may have exited; pick another "
                "(File ▸ Connect to Existing Kernel lists the running ones)."
            ) from None
        text = str(error)
        raise ConnectionFileError(text if text.endswith(("?", ".")) else f"{text}.") from None
    missing = [key for key in ("ip", "key", *_PORTS) if key not in info]
    if missing:
        raise ConnectionFileError(
            f"Connection file {path} is not a kernel connection file: it lacks {', '.join(missing)}."
        )
    bad = [key for key in _PORTS if type(info[key]) is not int or not 0 < info[key] < 65536]
    if bad:
        raise ConnectionFileError(f"Connection file {path} has invalid ports: {', '.join(bad)}.")
    if info.get("transport", "tcp") not in ("tcp", "ipc"):
        raise ConnectionFileError(f"Connection file {path} names an unknown transport {info['transport']!r}.")
    if not isinstance(info["ip"], str) or not info["ip"]:
        raise ConnectionFileError(f"Connection file {path} has an invalid ip {info['ip']!r}.")
    if not isinstance(info["key"], str) or not info["key"].isascii():
        raise ConnectionFileError(f"Connection file {path} has an invalid key: it must be ASCII text.")
    scheme = info.get("signature_scheme") or "hmac-sha256"
    if not isinstance(scheme, str) or not scheme.startswith("hmac-") or scheme[5:] not in _HASHES:
        raise ConnectionFileError(
            f"Connection file {path} names an unknown signature_scheme {scheme!r} (expected e.g. \"hmac-sha256\")."
        )
    info.setdefault("transport", "tcp")
    info["signature_scheme"] = scheme
    return info
