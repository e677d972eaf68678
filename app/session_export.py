"""File ▸ Save Session As Notebook… and File ▸ Export as HTML…: ask where (without blocking),
write, and say what happened."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Callable

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow
    from conch.widgets.console import ConsoleWidget

FORMATS = {
    "notebook": ("Save Session As Notebook", "Jupyter notebooks (*.ipynb)", "ipynb"),
    "html": ("Export as HTML", "Web pages (*.html)", "html"),
}


def ask_and_export(window: "MainWindow", kind: str) -> QFileDialog | None:
    """Ask where to write the current tab's session as ``kind`` ("notebook" or "html")."""
    tab = window.current_tab()
    console = tab.console if tab is not None else None
    if console is None:
        window.statusBar().showMessage("This tab has no session to save.", 8000)
        return None
    title, file_filter, suffix = FORMATS[kind]
    stem = f"conch-{datetime.now():%Y-%m-%d-%H%M}"
    dialog = QFileDialog(window, title, f"{stem}.{suffix}", file_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(suffix)

    def finished(result: int) -> None:
        dialog.deleteLater()
        paths = dialog.selectedFiles() if result == QDialog.DialogCode.Accepted.value else []
        if paths:
            export(window, console, kind, paths[0])
        window.focus_editor()

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def export(window: "MainWindow", console: "ConsoleWidget", kind: str, path: str) -> bool:
    """Write the session to ``path``; a failure is shown in a message box (not blocking)."""
    write: Callable[[str], None] = console.export_notebook if kind == "notebook" else console.export_html
    try:
        write(path)
    except Exception as error:  # noqa: BLE001 - OSError, a notebook that fails validation: shown
        box = QMessageBox(QMessageBox.Icon.Warning, FORMATS[kind][0], f"Could not write {path}: {error}",
                          QMessageBox.StandardButton.Ok, window)
        box.finished.connect(box.deleteLater)
        box.open()
        return False
    window.statusBar().showMessage(f"Saved {path}", 8000)
    return True
