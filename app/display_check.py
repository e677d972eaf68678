"""Will Qt's X11 (xcb) platform start? Asked before Qt is imported, so that a broken setup gets
a hint naming what is missing instead of Qt's abort.

Qt-free on purpose: the plugin's libraries are checked with ``ldd`` (or ``ctypes`` as a fallback),
and the display is opened with libxcb itself, exactly as Qt's xcb plugin will open it.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

PLUGIN_NAME = "libqxcb.so"
HEADLESS_HINT = "Or run headless with QT_QPA_PLATFORM=offscreen."

# The Debian/Ubuntu package of each system library Qt's xcb plugin loads (directly or not).
PACKAGES: dict[str, str] = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
}

# xcb_connection_has_error() codes (xcb.h) and what they mean to someone starting conch.
_CONNECTION_ERRORS: dict[int, str] = {
    1: "no X server is answering there, or it refused the connection (check XAUTHORITY)",
    2: "the X server lacks an extension that is needed",
    3: "out of memory",
    4: "a request was too long",
    5: "that is not a valid display name",
    6: "the X server has no such screen",
}

_LDD_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)
_DLOPEN_MISSING = re.compile(r"([^\s:/]+\.so(?:\.[0-9]+)*): cannot open shared object file")


def uses_xcb(env: Mapping[str, str]) -> bool:
    """Whether Qt will pick its xcb platform in this environment (kept simple: Wayland wins if set)."""
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.startswith("xcb")
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def xcb_plugin(env: Mapping[str, str]) -> Path | None:
    """The ``libqxcb.so`` Qt will try first: in $QT_QPA_PLATFORM_PLUGIN_PATH, else PySide6's own."""
    folders: list[Path] = []
    override = env.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if override:
        folders.append(Path(override))
    else:
        spec = importlib.util.find_spec("PySide6")  # locates the package without importing it
        if spec is not None and spec.origin is not None:
            folders.append(Path(spec.origin).parent / "Qt" / "plugins" / "platforms")
    for folder in folders:
        if (folder / PLUGIN_NAME).is_file():
            return folder / PLUGIN_NAME
    return None


def parse_ldd_missing(output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``=> not found``, once each, in order."""
    return list(dict.fromkeys(_LDD_NOT_FOUND.findall(output)))


def missing_soname_from_error(message: str) -> str | None:
    """The library a failed ``dlopen`` could not find, from its error text (None if another error)."""
    match = _DLOPEN_MISSING.search(message)
    return match.group(1) if match else None


def missing_via_ldd(path: Path, env: Mapping[str, str] | None = None) -> list[str] | None:
    """Libraries ``path`` cannot resolve, transitively, per ``ldd``; None if ldd is unusable."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        result = subprocess.run(
            [ldd, str(path)], capture_output=True, text=True, errors="replace", timeout=10, check=False,
            env=dict(env) if env is not None else None,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    missing = parse_ldd_missing(result.stdout)
    if result.returncode != 0 and not missing:
        return None
    return missing


def missing_via_ctypes(path: Path) -> list[str]:
    """The first library ``dlopen`` of ``path`` cannot find (it stops there), or none."""
    try:
        ctypes.CDLL(str(path))
    except OSError as error:
        soname = missing_soname_from_error(str(error))
        return [soname] if soname is not None else []
    return []


def missing_libraries(path: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """The shared libraries ``path`` needs and the system lacks."""
    missing = missing_via_ldd(path, env)
    return missing if missing is not None else missing_via_ctypes(path)


def apt_packages(sonames: Iterable[str]) -> tuple[list[str], list[str]]:
    """The Debian/Ubuntu packages providing ``sonames`` (once each), and the sonames not in the table."""
    packages: list[str] = []
    unknown: list[str] = []
    for soname in sonames:
        package = PACKAGES.get(soname)
        if package is None:
            unknown.append(soname)
        elif package not in packages:
            packages.append(package)
    return packages, unknown


def missing_libraries_message(sonames: list[str]) -> str:
    """What to tell the user when Qt's xcb plugin cannot load for lack of ``sonames``."""
    these = "this system library is" if len(sonames) == 1 else "these system libraries are"
    lines = [
        f"conch: Qt cannot load its X11 (xcb) platform plugin: {these} missing: {', '.join(sonames)}."
    ]
    packages, unknown = apt_packages(sonames)
    if packages:
        them = "it" if len(packages) == 1 else "them"
        lines.append(f"Install {them} with:  sudo apt-get install {' '.join(packages)}")
    if unknown:
        lines.append(f"(No known Debian/Ubuntu package for {', '.join(unknown)}: install the one that provides it.)")
    files = "that file" if len(sonames) == 1 else "those files"
    lines.append(f"(Other distributions: install the packages that provide {files}.) {HEADLESS_HINT}")
    return "\n".join(lines)


def connection_error(display: str) -> int:
    """``xcb_connection_has_error`` after connecting to ``display`` (0: it opens); OSError without libxcb."""
    xcb = ctypes.CDLL("libxcb.so.1")
    connect = xcb.xcb_connect
    connect.restype = ctypes.c_void_p
    connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    has_error = xcb.xcb_connection_has_error
    has_error.restype = ctypes.c_int
    has_error.argtypes = [ctypes.c_void_p]
    disconnect = xcb.xcb_disconnect
    disconnect.restype = None
    disconnect.argtypes = [ctypes.c_void_p]

    connection = connect(os.fsencode(display), None)
    if not connection:
        return 3
    try:
        return int(has_error(connection))
    finally:
        disconnect(connection)  # also safe on xcb's static error connection


def display_message(display: str | None, code: int) -> str:
    """What to tell the user when X display ``display`` cannot be opened (``code`` from libxcb)."""
    if display:
        problem = f'cannot open the X display "{display}" (DISPLAY): '
        problem += _CONNECTION_ERRORS.get(code, f"libxcb error {code}")
    else:
        problem = "QT_QPA_PLATFORM asks for X11 (xcb), but DISPLAY is not set"
    return (
        f"conch: {problem}. Check DISPLAY, run inside a desktop session, "
        "under xvfb-run, or headless with QT_QPA_PLATFORM=offscreen."
    )


def xcb_problem(env: Mapping[str, str] | None = None) -> str | None:
    """None if Qt's xcb platform will start (or is not the one Qt will use), else what to tell the user."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux") or not uses_xcb(env):
        return None
    plugin = xcb_plugin(env)
    if plugin is not None:
        missing = missing_libraries(plugin, env)
        if missing:
            return missing_libraries_message(missing)
    display = env.get("DISPLAY")
    if not display:
        return display_message(None, 0)
    try:
        code = connection_error(display)
    except OSError:
        return missing_libraries_message(["libxcb.so.1"])
    return display_message(display, code) if code else None
