"""A broken X11 setup gets a hint and exit code 3, never Qt's abort: real plugins, real libxcb, real X."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conch.app.cli import EXIT_NO_DISPLAY
from conch.app.display_check import (
    PACKAGES,
    apt_packages,
    connection_error,
    missing_libraries,
    missing_libraries_message,
    missing_soname_from_error,
    missing_via_ctypes,
    missing_via_ldd,
    parse_ldd_missing,
    uses_xcb,
    xcb_plugin,
    xcb_problem,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb platform is Linux's")

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd5c3f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f53ebe21000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f53ebd37000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f53ebd2f000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f53ebef1000)
"""


def conch(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conch", *args], capture_output=True, text=True, timeout=timeout, env=env,
    )


def x_server_exists(number: int) -> bool:
    """Whether anything serves X display ``:number`` here (socket file, lock file or abstract socket)."""
    if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        return True
    try:
        sockets = Path("/proc/net/unix").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return f"/tmp/.X11-unix/X{number}\n" in sockets


def absent_display() -> str:
    """A display name no X server answers: :93 unless something is there."""
    number = next(n for n in range(93, 200) if not x_server_exists(n))
    return f":{number}"


def x11_env(display: str, plugin_dir: Path | None = None) -> dict[str, str]:
    """The environment of a desktop user whose Qt will pick xcb for ``display``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM_PLUGIN_PATH")}
    env["DISPLAY"] = display
    if plugin_dir is not None:
        env["QT_QPA_PLATFORM_PLUGIN_PATH"] = str(plugin_dir)
    return env


def need_libxcb() -> None:
    """Opening a display needs libxcb1 itself (a machine with Qt's offscreen libraries has it)."""
    import ctypes.util

    if ctypes.util.find_library("xcb") is None:
        pytest.skip("libxcb.so.1 is not installed: no X display can be opened")


def gcc() -> str:
    path = shutil.which("gcc")
    if path is None:
        pytest.skip("gcc is not installed: cannot build a fake xcb platform plugin")
    return path


def compile_shared(source: str, output: Path, *flags: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    c_file = output.parent.parent / f"{output.parent.name}-{output.name}.c"
    c_file.write_text(source, encoding="utf-8")
    subprocess.run([gcc(), "-shared", "-fPIC", "-o", str(output), str(c_file), *flags],
                   check=True, capture_output=True, timeout=60)


def absent_library() -> str:
    """A library of Qt's xcb plugin this machine lacks: libxcb-icccm.so.4 (a bare Debian 12 does),
    else another one from the table; skips when all are installed."""
    candidates = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-xinerama.so.0", "libxcb-xinput.so.0",
                  *PACKAGES]
    code = ("import ctypes, sys\n"
            "for name in sys.argv[1:]:\n"
            "    try: ctypes.CDLL(name)\n"
            "    except OSError: print(name); break\n")
    result = subprocess.run([sys.executable, "-c", code, *candidates],
                            capture_output=True, text=True, timeout=60, check=True)
    if not result.stdout.strip():
        pytest.skip("every library in the table is installed: none can be really missing")
    return result.stdout.strip()


def plugin_missing(tmp_path: Path, soname: str) -> Path:
    """A ``platforms/libqxcb.so`` that needs library ``soname``, which really is not there."""
    stub = tmp_path / "stub" / soname
    compile_shared("int stub_function(void) { return 4; }\n", stub, f"-Wl,-soname,{soname}")
    plugin = tmp_path / "platforms" / "libqxcb.so"
    compile_shared("int stub_function(void);\nint plugin(void) { return stub_function(); }\n", plugin,
                   "-Wl,--no-as-needed", f"-L{stub.parent}", f"-l:{soname}")
    shutil.rmtree(stub.parent)
    return plugin


def loadable_plugin(tmp_path: Path) -> Path:
    """A ``platforms/libqxcb.so`` whose libraries are all there (it needs only libc)."""
    plugin = tmp_path / "platforms" / "libqxcb.so"
    compile_shared("int plugin(void) { return 0; }\n", plugin)
    return plugin


def real_plugin_missing() -> list[str]:
    """What ``ldd`` itself says PySide6's own xcb plugin lacks on this machine (asked independently)."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.origin is not None
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    output = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=30).stdout
    return sorted({line.split()[0] for line in output.splitlines() if line.rstrip().endswith("=> not found")})


# Pure parts -----------------------------------------------------------------------------------------

def test_ldd_parser_finds_each_missing_library_once_in_order() -> None:
    assert parse_ldd_missing(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert parse_ldd_missing(LDD_OUTPUT.replace("not found", "/lib/x.so (0x1)")) == []
    assert parse_ldd_missing("") == []


def test_dlopen_error_text_names_the_missing_library() -> None:
    error = "libxcb-icccm.so.4: cannot open shared object file: No such file or directory"
    assert missing_soname_from_error(error) == "libxcb-icccm.so.4"
    assert missing_soname_from_error(f"/some/dir/platforms/libqxcb.so: {error}") == "libxcb-icccm.so.4"
    assert missing_soname_from_error("/x/libqxcb.so: wrong ELF class: ELFCLASS32") is None


def test_sonames_map_to_debian_packages_and_unknown_ones_are_kept() -> None:
    packages, unknown = apt_packages(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libfoo.so.7",
                                      "libglib-2.0.so.0", "libgthread-2.0.so.0"])
    assert packages == ["libxcb-icccm4", "libxcb-keysyms1", "libglib2.0-0"]
    assert unknown == ["libfoo.so.7"]
    assert PACKAGES["libxcb-cursor.so.0"] == "libxcb-cursor0"
    assert PACKAGES["libxkbcommon-x11.so.0"] == "libxkbcommon-x11-0"
    assert PACKAGES["libX11-xcb.so.1"] == "libx11-xcb1"


def test_missing_libraries_message_gives_the_install_command() -> None:
    message = missing_libraries_message(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert message == (
        "conch: Qt cannot load its X11 (xcb) platform plugin: these system libraries are missing: "
        "libxcb-icccm.so.4, libxcb-keysyms.so.1.\n"
        "Install them with:  sudo apt-get install libxcb-icccm4 libxcb-keysyms1\n"
        "(Other distributions: install the packages that provide those files.) "
        "Or run headless with QT_QPA_PLATFORM=offscreen."
    )
    unknown = missing_libraries_message(["libfoo.so.7"])
    assert "libfoo.so.7" in unknown and "apt-get install" not in unknown


def test_only_the_xcb_platform_is_checked() -> None:
    assert uses_xcb({"DISPLAY": ":0"})
    assert uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"})
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not uses_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"})
    assert not uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"})
    assert not uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"})
    assert not uses_xcb({})
    assert xcb_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) is None


@linux_only
def test_xcb_without_display_is_named() -> None:
    problem = xcb_problem({"QT_QPA_PLATFORM": "xcb", "QT_QPA_PLATFORM_PLUGIN_PATH": "/nonexistent"})
    assert problem is not None and "DISPLAY is not set" in problem and "QT_QPA_PLATFORM=offscreen" in problem


def test_the_plugin_path_variable_wins_over_pyside6s_plugins(tmp_path: Path) -> None:
    (tmp_path / "libqxcb.so").write_bytes(b"")
    assert xcb_plugin({"QT_QPA_PLATFORM_PLUGIN_PATH": str(tmp_path)}) == tmp_path / "libqxcb.so"
    own = xcb_plugin({})
    assert own is not None and own.parts[-4:] == ("Qt", "plugins", "platforms", "libqxcb.so")


def test_display_check_imports_no_qt() -> None:
    code = ("import sys, conch.app.display_check, conch.app.cli\n"
            "assert not [m for m in sys.modules if m.startswith('PySide6')], sorted(sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# Real libraries, real processes ---------------------------------------------------------------------

@linux_only
def test_no_x_server_exits_3_with_a_hint_not_qts_abort() -> None:
    display = absent_display()
    started = time.monotonic()
    result = conch(env=x11_env(display))
    assert result.returncode == EXIT_NO_DISPLAY, (result.returncode, result.stderr)
    assert "Aborted" not in result.stderr and "Traceback" not in result.stderr
    assert "QT_QPA_PLATFORM=offscreen" in result.stderr
    missing = real_plugin_missing()
    if missing:  # this machine lacks some of Qt's xcb libraries: that comes first
        assert all(soname in result.stderr for soname in missing)
        assert "sudo apt-get install" in result.stderr
    else:
        assert f'"{display}"' in result.stderr
    assert time.monotonic() - started < 30


@linux_only
def test_no_x_server_with_a_loadable_plugin_names_the_display(tmp_path: Path) -> None:
    need_libxcb()
    plugin = loadable_plugin(tmp_path)
    display = absent_display()
    env = x11_env(display, plugin.parent)
    assert missing_libraries(plugin, env) == []
    result = conch(env=env)
    assert result.returncode == EXIT_NO_DISPLAY, (result.returncode, result.stderr)
    assert f'cannot open the X display "{display}" (DISPLAY)' in result.stderr
    assert "QT_QPA_PLATFORM=offscreen" in result.stderr and "Aborted" not in result.stderr
    assert connection_error(display) != 0


@linux_only
def test_a_really_missing_library_is_named_with_its_package(tmp_path: Path) -> None:
    gcc()
    soname = absent_library()
    plugin = plugin_missing(tmp_path, soname)
    env = x11_env(absent_display(), plugin.parent)
    result = conch(env=env)
    assert result.returncode == EXIT_NO_DISPLAY, (result.returncode, result.stderr)
    assert f"missing: {soname}." in result.stderr
    assert f"sudo apt-get install {PACKAGES[soname]}" in result.stderr
    assert "Aborted" not in result.stderr and "Traceback" not in result.stderr
    # Both ways of asking the dynamic loader agree.
    assert missing_via_ldd(plugin, env) == [soname]
    assert missing_via_ctypes(plugin) == [soname]


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    """A real X server (Xvfb) on a display number it picks itself; always killed."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed")
    need_libxcb()
    read_end, write_end = os.pipe()
    process = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-nolisten", "tcp"],
                               pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_end)
    try:
        number = b""
        deadline = time.monotonic() + 30
        while not number.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_end], [], [], max(remaining, 0))
            if not ready:
                pytest.fail("Xvfb did not report its display within 30 s")
            chunk = os.read(read_end, 16)
            if not chunk:
                pytest.fail(f"Xvfb exited: {process.communicate(timeout=10)[1].decode(errors='replace')}")
            number += chunk
        yield f":{int(number)}"
    finally:
        os.close(read_end)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


@linux_only
def test_a_real_x_server_passes_the_check(tmp_path: Path, xvfb_display: str) -> None:
    assert connection_error(xvfb_display) == 0
    # PySide6's own plugin: passes when this machine has all its libraries.
    problem = xcb_problem(x11_env(xvfb_display))
    if real_plugin_missing():
        assert problem is not None and "apt-get install" in problem
    else:
        assert problem is None
    if shutil.which("gcc"):
        plugin = loadable_plugin(tmp_path)
        assert xcb_problem(x11_env(xvfb_display, plugin.parent)) is None
