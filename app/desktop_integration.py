"""``conch --install-desktop`` / ``--uninstall-desktop``: the desktop entry (with its actions),
the icon in the hicolor sizes and the AppStream metainfo, in the user's XDG data folder
(Qt-free).

Uninstalling removes exactly the files installing writes, then the folders that held only
them. Nothing claims a MIME type: the entry takes a file argument (``%f``), so a connection
file dropped on the launcher attaches a tab, without Conch becoming the opener of JSON files.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

APP_ID = "io.github.conch.Conch"
"""The reverse-DNS id of the desktop entry, the icon, the AppStream component and Qt's
``desktopFileName`` (so the desktop finds the window's icon and groups its windows)."""
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
"""The hicolor bitmap sizes installed beside the scalable icon."""


def data_home() -> Path:
    """``$XDG_DATA_HOME``, else ``~/.local/share``."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def launcher_command() -> list[str]:
    """How the desktop starts this Conch: the bundle's executable, the ``conch`` script that is
    running, or this Python with ``-m conch``; always absolute (the desktop's PATH is not the
    shell's, nor a virtual environment's)."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "conch" and script.is_file():
        return [str(script.resolve())]
    return [str(Path(sys.executable).absolute()), "-m", "conch"]


def exec_argument(argument: str) -> str:
    """``argument`` as the Desktop Entry spec wants it in ``Exec``: quoted when it holds a
    reserved character, with ``"`` ``\\`` ``$`` and backquote escaped; ``%`` doubled."""
    argument = argument.replace("%", "%%")
    if not any(c in argument for c in ' \t\n"\'\\><~|&;$*?#()`='):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def desktop_entry(command: list[str]) -> str:
    """The ``.desktop`` file: launch (with a file), and actions for a new window, Connect to
    Server and Connect over SSH."""
    run = " ".join(exec_argument(part) for part in command)
    actions = (
        ("new-window", "New Window", "--new-window"),
        ("connect-server", "Connect to Server…", "--connect-server"),
        ("connect-ssh", "Connect over SSH…", "--connect-ssh"),
    )
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=Conch",
        "GenericName=Jupyter Console",
        "Comment=A fast rich console for Jupyter kernels",
        f"Exec={run} %f",
        f"Icon={APP_ID}",
        "Terminal=false",
        "StartupNotify=true",
        "Categories=Development;",
        "Keywords=jupyter;python;ipython;kernel;repl;console;",
        "Actions=" + "".join(f"{key};" for key, _name, _flag in actions),
    ]
    for key, name, flag in actions:
        lines += ["", f"[Desktop Action {key}]", f"Name={name}", f"Exec={run} {flag}"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DesktopFile:
    """One file the installation writes: where (under the data folder) and its bytes."""

    relative: Path
    content: bytes


def desktop_files(command: list[str] | None = None) -> list[DesktopFile]:
    """Every file ``--install-desktop`` writes, relative to the data folder."""
    resources = files("conch.resources")
    icons = resources / "icons"
    planned = [
        DesktopFile(Path("applications") / f"{APP_ID}.desktop", desktop_entry(command or launcher_command()).encode()),
        DesktopFile(Path("metainfo") / f"{APP_ID}.metainfo.xml", (resources / "metainfo.xml").read_bytes()),
        DesktopFile(Path("icons/hicolor/scalable/apps") / f"{APP_ID}.svg", (resources / "conch.svg").read_bytes()),
    ]
    for size in ICON_SIZES:
        planned.append(DesktopFile(
            Path(f"icons/hicolor/{size}x{size}/apps") / f"{APP_ID}.png", (icons / f"conch-{size}.png").read_bytes(),
        ))
    return planned


def install(home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the desktop files under ``home`` (the XDG data folder); returns their paths."""
    home = home or data_home()
    written = []
    for planned in desktop_files(command):
        target = home / planned.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(planned.content)
        os.replace(temporary, target)
        written.append(target)
    return written


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what :func:`install` writes (and the folders only they were in); returns what
    was removed."""
    home = home or data_home()
    removed = []
    for planned in desktop_files(["conch"]):
        target = home / planned.relative
        if target.is_file() or target.is_symlink():
            target.unlink()
            removed.append(target)
        _prune(target.parent, home)
    return removed


def _prune(folder: Path, home: Path) -> None:
    """Remove ``folder`` and its parents below ``home`` while they are empty."""
    while folder != home and home in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (or not ours to remove): stop
            return
        folder = folder.parent


def main(action: str) -> int:
    """The CLI's ``--install-desktop`` / ``--uninstall-desktop``: do it and say what was done."""
    home = data_home()
    if action == "install":
        paths = install(home)
        print(f"Installed Conch's desktop entry, icons and metainfo under {home}:")
    else:
        paths = uninstall(home)
        print(f"Removed {len(paths)} file(s) of Conch's desktop integration from {home}" + (":" if paths else "."))
    for path in paths:
        print(f"  {path}")
    return 0
