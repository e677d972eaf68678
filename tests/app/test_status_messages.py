"""Messages in the status bar describe the present, not a state that has passed."""
from __future__ import annotations

import os
import signal
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch.app.kernel.status import KernelStatus

from .conftest import close_window, open_window, press, type_keys, wait_idle


def test_the_busy_message_goes_when_the_kernel_is_free(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    console = tab.console
    finished: list[str] = []
    console.execution_finished.connect(finished.append)
    type_keys(qtbot, "import time; time.sleep(1.5)")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: console.is_busy(), timeout=10000)
    type_keys(qtbot, "1+1")
    press(qtbot, Qt.Key.Key_Return)
    assert "busy" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=30000)
    assert "busy" not in window.statusBar().currentMessage()
    close_window(qtbot, window)


def test_enter_on_a_vanished_existing_kernel_says_it_is_not_responding(qtbot: QtBot, foreign_kernel) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, tabs=0)
    tab = window.new_tab(connection_file=Path(foreign_kernel.connection_file))
    wait_idle(qtbot, tab)
    assert tab.console is not None
    tab.console.editor.setFocus()
    os.kill(foreign_kernel.provisioner.process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: tab.status is KernelStatus.UNRESPONSIVE, timeout=10000)
    type_keys(qtbot, "1+1")
    press(qtbot, Qt.Key.Key_Return)
    message = window.statusBar().currentMessage()
    assert "not responding" in message and "busy" not in message
    assert tab.console.editor.code().startswith("1+1")  # the input is kept
    close_window(qtbot, window)
