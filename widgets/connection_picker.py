"""Pick a running kernel's connection file: the runtime folder's files, newest first, or browse.

Listing never blocks: ``list_connection_files`` refuses FIFOs and devices after a ``stat`` and
reads each file with a size limit; a file that cannot be used is listed greyed, with the reason.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from conch.app.kernel.connection_files import ConnectionFile, list_connection_files, runtime_dir

_PATH_ROLE = Qt.ItemDataRole.UserRole
_NAME_FILTER = "Connection files (kernel-*.json *.json)"


class ConnectionPicker(QDialog):
    """Lists the connection files in Jupyter's runtime folder; :attr:`chosen` carries the pick."""

    chosen = Signal(Path)
    """The user picked a connection file."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to Existing Kernel")
        self._folder = folder or runtime_dir()
        self.list = QListWidget(self)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        hint = QLabel(f"Running kernels in {self._folder} (newest first):", self)
        hint.setWordWrap(True)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.addButton(browse, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(560, 360)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        now = time.time()
        files = list_connection_files(self._folder)
        for found in files:
            age = _age(now - found.modified)
            if found.problem:
                item = QListWidgetItem(f"{found.path.name}   — cannot be used: it {_short_reason(found)}")
                item.setFlags(Qt.ItemFlag.NoItemFlags)  # greyed, never picked
                item.setToolTip(found.problem)
            else:
                name = f" — {found.kernel_name}" if found.kernel_name else ""
                item = QListWidgetItem(f"{found.path.name}{name}   ({age} ago)")
                item.setData(_PATH_ROLE, str(found.path))
                item.setToolTip(str(found.path))
            self.list.addItem(item)
        usable = [row for row, found in enumerate(files) if not found.problem]
        if usable:
            self.list.setCurrentRow(usable[0])
        elif not files:
            self.list.addItem(QListWidgetItem("No running kernels found here; use Browse… to pick a file."))
            self.list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.open_button.setEnabled(self.selected() is not None)

    def selected(self) -> Path | None:
        item = self.list.currentItem()
        path = item.data(_PATH_ROLE) if item is not None else None
        return Path(path) if path else None

    def accept(self) -> None:
        path = self.selected()
        if path is None:
            return
        super().accept()
        self.chosen.emit(path)

    def _browse(self) -> None:
        """A file dialog in the runtime folder (not blocking: no nested event loop)."""
        dialog = QFileDialog(self, "Connection File")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(_NAME_FILTER)
        # A folder that does not exist would be taken for a file name in its parent.
        dialog.setDirectory(str(_existing_folder(self._folder)))
        dialog.selectFile("")
        dialog.fileSelected.connect(self._browsed)
        dialog.open()

    def _browsed(self, path: str) -> None:
        if path:
            super().accept()
            self.chosen.emit(Path(path))


def _existing_folder(folder: Path) -> Path:
    """``folder``, created (private, as Jupyter makes it) if missing; else its nearest existing parent."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        pass
    while not folder.is_dir() and folder.parent != folder:
        folder = folder.parent
    return folder


def _short_reason(found: ConnectionFile) -> str:
    """What is wrong with the file, without its path (the tooltip has the whole message)."""
    reason = found.problem.removeprefix(f"Connection file {found.path} ").rstrip(".")
    return reason if len(reason) <= 100 else reason[:99] + "…"


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{max(0, int(seconds))} s"
    if seconds < 5400:
        return f"{int(seconds // 60)} min"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"
