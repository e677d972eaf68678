"""User settings: one typed object read from ``settings.json`` (Qt-free).

The file lives in the user's config folder (``CONCH_CONFIG_DIR`` overrides it)::

    {"shortcuts": {"execute_now": ["Shift+Return", "Ctrl+J"], "clear_transcript": "Ctrl+K"},
     "confirm_exit": false, "ca_file": "~/certs/lab-ca.pem", "font_size": 12, "theme": "dark"}

A missing file means defaults; a broken one (not JSON, not UTF-8, too big, too deep, a FIFO or
a device instead of a file: see ``conch.app.safe_read``) means defaults plus a message naming the
problem. A bad value (wrong type, out of range) is reported naming its key and ignored: that
key keeps its default. Loading never blocks and never raises.

:meth:`Settings.save` writes the file back for Edit ▸ Preferences, keeping it hand-editable:
keys Conch does not know and keys the user wrote stay, other values are written only when they
differ from the defaults, and a file that cannot be read is never overwritten.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conch.app.safe_read import UnreadableFile, read_json
from conch.app.shortcuts import SHORTCUTS, resolve

SETTINGS_FILE = "settings.json"
SETTINGS_LIMIT = 1 << 20
"""The biggest settings file read (1 MiB: a few lines of JSON are typical)."""
SETTINGS_DEPTH = 16
"""The deepest nesting a settings file may have (it needs 2)."""

THEMES = ("system", "light", "dark")
"""``theme`` values: follow the desktop, or always light, or always dark."""
FONT_SIZE_RANGE = (6.0, 72.0)
"""``font_size`` in points, both ends included."""
SCROLLBACK_RANGE = (1_000, 10_000_000)
"""``scrollback_lines``: stream lines kept per tab, both ends included."""
AUTO_RESTART_RANGE = (0, 10)
"""``auto_restart``: automatic restarts of a dead local kernel, both ends included."""
_KERNEL_NAME = re.compile(r"[A-Za-z0-9._-]+")  # what Jupyter allows in a kernelspec's name


def config_dir() -> Path:
    """Where Conch keeps its settings."""
    override = os.environ.get("CONCH_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("conch", appauthor=False))


def settings_path() -> Path:
    """The settings file Conch reads and Edit ▸ Preferences writes."""
    return config_dir() / SETTINGS_FILE


class SettingsSaveError(Exception):
    """The settings file could not be written; ``str()`` is the message for the user."""


class _Bad(ValueError):
    """A value of the wrong type or out of range; the message says what is expected."""


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _Bad("must be true or false")


def _integer(low: int, high: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        # 1e6 is how some people write a million: an integral float is an integer.
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"must be a whole number from {low} to {high}")
        if not low <= value <= high:
            raise _Bad(f"must be from {low} to {high} (it is {value})")
        return value
    return check


def _font_size(value: object) -> float:
    low, high = FONT_SIZE_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Bad(f"must be a number of points from {low:g} to {high:g}")
    if not low <= value <= high:
        raise _Bad(f"must be from {low:g} to {high:g} points (it is {value:g})")
    return float(value)


def _font_family(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad("must be the name of a font, or null for the system's fixed-width font")
    return value.strip() or None


def _theme(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in THEMES:
        return value.strip().lower()
    raise _Bad("must be one of " + ", ".join(f'"{theme}"' for theme in THEMES))


def _kernel_name(value: object) -> str:
    if isinstance(value, str) and _KERNEL_NAME.fullmatch(value.strip()):
        return value.strip()
    raise _Bad('must be the name of a kernelspec such as "python3" (`jupyter kernelspec list` shows them)')


def _ca_file(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return os.path.expanduser(value.strip())
    raise _Bad("must be the path of a PEM file")


_CHECKS: dict[str, Callable[[object], Any]] = {
    "font_family": _font_family,
    "font_size": _font_size,
    "theme": _theme,
    "scrollback_lines": _integer(*SCROLLBACK_RANGE),
    "confirm_exit": _bool,
    "confirm_close": _bool,
    "auto_restart": _integer(*AUTO_RESTART_RANGE),
    "default_kernel": _kernel_name,
    "ca_file": _ca_file,
}
"""Every plain (non-shortcut) key: how its JSON value becomes the setting, or why it cannot."""


@dataclass
class Settings:
    """Everything a user can configure, with its defaults.

    Two settings objects are equal when every setting is; :attr:`problems` does not count.
    """

    shortcuts: dict[str, tuple[str, ...]] = field(default_factory=lambda: {s.action: s.keys for s in SHORTCUTS})
    font_family: str | None = None
    """The console's font; None: the system's fixed-width font."""
    font_size: float = 10.0
    """The console's font size in points (:data:`FONT_SIZE_RANGE`)."""
    theme: str = "system"
    """One of :data:`THEMES`."""
    scrollback_lines: int = 1_000_000
    """Stream lines each tab keeps; beyond it the oldest go (:data:`SCROLLBACK_RANGE`)."""
    confirm_exit: bool = True
    """Ask before ``exit`` closes a tab."""
    confirm_close: bool = True
    """Ask before closing a tab, or quitting, while a kernel Conch launched is running code."""
    auto_restart: int = 3
    """How many times a local kernel that died is restarted without being asked
    (:data:`AUTO_RESTART_RANGE`; 0: never)."""
    default_kernel: str = "python3"
    """The kernelspec new windows and tabs launch when nothing else says which."""
    ca_file: str | None = None
    """PEM certificates to trust for ``https`` Jupyter servers besides the system's (a
    self-signed server's certificate, or a company CA); ``--ca-file`` overrides it."""
    problems: list[str] = field(default_factory=list, compare=False)
    """What was wrong with the settings file (shown to the user once); empty when all is well."""

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        """The settings in ``path`` (default: :func:`settings_path`); never raises."""
        path = path or settings_path()
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
        for key, check in _CHECKS.items():
            if key not in data:
                continue
            try:
                setattr(settings, key, check(data[key]))
            except _Bad as bad:
                default = json.dumps(getattr(cls(), key), ensure_ascii=False)
                settings.problems.append(f"{path}: \"{key}\" {bad}; using the default ({default})")
        return settings

    def save(self, path: Path | None = None) -> None:
        """Write these settings to ``path`` (default: :func:`settings_path`) atomically.

        What the file already holds stays: keys Conch does not know, and every key the user
        wrote (with their spelling when it still means the current value: ``"~/ca.pem"``,
        ``"Ctrl+K"`` for ``["Ctrl+K"]``). Other keys are written only when they differ from
        the defaults, and shortcuts only for actions whose keys differ from the table's.

        Raises :class:`SettingsSaveError` (naming the file and the problem) if the file exists
        but cannot be read as a JSON object: it is left untouched rather than replaced, since
        it may hold what the user wants to fix by hand. Also for any failure to write.
        """
        path = path or settings_path()
        target = Path(os.path.realpath(path))  # a symlinked dotfile stays a symlink
        data = self._merged(_existing(target))
        text = _format(data) + "\n"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as error:
            raise SettingsSaveError(f"Could not save the settings to {path}: {error.strerror or error}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temp, mode)
            os.replace(temp, target)
        except OSError as error:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise SettingsSaveError(f"Could not save the settings to {path}: {error.strerror or error}") from None

    def _merged(self, existing: dict[str, Any]) -> dict[str, Any]:
        """``existing`` with these settings written over it (see :meth:`save`)."""
        data = dict(existing)
        defaults = Settings()
        for key, check in _CHECKS.items():
            value = getattr(self, key)
            if key in existing:
                if _means(check, existing[key], value):
                    continue  # the user's own spelling of the same value
            elif value == getattr(defaults, key):
                continue
            data[key] = value
            if isinstance(value, float) and value.is_integer():
                data[key] = int(value)
        old = existing.get("shortcuts")
        old_shortcuts: dict[str, Any] = dict(old) if isinstance(old, dict) else {}
        shortcuts = dict(old_shortcuts)  # unknown actions stay, as the user wrote them
        for action, keys in self.shortcuts.items():
            if action in old_shortcuts and resolve({action: old_shortcuts[action]})[0][action] == keys:
                continue
            if keys == defaults.shortcuts.get(action):
                shortcuts.pop(action, None)
            else:
                shortcuts[action] = list(keys)
        if shortcuts or "shortcuts" in existing:
            data["shortcuts"] = shortcuts
        return data


def _means(check: Callable[[object], Any], raw: object, value: object) -> bool:
    try:
        return bool(check(raw) == value)
    except _Bad:
        return False


def _existing(path: Path) -> dict[str, Any]:
    """What the settings file holds now ({} if there is none); raises SettingsSaveError if it
    cannot be read."""
    try:
        return read_json(path, SETTINGS_LIMIT, "settings file", max_depth=SETTINGS_DEPTH)
    except UnreadableFile as error:
        if error.problem == "missing":
            return {}
        raise SettingsSaveError(
            f"{error}. It was not overwritten: fix it or remove it, then save again."
        ) from None


def _format(value: Any, indent: str = "") -> str:
    """JSON for people: an object a key per line, a list of plain values on one line."""
    if isinstance(value, dict) and value:
        inner = indent + "  "
        items = (f"{inner}{json.dumps(key, ensure_ascii=False)}: {_format(item, inner)}" for key, item in value.items())
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + _format(item, inner) for item in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)

