"""What Conch remembers of the last session (Qt-free): ``session.json`` in the config folder.

Machine-written, beside the hand-edited ``settings.json``::

    {"version": 1,
     "geometry": "AdnQywADAAAA…", "window_state": "AAAA/wAAAAD9…",   (base64 of Qt's bytes)
     "zoom": 0,
     "tabs": [{"kind": "local", "kernel_name": "python3", "display_name": "Python 3", "title": "work"},
              {"kind": "server", "kernel_name": "ir", "url": "https://host/", "ca_file": null},
              {"kind": "ssh", "kernel_name": "python3", "host": "lab", "ssh_options": ["-p", "2222"]},
              {"kind": "connection_file", "kernel_name": "python3", "path": "/run/…/kernel-1.json"}],
     "recent_files": ["/run/…/kernel-1.json"]}

Server URLs are base URLs, never with a token (a token the user asked to keep is in the OS
keyring). Reading never blocks and never raises: a malformed file or entry is logged and
skipped. Writing is atomic (a temporary file, then ``os.replace``). Recent servers and SSH
hosts are kept by :mod:`conch.app.recent_servers`, not here.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from conch.app.recent_servers import RECENT_FILE, RECENT_HOSTS_FILE
from conch.app.safe_read import UnreadableFile, read_json
from conch.app.settings import config_dir

log = logging.getLogger(__name__)

SESSION_FILE = "session.json"
SESSION_LIMIT = 512 * 1024
"""The biggest session file read (a window's geometry and a few dozen tabs take a few KiB)."""
RECENT_FILES_LIMIT = 10
TABS_LIMIT = 64
"""At most this many tabs are remembered (and offered again)."""
_FIELD_LIMIT = 4096
"""The longest string kept from the file (a path, a URL, a name)."""

TabKind = Literal["local", "server", "ssh", "connection_file"]
TAB_KINDS: tuple[str, ...] = get_args(TabKind)


@dataclass(frozen=True)
class TabRecord:
    """How to open a tab like one of the last session: never which kernel it was on."""

    kind: TabKind
    kernel_name: str = ""
    display_name: str = ""
    """The kernelspec's display name, when known ("Python 3 (ipykernel)")."""
    title: str | None = None
    """The name the user gave the tab (None: named after its kernel)."""
    url: str | None = None
    """``server``: the server's base URL (never a token)."""
    ca_file: str | None = None
    """``server``: certificates trusted for it besides the system's."""
    host: str | None = None
    """``ssh``: the host as the user typed it."""
    ssh_options: tuple[str, ...] = ()
    path: str | None = None
    """``connection_file``: the connection file."""

    @property
    def reopenable(self) -> bool:
        """A new kernel like this one can be started (a connection file names someone's kernel:
        it is offered under File ▸ Open Recent instead)."""
        return self.kind != "connection_file"

    def describe(self) -> str:
        """The tab in a few words: "Python 3", "ir (on https://host/)", "python3 (over SSH on lab)"."""
        name = self.title or self.display_name or self.kernel_name or "kernel"
        if self.kind == "server":
            return f"{name} (on {self.url})"
        if self.kind == "ssh":
            return f"{name} (over SSH on {self.host})"
        if self.kind == "connection_file":
            return f"{name} (from {Path(self.path or '').name})"
        return name

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "kernel_name": self.kernel_name}
        if self.display_name:
            data["display_name"] = self.display_name
        if self.title:
            data["title"] = self.title
        if self.kind == "server":
            data["url"], data["ca_file"] = self.url, self.ca_file
        elif self.kind == "ssh":
            data["host"], data["ssh_options"] = self.host, list(self.ssh_options)
        elif self.kind == "connection_file":
            data["path"] = self.path
        return data

    @classmethod
    def from_json(cls, data: object) -> "TabRecord | None":
        """The record in ``data``, or None (logged) when it is not a usable one."""
        problem = _tab_problem(data)
        if problem:
            log.warning("session file: skipping a tab entry: %s", problem)
            return None
        assert isinstance(data, dict)
        return cls(
            kind=data["kind"],
            kernel_name=data.get("kernel_name") or "",
            display_name=_text(data.get("display_name")) or "",
            title=_text(data.get("title")),
            url=_text(data.get("url")),
            ca_file=_text(data.get("ca_file")),
            host=_text(data.get("host")),
            ssh_options=tuple(data.get("ssh_options") or ()),
            path=_text(data.get("path")),
        )


def server_record(url: str, ca_file: str | None = None) -> TabRecord:
    """A tab on a Jupyter server at base URL ``url`` (the kernel name is filled in later); a
    URL holding a token or a password is not kept (such a tab is not remembered)."""
    return TabRecord("server", url=url if _safe_url(url) else None, ca_file=ca_file)


@dataclass
class SessionState:
    """Everything in ``session.json``."""

    geometry: bytes = b""
    """Qt's ``saveGeometry()``."""
    window_state: bytes = b""
    """Qt's ``saveState()``."""
    zoom: int = 0
    """The window's zoom step (0: the default size)."""
    tabs: list[TabRecord] = field(default_factory=list)
    """The last session's tabs, left to right."""
    recent_files: list[str] = field(default_factory=list)
    """Connection files tabs attached to, newest first."""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "geometry": base64.b64encode(self.geometry).decode("ascii"),
            "window_state": base64.b64encode(self.window_state).decode("ascii"),
            "zoom": self.zoom,
            "tabs": [tab.to_json() for tab in self.tabs[:TABS_LIMIT]],
            "recent_files": self.recent_files[:RECENT_FILES_LIMIT],
        }


def session_path(folder: Path | None = None) -> Path:
    return (folder or config_dir()) / SESSION_FILE


def load_session(folder: Path | None = None) -> SessionState:
    """The state in ``folder`` (the config folder by default); defaults for what is missing or
    malformed (logged). Never raises, never blocks."""
    path = session_path(folder)
    state = SessionState()
    try:
        data = read_json(path, SESSION_LIMIT, "session file", max_depth=6)
    except UnreadableFile as error:
        if error.problem != "missing":
            log.warning("%s; starting afresh", error)
        return state
    state.geometry = _bytes(data.get("geometry"), "geometry")
    state.window_state = _bytes(data.get("window_state"), "window_state")
    zoom = data.get("zoom", 0)
    if isinstance(zoom, int) and not isinstance(zoom, bool) and -100 <= zoom <= 100:
        state.zoom = zoom
    else:
        log.warning("session file: ignoring zoom %r", zoom)
    tabs = data.get("tabs", [])
    if isinstance(tabs, list):
        records = (TabRecord.from_json(entry) for entry in tabs[:TABS_LIMIT])
        state.tabs = [record for record in records if record is not None]
    else:
        log.warning("session file: \"tabs\" is not a list; ignored")
    files = data.get("recent_files", [])
    if isinstance(files, list):
        state.recent_files = _dedup([f for f in files if _text(f) and "\0" not in f])[:RECENT_FILES_LIMIT]
    else:
        log.warning("session file: \"recent_files\" is not a list; ignored")
    return state


def save_session(state: SessionState, folder: Path | None = None) -> None:
    """Write ``state`` atomically (raises OSError when the folder cannot be written)."""
    path = session_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(state.to_json(), indent=1), encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def update_session(folder: Path | None = None, **changes: Any) -> SessionState:
    """Load, change the named fields (``zoom=2``, ``tabs=[]``...), save; returns the new state.
    A failure to save is logged, not raised: memory is a convenience."""
    state = replace(load_session(folder), **changes)
    try:
        save_session(state, folder)
    except OSError as error:
        log.warning("could not save the session file %s: %s", session_path(folder), error)
    return state


def remember_connection_file(path: Path | str, folder: Path | None = None) -> list[str]:
    """Put connection file ``path`` first among the recent ones; returns them."""
    name = os.path.abspath(os.fspath(path))
    files = _dedup([name, *load_session(folder).recent_files])[:RECENT_FILES_LIMIT]
    return update_session(folder, recent_files=files).recent_files


def clear_recent(folder: Path | None = None) -> None:
    """Forget the recent connection files, servers and SSH hosts."""
    update_session(folder, recent_files=[])
    for name in (RECENT_FILE, RECENT_HOSTS_FILE):
        try:
            ((folder or config_dir()) / name).unlink(missing_ok=True)
        except OSError as error:
            log.warning("could not clear %s: %s", name, error)


# -- checking entries ---------------------------------------------------------------------------
def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= _FIELD_LIMIT else None


def _dedup(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _safe_url(url: str) -> bool:
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return False
    return "token=" not in url.lower() and "@" not in netloc


def _bytes(value: object, name: str) -> bytes:
    if value is None or value == "":
        return b""
    if isinstance(value, str) and len(value) <= _FIELD_LIMIT * 4:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    log.warning("session file: ignoring %s (not base64)", name)
    return b""


def _tab_problem(data: object) -> str:
    """Why ``data`` is not a tab record ("" if it is one)."""
    if not isinstance(data, dict):
        return f"not an object: {type(data).__name__}"
    if data.get("kind") not in TAB_KINDS:
        return f"unknown kind {data.get('kind')!r}"
    for key in ("kernel_name", "display_name", "title", "url", "ca_file", "host", "path"):
        value = data.get(key)
        if value is not None and _text(value) is None and value != "":
            return f"{key} is not a short string"
    options = data.get("ssh_options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) and len(o) <= _FIELD_LIMIT for o in options):
        return "ssh_options is not a list of strings"
    kind = data["kind"]
    if kind == "server" and (not _text(data.get("url")) or not _safe_url(data["url"])):
        return "a server tab needs a URL without a token or password"
    if kind == "ssh" and not _text(data.get("host")):
        return "an SSH tab needs a host"
    if kind == "connection_file" and not _text(data.get("path")):
        return "a connection-file tab needs a path"
    if kind != "connection_file" and not _text(data.get("kernel_name")):
        return "no kernel name"
    return ""
