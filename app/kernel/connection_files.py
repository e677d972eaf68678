"""Connection files of running kernels: finding them and reading them safely (Qt-free)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.connect import find_connection_file
from jupyter_core.paths import jupyter_runtime_dir

_PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


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


def runtime_dir() -> Path:
    return Path(jupyter_runtime_dir())


def list_connection_files(folder: Path | None = None) -> list[ConnectionFile]:
    """The kernel connection files in ``folder`` (the Jupyter runtime folder), newest first.

    Files that cannot be read are listed too (with no kernel name): opening one says why.
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
            name = str(json.loads(path.read_text(encoding="utf-8")).get("kernel_name") or "")
        except (OSError, ValueError, AttributeError):
            name = ""
        found.append(ConnectionFile(path, modified, name))
    return sorted(found, key=lambda f: f.modified, reverse=True)


def newest_connection_file(folder: Path | None = None) -> Path:
    """The most recently written connection file; raises if there is none."""
    files = list_connection_files(folder)
    if not files:
        raise ConnectionFileError(
            f"No kernel connection files in {folder or runtime_dir()}: start a kernel first "
            "(e.g. `jupyter kernel` or a notebook), or give the file's path."
        )
    return files[0].path


def resolve_connection_file(name: str, folder: Path | None = None) -> Path:
    """A path as given, or a name the way ``jupyter console --existing`` takes it (a file in the
    current or runtime folder, or a part of one: ``1234`` finds ``kernel-1234.json``). A name
    that matches nothing comes back as given, for :func:`read_connection_file` to report."""
    try:
        return Path(find_connection_file(name, path=[".", str(folder or runtime_dir())]))
    except OSError:
        return Path(name).expanduser()


def read_connection_file(path: Path) -> dict[str, Any]:
    """The connection info in ``path``, checked enough that connecting can only fail at the network."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConnectionFileError(
            f"Connection file {path} does not exist. The kernel may have exited; pick another "
            "(File ▸ Connect to Existing Kernel lists the running ones)."
        ) from None
    except OSError as error:
        raise ConnectionFileError(f"Cannot read connection file {path}: {error.strerror}.") from None
    try:
        info = json.loads(raw)
    except ValueError as error:
        raise ConnectionFileError(f"Connection file {path} is not valid JSON ({error}).") from None
    if not isinstance(info, dict):
        raise ConnectionFileError(f"Connection file {path} does not hold a JSON object.")
    missing = [key for key in ("ip", "key", *_PORTS) if key not in info]
    if missing:
        raise ConnectionFileError(
            f"Connection file {path} is not a kernel connection file: it lacks {', '.join(missing)}."
        )
    bad = [key for key in _PORTS if not isinstance(info[key], int) or not 0 < info[key] < 65536]
    if bad:
        raise ConnectionFileError(f"Connection file {path} has invalid ports: {', '.join(bad)}.")
    if info.get("transport", "tcp") not in ("tcp", "ipc"):
        raise ConnectionFileError(f"Connection file {path} names an unknown transport {info['transport']!r}.")
    info.setdefault("transport", "tcp")
    info.setdefault("signature_scheme", "hmac-sha256")
    return info
