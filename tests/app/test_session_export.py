"""File ▸ Save Session As Notebook… / Export as HTML…, through the window's keys and dialog."""
from __future__ import annotations

from pathlib import Path

import nbformat
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from .conftest import close_window, open_window, press


def save_through_dialog(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier, path: Path) -> None:
    press(qtbot, key, modifiers)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QFileDialog), timeout=5000)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, QFileDialog)
    dialog.selectFile(str(path))
    dialog.accept()


def test_a_session_saves_as_a_valid_notebook_and_a_script_free_page(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
        tab.console.execute("print('saved line')\nfrom IPython.display import HTML\nHTML('<b>rich</b><script>x</script>')")
    notebook = tmp_path / "session.ipynb"
    save_through_dialog(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier, notebook)
    qtbot.waitUntil(notebook.exists, timeout=5000)
    node = nbformat.read(notebook, as_version=4)
    nbformat.validate(node)
    (cell,) = [c for c in node.cells if c.cell_type == "code"]
    assert cell.outputs[0]["text"] == "saved line\n" and "text/html" in cell.outputs[1]["data"]
    page = tmp_path / "session.html"
    save_through_dialog(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier, page)
    qtbot.waitUntil(page.exists, timeout=5000)
    html = page.read_text()
    assert "saved line" in html and "<b>rich</b>" in html and "<script" not in html.lower()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is tab.console.editor, timeout=5000)
    close_window(qtbot, window)
