"""User settings: one typed object read from ``settings.json`` (Qt-free).

The file lives in the user's config folder (``CONCH_CONFIG_DIR`` overrides it)::

    {"shortcuts": {"execute_now": ["Shift+Return", "Ctrl+J"], "clear_transcript": "Ctrl+K"},
     "confirm_exit": false, "ca_file": "~/certs/lab-ca.pem"}

A missing file means defaults; a broken one (not JSON, not UTF-8, too big, too deep, a FIFO or
a device instead of a file: see ``conch.app.safe_read``) means defaults plus a message naming the
problem. Loading never blocks and never raises.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from conch.app.safe_read import UnreadableFile, read_json
from conch.app.shortcuts import SHORTCUTS, resolve

SETTINGS_FILE = "settings.json"
SETTINGS_LIMIT = 1 << 20
"""The biggest settings file read (1 MiB: a few lines of JSON are typical)."""
SETTINGS_DEPTH = 16
"""The deepest nesting a settings file may have (it needs 2)."""


def config_dir() -> Path:
    """Where Conch keeps its settings."""
    override = os.environ.get("CONCH_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("conch", appauthor=False))


@dataclass
class Settings:
    """Everything a user can configure, with its defaults."""

    shortcuts: dict[str, tuple[str, ...]] = field(default_factory=lambda: {s.action: s.keys for s in SHORTCUTS})
    confirm_exit: bool = True
    """Ask before ``exit`` closes a tab."""
    ca_file: str | None = None
    """PEM certificates to trust for ``https`` Jupyter servers besides the system's (a
    self-signed server's certificate, or a company CA); ``--ca-file`` overrides it."""
    problems: list[str] = field(default_factory=list)
    """What was wrong with the settings file (shown to the user once); empty when all is well."""

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        path = path or config_dir() / SETTINGS_FILE
        settings = cls()
        try:
            data = read_json(path, SETTINGS_LIMIT, "settings file", max_depth=SETTINGS_DEPTH)
        except UnreadableFile as error:
            if error.problem != "missing":
                settings.problems.append(f"{error}; using defaults")
            return settings
        shortcuts = data.get("shortcuts", {})
        if not isinstance(shortcuts, dict):
            settings.problems.append(f"{path}: \"shortcuts\" must be an object of action: keys")
            shortcuts = {}
        settings.shortcuts, problems = resolve(shortcuts)
        settings.problems.extend(f"{path}: {problem}" for problem in problems)
        confirm_exit = data.get("confirm_exit", True)
        if isinstance(confirm_exit, bool):
            settings.confirm_exit = confirm_exit
        else:
            settings.problems.append(f"{path}: \"confirm_exit\" must be true or false; using true")
        ca_file = data.get("ca_file")
        if isinstance(ca_file, str) and ca_file.strip():
            settings.ca_file = os.path.expanduser(ca_file.strip())
        elif ca_file is not None:
            settings.problems.append(f"{path}: \"ca_file\" must be the path of a PEM file")
        return settings
