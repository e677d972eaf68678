"""The editor's context menu: editing actions, then Run, Complete, Inspect and Clear."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from conch.widgets.console import ConsoleWidget
from conch.widgets.editor.editor_menu import editor_menu


def items(menu: QMenu) -> dict[str, object]:
    return {a.text().split("\t")[0].replace("&", ""): a for a in menu.actions() if a.text()}


def test_run_complete_inspect_and_clear_from_the_menu(qtbot: QtBot, console: ConsoleWidget) -> None:
    empty = items(editor_menu(console))
    assert {"Run", "Complete", "Inspect", "Clear Transcript", "Paste", "Select All"} <= set(empty)
    assert not empty["Run"].isEnabled()  # nothing to run
    assert empty["Run"].text().endswith("\tShift+Return")

    console.editor.setPlainText("len")
    console.editor.moveCursor(console.editor.textCursor().MoveOperation.End)
    items(editor_menu(console))["Inspect"].trigger()
    qtbot.waitUntil(lambda: console.inspector.tip.isVisible(), timeout=10000)
    assert "len" in console.inspector.tip.full_text.lower() or "Signature" in console.inspector.tip.full_text
    console.inspector.close()

    console.editor.setPlainText("import o")
    console.editor.moveCursor(console.editor.textCursor().MoveOperation.End)
    items(editor_menu(console))["Complete"].trigger()
    qtbot.waitUntil(lambda: console.completer.popup.isVisible() or console.editor.toPlainText() == "import os",
                    timeout=10000)
    console.completer.close()

    console.editor.setPlainText("x_from_menu = 6 * 7\nx_from_menu")
    with qtbot.waitSignal(console.execution_finished, timeout=20000):
        items(editor_menu(console))["Run"].trigger()
    assert console.editor.toPlainText() == ""
    assert "Out[1]: 42" in console.transcript_text()
    items(editor_menu(console))["Clear Transcript"].trigger()
    assert "42" not in console.transcript_text()
