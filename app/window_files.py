"""The window's file actions beside saving: File ▸ Run File…, a ``.py`` dropped on the window,
File ▸ Print… and File ▸ Export as PDF… (every dialog opened without blocking)."""
from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox
from PySide6.QtPrintSupport import QPrintDialog, QPrinter

from conch.widgets.file_runs import DROP_REFUSED, FileDropFilter

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow
    from conch.widgets.console import ConsoleWidget

RUN_FILTER = "Python scripts (*.py *.ipy);;All files (*)"


def current_console(window: "MainWindow", doing: str) -> "ConsoleWidget | None":
    """The current tab's console; if there is none, the status bar says so (``doing`` says what failed)."""
    tab = window.current_tab()
    console = tab.console if tab is not None else None
    if console is None:
        window.statusBar().showMessage(f"This tab has no console to {doing}.", 8000)
    return console


def run_dropped(window: "MainWindow", path: str) -> str:
    """Run ``path`` in the current tab's kernel (``%run``); returns the msg_id ("" if not run now)."""
    console = current_console(window, "run the file in")
    return console.run_file(path) if console is not None else ""


def install_drops(window: "MainWindow") -> FileDropFilter:
    """Let a ``.py``/``.ipy`` dropped anywhere on the window (tab bar, status bar...) run in
    the current tab; the consoles take drops on themselves."""
    drops = FileDropFilter(
        lambda path: run_dropped(window, path),
        lambda text: window.statusBar().showMessage(text, 8000),
        window,
    )
    drops.watch(window)
    return drops


def choose_and_run_file(window: "MainWindow") -> QFileDialog | None:
    """File ▸ Run File…: pick a script (without blocking) and run it in the current tab."""
    if current_console(window, "run the file in") is None:
        return None
    dialog = QFileDialog(window, "Run File", os.getcwd(), RUN_FILTER)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    return _open_file_dialog(window, dialog, lambda path: run_dropped(window, path))


def _open_file_dialog(window: "MainWindow", dialog: QFileDialog, chosen: Callable[[str], object]) -> QFileDialog:
    """Open ``dialog`` without blocking; ``chosen(path)`` runs if the user picks a file."""

    def finished(result: int) -> None:
        dialog.deleteLater()
        paths = dialog.selectedFiles() if result == QDialog.DialogCode.Accepted.value else []
        if paths:
            chosen(paths[0])
        window.focus_editor()

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def export_pdf(window: "MainWindow", path: str) -> bool:
    """Write the current tab's transcript as a PDF at ``path``; a failure is shown in a message box."""
    from conch.widgets.transcript_printer import write_pdf

    console = current_console(window, "export")
    if console is None:
        return False
    try:
        pages = write_pdf(console, path)
    except OSError as error:
        _warn(window, "Export as PDF", f"Could not write {path}: {error}")
        return False
    window.statusBar().showMessage(f"Saved {path} ({pages} page{'s' if pages != 1 else ''})", 8000)
    return True


def export_pdf_dialog(window: "MainWindow") -> QFileDialog | None:
    """File ▸ Export as PDF…: ask where (without blocking), then write."""
    if current_console(window, "export") is None:
        return None
    dialog = QFileDialog(window, "Export as PDF", f"conch-{datetime.now():%Y-%m-%d-%H%M}.pdf", "PDF files (*.pdf)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("pdf")
    return _open_file_dialog(window, dialog, lambda path: export_pdf(window, path))


def print_session(window: "MainWindow") -> QPrintDialog | None:
    """File ▸ Print…: the system's print dialog (without blocking), then print the current tab."""
    from conch.widgets.transcript_printer import document_title, print_transcript

    console = current_console(window, "print")
    if console is None:
        return None
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(document_title(console))
    dialog = QPrintDialog(printer, window)
    dialog.setWindowTitle("Print")

    def finished(result: int) -> None:
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted.value:
            pages = print_transcript(console, printer)
            if printer.printerState() == QPrinter.PrinterState.Error:
                _warn(window, "Print", "The printer reported an error; nothing may have been printed.")
            else:
                window.statusBar().showMessage(f"Sent {pages} page{'s' if pages != 1 else ''} to the printer", 8000)
        window.focus_editor()

    dialog.finished.connect(finished)
    QDialog.open(dialog)  # PySide6's QPrintDialog.open() only has the (receiver, slot) overload
    return dialog


def _warn(window: "MainWindow", title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, window)
    box.finished.connect(box.deleteLater)
    box.open()


__all__ = [
    "DROP_REFUSED", "choose_and_run_file", "export_pdf", "export_pdf_dialog", "install_drops",
    "print_session", "run_dropped",
]
