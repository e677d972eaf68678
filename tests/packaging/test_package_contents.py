"""Every package folder is listed in pyproject.toml, so `pip install .` ships it.

(An editable install finds unlisted folders anyway, which hides the mistake until a user
installs normally.)
"""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_packaged() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    roots = {name: ROOT / folder for name, folder in config["package-dir"].items()}
    found = set()
    for name, folder in roots.items():
        for init in folder.rglob("__init__.py"):
            relative = init.parent.relative_to(folder)
            if any(part in ("tests", "benchmarks", ".venv", "build") or part.startswith(".") for part in relative.parts):
                continue
            found.add(".".join((name, *relative.parts)) if relative.parts else name)
    assert found <= listed, f"not packaged: {sorted(found - listed)}"


def test_conchs_log_lines_never_land_on_a_bare_stderr() -> None:
    import subprocess
    import sys

    code = "import logging, conch; logging.getLogger('conch.app.kernel.zmq_bridge').warning('kernel heartbeat missed its deadline')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""
