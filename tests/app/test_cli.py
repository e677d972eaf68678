"""The `conch` command as a user runs it: a real subprocess each time."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conch import __version__


def conch(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
    )


def headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return env


def test_version_needs_no_display() -> None:
    result = conch("--version", env=headless_env())
    assert result.returncode == 0
    assert result.stdout.strip() == f"conch {__version__}"


def test_help_needs_no_display() -> None:
    result = conch("--help", env=headless_env())
    assert result.returncode == 0
    assert "--kernel NAME" in result.stdout and "usage: conch" in result.stdout


def test_unknown_kernel_exits_2_naming_it_and_the_installed_ones() -> None:
    result = conch("--kernel", "no-such-kernel")
    assert result.returncode == 2
    assert "no-such-kernel" in result.stderr
    assert "python3" in result.stderr  # the installed kernels are listed
    assert "Traceback" not in result.stderr


def test_no_display_gives_a_hint_instead_of_a_qt_abort() -> None:
    result = conch(env=headless_env())
    assert result.returncode == 3
    assert "QT_QPA_PLATFORM=offscreen" in result.stderr and "xvfb-run" in result.stderr
    assert "Traceback" not in result.stderr


def test_launches_shows_window_and_reaches_the_prompt() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = conch("--startup-times", "--quit-when-ready", env=env, timeout=90)
    assert result.returncode == 0, result.stderr
    milestones = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("conch-startup")]
    assert milestones == ["window-shown", "prompt-ready"]


def test_the_default_kernel_setting_is_used_without_kernel(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"default_kernel": "no-such-default"}')
    result = conch(env=dict(os.environ, CONCH_CONFIG_DIR=str(tmp_path)))
    assert result.returncode == 2
    assert "no-such-default" in result.stderr and '"default_kernel" setting in' in result.stderr
    assert "Traceback" not in result.stderr
