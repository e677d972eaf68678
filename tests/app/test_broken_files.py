"""Broken files Conch is given: not UTF-8, nested without end, huge, a FIFO or a device instead of
a file. Each becomes a message naming the file; nothing hangs, nothing prints a traceback."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from conch.app.kernel.launcher import (
    KernelLaunchError,
    KernelSpecNotFound,
    LocalKernelProcess,
    installed_kernels,
)
from conch.app.kernel.launcher import kernelspecs as list_kernelspecs  # the name of a fixture here
from conch.app.safe_read import UnreadableFile, read_json, read_text
from conch.app.settings import Settings

from .conftest import PYTHON_KERNEL_ARGV, add_kernelspec, close_window, open_window

LATIN_1 = '{"confirm_exit": false, "name": "Café"}'.encode("latin-1")
DEEP = "[" * 100_000 + "]" * 100_000
MiB = 1 << 20

pytestmark = pytest.mark.timeout(120)


def conch(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real `conch` command, with its address space capped at 2 GiB: a file it reads without
    a limit (``/dev/zero``) ends in a MemoryError instead of eating the machine's memory."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "conch", *args], capture_output=True, text=True, timeout=timeout,
        env=env if env is not None else dict(os.environ, QT_QPA_PLATFORM="offscreen"), preexec_fn=cap_memory,
    )


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def huge(path: Path, size: int = 50 * MiB) -> Path:
    """A sparse file of ``size`` bytes: costs no disk, and must cost no memory either."""
    with open(path, "wb") as file:
        file.truncate(size)
    return path


# -- the reader -----------------------------------------------------------------------------------

def test_a_fifo_a_device_and_a_folder_are_refused_without_blocking(tmp_path: Path) -> None:
    started = time.monotonic()
    for path, kind in ((fifo(tmp_path / "pipe.json"), "named pipe (FIFO)"), (Path("/dev/zero"), "character device"),
                       (tmp_path, "folder")):
        with pytest.raises(UnreadableFile) as caught:
            read_text(path, MiB, "test file")
        assert caught.value.problem == "not_regular" and kind in str(caught.value)
        assert str(caught.value).startswith(f"Test file {path} is ")
    assert time.monotonic() - started < 2


def test_not_utf8_names_the_byte_and_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(b'{\n  "a": "caf\xe9"\n}')
    with pytest.raises(UnreadableFile) as caught:
        read_text(path, MiB, "test file")
    text = str(caught.value)
    assert caught.value.problem == "not_utf8" and str(path) in text
    assert "byte 0xE9 at offset 13 (line 2, column 12)" in text and "save the file as UTF-8" in text
    path.write_bytes(b'\xef\xbb\xbf{"bom": 1}')  # Notepad's byte-order mark is not a problem
    assert read_json(path, MiB, "test file") == {"bom": 1}


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = huge(tmp_path / "big.json")
    with pytest.raises(UnreadableFile) as caught:
        read_text(path, MiB, "test file")
    assert caught.value.problem == "too_big" and "50 MiB" in str(caught.value) and "at most 1 MiB" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_permission_says_so(tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    with pytest.raises(UnreadableFile, match="check its permissions"):
        read_text(path, MiB, "test file")


@pytest.mark.parametrize(
    ("content", "problem", "message"),
    [
        (DEEP, "too_deep", "more than 32 levels deep"),  # json.loads alone: RecursionError
        ("[" * 40 + "]" * 40, "too_deep", "more than 32 levels deep"),  # parses, but deeper than allowed
        ('{"a": [1, 2,]}', "not_json", "line 1, column 13"),
        ("[1, 2]", "not_object", "does not hold a JSON object (it holds a list)"),
        ("1" * 5000, "not_json", "not valid JSON"),  # more digits than int() takes
        ("", "not_json", "line 1, column 1"),
    ],
)
def test_json_problems(tmp_path: Path, content: str, problem: str, message: str) -> None:
    path = tmp_path / "file.json"
    path.write_text(content)
    with pytest.raises(UnreadableFile) as caught:
        read_json(path, MiB, "test file", max_depth=32)
    assert caught.value.problem == problem and message in str(caught.value) and str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_json(tmp_path / "nothing.json", MiB, "test file")
    assert caught.value.problem == "missing" and "does not exist" in str(caught.value)


# -- settings.json ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda path: path.write_bytes(LATIN_1), "save the file as UTF-8"),
        (lambda path: path.write_text(DEEP), "levels deep"),
        (fifo, "named pipe (FIFO)"),
        (huge, "50 MiB"),
    ],
    ids=["latin-1", "deep", "fifo", "50MB"],
)
def test_a_broken_settings_file_means_defaults_and_a_problem(tmp_path: Path, make: object, expected: str) -> None:
    path = tmp_path / "settings.json"
    make(path)  # type: ignore[operator]
    started = time.monotonic()
    settings = Settings.load(path)
    assert time.monotonic() - started < 2
    (problem,) = settings.problems
    assert problem.startswith(f"Settings file {path} ") and expected in problem and problem.endswith("using defaults")
    assert settings.confirm_exit is True and settings == Settings(problems=settings.problems)


def test_a_fifo_settings_file_is_shown_in_the_window_bar(qtbot: QtBot, tmp_path: Path) -> None:
    path = fifo(tmp_path / "settings.json")
    window = open_window(qtbot, settings=Settings.load(path))
    banner = window.settings_banner
    assert banner.isVisible() and banner.level == "warning"
    assert str(path) in banner.label.text() and "named pipe" in banner.label.text()
    close_window(qtbot, window)


def test_conch_starts_with_a_fifo_as_its_settings_file(tmp_path: Path) -> None:
    fifo(tmp_path / "settings.json")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONCH_CONFIG_DIR=str(tmp_path))
    result = conch("--startup-times", "--quit-when-ready", env=env, timeout=90)
    assert result.returncode == 0, result.stderr
    assert "prompt-ready" in result.stderr and "Traceback" not in result.stderr


# -- kernel.json -----------------------------------------------------------------------------------

SPEC = {"argv": PYTHON_KERNEL_ARGV, "display_name": "Broken", "language": "python"}
BROKEN_SPECS: dict[str, tuple[bytes | None, str]] = {
    "notjson": (b"argv = python", "is not valid JSON (line 1, column 1"),
    "latin": (json.dumps({**SPEC, "display_name": "Café"}, ensure_ascii=False).encode("latin-1"),
              "save the file as UTF-8"),
    "envlist": (json.dumps({**SPEC, "env": ["A=1"]}).encode(), '"env" must be an object'),
    "badinterrupt": (json.dumps({**SPEC, "interrupt_mode": "sigint"}).encode(),
                     '"interrupt_mode" must be "signal" or "message", not "sigint"'),
    "deep": (json.dumps({**SPEC, "metadata": {}})[:-1].encode() + b', "x": ' + DEEP.encode() + b"}",
             "levels deep"),
    "fifo": (None, "named pipe (FIFO)"),
}


def write_broken_specs(folder: Path) -> None:
    for name, (content, _expected) in BROKEN_SPECS.items():
        (folder / name).mkdir()
        if content is None:
            os.mkfifo(folder / name / "kernel.json")
        else:
            (folder / name / "kernel.json").write_bytes(content)


@pytest.mark.parametrize("name", list(BROKEN_SPECS))
def test_conch_kernel_with_a_broken_kernelspec_exits_2_naming_the_file(tmp_path: Path, name: str) -> None:
    (tmp_path / "kernels").mkdir()
    write_broken_specs(tmp_path / "kernels")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JUPYTER_PATH=str(tmp_path))
    started = time.monotonic()
    result = conch("--kernel", name, env=env, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stderr
    assert str(tmp_path / "kernels" / name / "kernel.json") in result.stderr
    assert BROKEN_SPECS[name][1] in result.stderr
    assert "Traceback" not in result.stderr


def test_the_launcher_raises_only_its_own_errors(kernelspecs: Path) -> None:
    write_broken_specs(kernelspecs)
    for name, (_content, expected) in BROKEN_SPECS.items():
        process = LocalKernelProcess(name)
        with pytest.raises(KernelLaunchError) as caught:
            process.start()
        assert str(kernelspecs / name / "kernel.json") in str(caught.value) and expected in str(caught.value)
        assert process.pid is None


def test_one_broken_kernelspec_does_not_hide_the_others(kernelspecs: Path) -> None:
    add_kernelspec(kernelspecs, "fine", PYTHON_KERNEL_ARGV)
    write_broken_specs(kernelspecs)
    assert installed_kernels()["fine"] == "Test fine"
    good, broken = list_kernelspecs()
    assert "fine" in good and "python3" in good and not set(BROKEN_SPECS) & set(good)
    assert set(broken) == set(BROKEN_SPECS)
    for name, (_content, expected) in BROKEN_SPECS.items():
        assert str(kernelspecs / name / "kernel.json") in broken[name] and expected in broken[name]
    with pytest.raises(KernelSpecNotFound) as caught:
        LocalKernelProcess("nothing-like-it").start()
    text = str(caught.value)
    assert "fine (Test fine)" in text and "cannot be used: " in text and "envlist (" in text


def test_new_tab_with_a_broken_kernelspec_shows_why_in_the_tab(qtbot: QtBot, kernelspecs: Path) -> None:
    write_broken_specs(kernelspecs)
    window = open_window(qtbot)
    for name in ("envlist", "latin", "fifo"):
        tab = window.new_tab(name)
        qtbot.waitUntil(lambda: tab.error is not None, timeout=5000)
        assert str(kernelspecs / name / "kernel.json") in tab.error  # type: ignore[operator]
        assert BROKEN_SPECS[name][1] in tab.error  # type: ignore[operator]
        assert "no kernel" in window.tabs.tabText(window.tabs.indexOf(tab))
    close_window(qtbot, window)


# -- connection files: --existing ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["latin-1", "deep", "fifo", "dev-zero", "huge"])
def test_conch_existing_on_a_broken_file_exits_2_at_once(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "kernel-broken.json"
    if kind == "latin-1":
        path.write_bytes(b'{"ip": "127.0.0.1", "key": "caf\xe9"}')
        expected = "save the file as UTF-8"
    elif kind == "deep":
        path.write_text("[" * 30_000 + "]" * 30_000)  # within the size limit
        expected = "levels deep"
    elif kind == "fifo":
        fifo(path)
        expected = "named pipe (FIFO)"
    elif kind == "huge":
        huge(path)
        expected = "at most 64 KiB"
    else:
        path = Path("/dev/zero")
        expected = "character device"
    started = time.monotonic()
    result = conch("--existing", str(path), timeout=30)
    assert time.monotonic() - started < 20
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr


def test_conch_existing_without_a_file_skips_a_fifo_in_the_runtime_folder(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    fifo(runtime / "kernel-pipe.json")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JUPYTER_RUNTIME_DIR=str(runtime))
    result = conch("--existing", env=env, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "No usable kernel connection files" in result.stderr and "kernel-pipe.json" in result.stderr
    assert "named pipe" in result.stderr and "Traceback" not in result.stderr
