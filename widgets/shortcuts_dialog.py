"""Help ▸ Keyboard Shortcuts: every action of the shortcut table with the keys it has now."""
from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from conch.app.shortcuts import SHORTCUTS

SCOPE_WORDS = {"editor": "In the input editor", "window": "Anywhere in the window"}


def native_keys(keys: tuple[str, ...]) -> str:
    """Keys as the platform writes them ("Ctrl+Shift+T", "⇧⌘T" on macOS); "none" if no key."""
    texts = [QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) for key in keys]
    return ", ".join(text for text in texts if text) or "none"


class ShortcutsDialog(QDialog):
    """A table of action, keys, what it does and where it works; the search field (focused when
    the dialog opens) keeps the rows whose words or keys contain what is typed. Esc closes."""

    def __init__(self, keys: Mapping[str, tuple[str, ...]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(760, 520)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search actions and keys")
        self.search.setAccessibleName("Search shortcuts")
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(len(SHORTCUTS), 3, self)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "What it does", "Where"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.actions: list[str] = []
        for row, shortcut in enumerate(SHORTCUTS):
            self.actions.append(shortcut.action)
            cells = (native_keys(keys.get(shortcut.action, shortcut.keys)), shortcut.description,
                     SCOPE_WORDS.get(shortcut.scope, shortcut.scope))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, shortcut.action)
                item.setToolTip(f"{shortcut.action}: {shortcut.description}")
                self.table.setItem(row, column, item)
        self.count = QLabel(self)
        hint = QLabel("Change keys in settings.json, under \"shortcuts\" (action name: keys).", self)
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        close.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self.filter_rows)
        self.filter_rows("")
        self.search.setFocus()

    def filter_rows(self, text: str) -> None:
        """Show only the rows whose action name, keys, description or scope contain ``text``
        (case-insensitive); every row when it is empty."""
        needle = text.strip().casefold()
        shown = 0
        for row, action in enumerate(self.actions):
            haystack = " ".join([action.replace("_", " ")] + [
                self.table.item(row, column).text() for column in range(self.table.columnCount())
            ]).casefold()
            hidden = bool(needle) and needle not in haystack
            self.table.setRowHidden(row, hidden)
            shown += not hidden
        self.count.setText(f"{shown} of {len(self.actions)} shortcuts")

    def visible_actions(self) -> list[str]:
        """The actions of the rows shown now, in table order."""
        return [action for row, action in enumerate(self.actions) if not self.table.isRowHidden(row)]

    def keys_text(self, action: str) -> str:
        """What the Keys column says for ``action``."""
        return self.table.item(self.actions.index(action), 0).text()
