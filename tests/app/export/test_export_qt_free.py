"""The exporters work where Qt cannot be imported, and stay mypy --strict clean."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

BLOCKER = textwrap.dedent(
    """
    import sys

    class _NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6"):
                raise ImportError(f"{name} is blocked: the exporters must not import Qt")
            return None

    sys.meta_path.insert(0, _NoQt())
    """
)

EXPORT = textwrap.dedent(
    """
    import sys
    from conch.app.export.html_page import write_html
    from conch.app.export.notebook import write_notebook
    from conch.app.model.router import OutputRouter
    from conch.app.model.transcript import Transcript

    transcript = Transcript()
    router = OutputRouter(transcript)
    transcript.add_cell("print(1)", "m1")
    router.handle_iopub({"header": {"msg_type": "stream"}, "parent_header": {"msg_id": "m1"},
                         "content": {"name": "stdout", "text": "1\\n"}})
    router.finish("m1", {"content": {"status": "ok", "execution_count": 1}})
    write_html(transcript, sys.argv[1] + "/t.html", title="t", language_info={"name": "python"})
    write_notebook(transcript, sys.argv[1] + "/t.ipynb", kernel_name="python3", display_name="Python 3",
                   language_info={"name": "python"})
    assert "PySide6" not in sys.modules
    print("exported")
    """
)


def test_exporting_with_pyside6_blocked(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", EXPORT, str(tmp_path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "exported"
    assert "<pre class=\"stream stdout\">1</pre>" in (tmp_path / "t.html").read_text()


@pytest.mark.timeout(300)
def test_mypy_strict_on_the_exporters(tmp_path: Path) -> None:
    (tmp_path / "conch").symlink_to(ROOT, target_is_directory=True)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
         "-p", "conch.app.export"],
        cwd=tmp_path, capture_output=True, text=True, timeout=280, env=dict(os.environ, MYPYPATH=str(tmp_path)),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
