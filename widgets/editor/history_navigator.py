"""Up/Down through the session's history, filtered by what is typed before the cursor."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QTextCursor

from conch.app.model.history import HistoryWalk, InputHistory

if TYPE_CHECKING:
    from conch.widgets.input_editor import InputEditor


class HistoryNavigator(QObject):
    """Up on the first line shows older entries that start with the text before the cursor;
    Down on the last line newer ones, then the draft. Elsewhere the keys move the cursor.

    After Up the cursor sits at the end of the entry's first line (so Up again keeps walking
    through multi-line entries); after Down at the end. Editing the text ends the walk.
    """

    def __init__(self, editor: "InputEditor", history: InputHistory) -> None:
        super().__init__(editor)
        self._editor = editor
        self._history = history
        self._walk: HistoryWalk | None = None
        self._shown: str | None = None
        editor.set_action("history_previous", self.previous)
        editor.set_action("history_next", self.next)

    def previous(self) -> bool:
        editor = self._editor
        if not editor.cursor_on_first_line():
            return False
        code = editor.code()
        if self._walk is None or code != self._shown:
            self._walk = self._history.walk(code, editor.text_before())
        entry = self._walk.older()
        if entry is None:
            return True  # the oldest match: stay
        self._show(entry, at_end=False)
        return True

    def next(self) -> bool:
        editor = self._editor
        if not editor.cursor_on_last_line():
            return False
        if self._walk is None or editor.code() != self._shown:
            return False
        entry = self._walk.newer()
        if entry is None:
            return False
        self._show(entry, at_end=True)
        return True

    def _show(self, entry: str, at_end: bool) -> None:
        self._shown = entry
        self._editor.set_code(entry)
        if not at_end:
            cursor = self._editor.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.Start)
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
            self._editor.setTextCursor(cursor)
