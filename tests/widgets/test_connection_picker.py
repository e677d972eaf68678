"""Connect ▸ Browse… opens a file dialog in Jupyter's runtime folder, and the pick is announced."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from conch.widgets.connection_picker import ConnectionPicker


def open_picker(qtbot: QtBot) -> ConnectionPicker:
    picker = ConnectionPicker()  # no folder: Jupyter's runtime folder
    qtbot.addWidget(picker)
    picker.open()
    qtbot.waitExposed(picker)
    return picker


def browse(qtbot: QtBot, picker: ConnectionPicker) -> QFileDialog:
    button = next(b for b in picker.findChildren(QPushButton) if b.text() == "Browse…")
    button.click()  # returns at once: the dialog does not run a nested event loop

    def file_dialogs() -> list[QFileDialog]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()]

    qtbot.waitUntil(lambda: len(file_dialogs()) == 1)
    return file_dialogs()[0]


def file_name(dialog: QFileDialog) -> str:
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    assert edit is not None
    return edit.text()


def test_browse_opens_in_the_runtime_folder_and_the_pick_is_chosen(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    connection_file = runtime / "kernel-abc.json"
    connection_file.write_text("{}", encoding="utf-8")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    picker = open_picker(qtbot)
    dialog = browse(qtbot, picker)
    assert Path(dialog.directory().absolutePath()).resolve() == runtime.resolve()
    assert file_name(dialog) == ""
    assert dialog.nameFilters() == ["Connection files (kernel-*.json *.json)"]
    assert dialog.fileMode() == QFileDialog.FileMode.ExistingFile
    assert dialog.parent() is picker
    dialog.selectFile(str(connection_file))
    assert file_name(dialog) == "kernel-abc.json"
    with qtbot.waitSignal(picker.chosen) as blocker:
        dialog.accept()
    assert blocker.args == [connection_file]
    assert not picker.isVisible()


def test_a_missing_runtime_folder_is_opened_not_taken_for_a_file_name(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "jupyter" / "runtime"  # Jupyter makes it when it first starts a kernel
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    picker = open_picker(qtbot)
    dialog = browse(qtbot, picker)
    assert Path(dialog.directory().absolutePath()).resolve() == runtime.resolve()
    assert file_name(dialog) == ""
    with qtbot.assertNotEmitted(picker.chosen):
        dialog.reject()
    assert picker.isVisible()  # cancelling the file dialog leaves the list open
