"""Which inputs are IPython's exit command (Qt-free)."""
from __future__ import annotations

import pytest

from conch.app.model.exit_command import exit_command
from conch.app.model.payloads import ExitRequest

PYTHON = {"name": "python"}


@pytest.mark.parametrize(
    "code, keep",
    [
        ("exit", False), ("quit", False), ("  exit  ", False), ("exit()", False), ("quit();", False),
        ("exit(True)", True), ("exit(keep_kernel=True)", True), ("quit( keep_kernel = False )", False),
    ],
)
def test_exit_forms(code: str, keep: bool) -> None:
    assert exit_command(code, PYTHON) == ExitRequest(keep_kernel=keep)


@pytest.mark.parametrize(
    "code",
    ["exit_code = 1", "exit(1)", "sys.exit()", "print('exit')", "if x: exit()", "exit\nprint(1)", "exits", ""],
)
def test_other_code_is_not_an_exit(code: str) -> None:
    assert exit_command(code, PYTHON) is None


def test_other_languages_run_exit_themselves() -> None:
    assert exit_command("exit", {"name": "bash"}) is None
    assert exit_command("exit", {}) is None
