"""Driving the input editor with real key events."""
from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget

NO = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def type_text(qtbot: QtBot, console: ConsoleWidget, text: str) -> None:
    """Type ``text`` into the editor key by key (newlines as Ctrl+Enter: plain new lines)."""
    for index, line in enumerate(text.split("\n")):
        if index:
            qtbot.keyClick(console.editor, Qt.Key.Key_Return, CTRL)
        if line:
            qtbot.keyClicks(console.editor, line)


def press(qtbot: QtBot, console: ConsoleWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier = NO) -> None:
    qtbot.keyClick(console.editor, key, modifiers)


def kernel_round_trip(qtbot: QtBot, console: ConsoleWidget) -> None:
    """Wait until the kernel has answered every shell request sent so far (replies come in order)."""
    answered: list[object] = []
    console.kernel.is_complete("pass", answered.append)
    qtbot.waitUntil(lambda: bool(answered), timeout=10000)
