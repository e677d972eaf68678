"""The Qt-free core (model, kernel client, launcher) stays mypy --strict clean."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT_FREE_PACKAGES = ("conch.app.model", "conch.app.kernel", "conch.app.export", "conch.app.look")
QT_FREE_MODULES = (
    "conch.app.events", "conch.app.settings", "conch.app.shortcuts",
    "conch.widgets.line_lexer",
    "conch.app.display_check", "conch.app.quit_signals", "conch.app.gc_tuning", "conch.app.safe_read", "conch.widgets.render_budget", "conch.widgets.budget_limits", "conch.widgets.html_budget", "conch.widgets.svg_budget",
    "conch.app.recent_servers", "conch.app.session_memory", "conch.app.run_file",
    "conch.app.ssh.prompt_text", "conch.app.ssh.reasons", "conch.app.ssh.remote_scripts",
    "conch.app.ssh.forwards", "conch.app.ssh.ssh_args", "conch.app.ssh.askpass", "conch.app.ssh.runtime",
)


@pytest.mark.timeout(300)
def test_mypy_strict_on_the_qt_free_core(tmp_path: Path) -> None:
    # The repository root *is* the `conch` package; give mypy a path where it is named so.
    (tmp_path / "conch").symlink_to(ROOT, target_is_directory=True)
    args = [arg for package in QT_FREE_PACKAGES for arg in ("-p", package)]
    args += [arg for module in QT_FREE_MODULES for arg in ("-m", module)]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--no-incremental", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=280,
        env=dict(os.environ, MYPYPATH=str(tmp_path)),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
