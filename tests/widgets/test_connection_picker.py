"""Connect ▸ Browse… opens a file dialog in Jupyter's runtime folder, and the pick is announced."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
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


@pytest.mark.timeout(30)  # the old picker read the FIFO and waited for a writer forever
def test_a_fifo_in_the_runtime_folder_is_listed_greyed_and_the_good_file_is_chosen(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    good = runtime / "kernel-good.json"
    ports = {f"{name}_port": 1 + i for i, name in enumerate(("shell", "iopub", "stdin", "control", "hb"))}
    good.write_text(json.dumps({"ip": "127.0.0.1", "key": "k", "kernel_name": "python3", **ports}))
    os.utime(good, (0, 1_000_000))  # older than the FIFO: the good file is chosen, not the first row
    os.mkfifo(runtime / "kernel-pipe.json")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    picker = open_picker(qtbot)
    rows = [picker.list.item(i) for i in range(picker.list.count())]
    assert [row.text().split()[0] for row in rows] == ["kernel-pipe.json", "kernel-good.json"]
    pipe, listed = rows
    assert pipe.flags() == Qt.ItemFlag.NoItemFlags  # greyed: cannot be picked
    assert "cannot be used: it is a named pipe (FIFO)" in pipe.text() and str(runtime) in pipe.toolTip()
    assert "python3" in listed.text() and picker.selected() == good and picker.open_button.isEnabled()
    with qtbot.waitSignal(picker.chosen) as blocker:
        picker.accept()
    assert blocker.args == [good]
