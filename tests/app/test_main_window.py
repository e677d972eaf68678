"""The main window around real kernels: exit confirmation, status messages, shortcut settings."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from conch.app.settings import Settings

from ..conftest import pid_exists
from .conftest import close_window, open_window


def test_exit_asks_then_closes_the_tab_and_its_kernel(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    process = tab.console.kernel.process
    assert process is not None and process.pid is not None
    pid = process.pid
    qtbot.keyClicks(tab.console.editor, "exit")
    qtbot.keyClick(tab.console.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)), timeout=30000)
    (question,) = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert "asked to exit" in question.text()
    assert window.tabs.count() == 1  # nothing closes before the user says so
    question.button(QMessageBox.StandardButton.Close).click()
    qtbot.waitUntil(lambda: window.tabs.count() == 0, timeout=5000)
    qtbot.waitUntil(lambda: not pid_exists(pid), timeout=5000)
    close_window(qtbot, window)


def test_cancelling_the_exit_question_keeps_the_tab(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    with qtbot.waitSignal(tab.exit_requested, timeout=30000):
        tab.console.execute("quit")
    (question,) = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    question.button(QMessageBox.StandardButton.Cancel).click()
    assert window.tabs.count() == 1
    close_window(qtbot, window)


def test_console_messages_reach_the_status_bar(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    tab.console.status_message.emit("hello from the console")
    assert window.statusBar().currentMessage() == "hello from the console"
    close_window(qtbot, window)


def test_shortcuts_come_from_settings_and_bad_settings_are_reported(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {"interrupt": "Ctrl+Shift+I", "nonsense": "F9"}}')
    window = open_window(qtbot, settings=Settings.load(path))
    actions = {a.text(): a for a in window.menuBar().actions()[1].menu().actions()}
    assert actions["&Interrupt"].shortcut().toString() == "Ctrl+Shift+I"
    assert "nonsense" in window.statusBar().currentMessage()
    close_window(qtbot, window)
