"""The model and ANSI parser must work where Qt cannot even be imported."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).parent

BLOCKER = textwrap.dedent(
    """
    import sys

    class _NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6"):
                raise ImportError(f"{name} is blocked: the model must not import Qt")
            return None

    sys.meta_path.insert(0, _NoQt())
    """
)


def test_model_tests_pass_with_pyside6_blocked(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's Qt-aware config
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", str(HERE), "-q", "-p", "no:pytest-qt", "-p", "no:cacheprovider",
            "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(HERE), "--confcutdir", str(HERE), "--import-mode=importlib",
            "-k", "not pyside6_blocked",
            "-W", "error",
        ],
        capture_output=True, text=True, env=env, timeout=300, cwd=HERE,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    probe = subprocess.run(
        [sys.executable, "-c", "import PySide6"], capture_output=True, text=True, env=env, timeout=60
    )
    assert probe.returncode != 0 and "blocked" in probe.stderr
