"""Ctrl+R: search the history as you type; the editor previews the match."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from conch.app.model.completion import to_utf16
from conch.app.model.history import HistorySearch, InputHistory
from conch.widgets.key_dispatch import KeyDispatcher

if TYPE_CHECKING:
    from conch.widgets.input_editor import InputEditor


class HistorySearchBar(QWidget):
    """A one-line search field above the editor.

    Typing finds the newest entry containing the text and shows it in the editor; Ctrl+R
    again goes to older matches. Enter (or Tab, or an arrow) keeps the match for editing,
    Esc puts back what the editor held before.
    """

    def __init__(self, editor: "InputEditor", history: InputHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editor = editor
        self._history = history
        self._search: HistorySearch | None = None
        self._draft = ""
        self.label = QLabel("History search:", self)
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("type to search; Ctrl+R older, Enter keep, Esc cancel")
        self.state = QLabel("", self)
        self.state.setProperty("role", "muted")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.state)
        self.field.textEdited.connect(self._on_query)
        KeyDispatcher.instance().scope(self, editor.keymap).add_filter(self._keys)
        editor.set_action("history_search", self.start)
        self.hide()

    def start(self) -> bool:
        """Open the search (Ctrl+R in the editor); again while open: the next older match."""
        if self._search is not None:
            self._older()
            return True
        self._draft = self._editor.code()
        self._search = self._history.search("")
        self.field.clear()
        self.state.clear()
        self.show()
        self.field.setFocus()
        return True

    def _on_query(self, query: str) -> None:
        if self._search is None:
            return
        self._preview(self._search.set_query(query))

    def _older(self) -> None:
        if self._search is None:
            return
        match = self._search.older()
        if match is None:
            self.state.setText("no older match")
        else:
            self._preview(match)

    def _preview(self, match: str | None) -> None:
        if match is None:
            self.state.setText("no match" if self.field.text() else "")
            return
        self.state.setText("")
        self._editor.set_code(match)
        start = match.rfind(self.field.text())
        cursor = self._editor.textCursor()
        cursor.setPosition(to_utf16(match, start))
        cursor.setPosition(to_utf16(match, start + len(self.field.text())), QTextCursor.MoveMode.KeepAnchor)
        self._editor.setTextCursor(cursor)

    def finish(self, keep: bool) -> None:
        """Close the search, keeping the match in the editor or restoring the draft."""
        if self._search is None:
            return
        self._search = None
        if not keep:
            self._editor.set_code(self._draft)
        else:
            cursor = self._editor.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            self._editor.setTextCursor(cursor)
        self.hide()
        self._editor.setFocus()

    def _keys(self, event: QKeyEvent) -> bool:
        if self._search is None:
            return False
        if "history_search" in self._editor.keymap.actions_for(event):
            self._older()
            return True
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.finish(keep=False)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab, Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.finish(keep=True)
            return True
        return False
