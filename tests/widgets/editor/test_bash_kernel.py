"""The editor on a second, non-Python kernel: bash_kernel."""
from __future__ import annotations

import subprocess
import sys
from typing import Iterator

import pytest
from pygments.lexers import BashLexer
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget, start_kernel
from conch.app.kernel.launcher import installed_kernels
from conch.app.kernel_session import KernelSession
from conch.app.kernel.status import KernelStatus

from .conftest import press, type_text


@pytest.fixture(scope="session")
def bash_kernelspec() -> None:
    """bash_kernel is a test dependency; its kernelspec is installed into this environment."""
    if "bash" not in installed_kernels():
        subprocess.run([sys.executable, "-m", "bash_kernel.install", "--sys-prefix"], check=True, capture_output=True)
    assert "bash" in installed_kernels()


@pytest.fixture
def bash_console(qtbot: QtBot, bash_kernelspec: None) -> Iterator[ConsoleWidget]:
    session: KernelSession = start_kernel("bash")
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=30000)
    console = ConsoleWidget(session)
    qtbot.addWidget(console)
    console.resize(700, 400)
    console.show()
    yield console
    session.shutdown()
    process = session.process
    assert process is not None
    qtbot.waitUntil(lambda: not process.is_alive(), timeout=5000)


def test_bash_highlighting_uses_a_bash_lexer_and_enter_runs_echo(qtbot: QtBot, bash_console: ConsoleWidget) -> None:
    editor = bash_console.editor
    assert isinstance(editor.lexer, BashLexer)
    with qtbot.waitSignal(editor.highlighter.finished, timeout=5000):
        type_text(qtbot, bash_console, "echo hi")
    # `echo` is a shell builtin, coloured by the Bash lexer (a Python lexer leaves the name plain).
    formats = editor.document().firstBlock().layout().formats()
    assert any(f.start == 0 and f.length == 4 and f.format.foreground().color().name() != "#000000" for f in formats)
    with qtbot.waitSignal(bash_console.execution_finished, timeout=30000):
        press(qtbot, bash_console, Qt.Key.Key_Return)  # is_complete says "unknown": run it
    assert [o.text for o in bash_console.outputs()] == ["hi\n"]
    assert "In [1]: echo hi\nhi\n" in bash_console.transcript_text()
