"""Tab completion: asks the kernel, inserts a single match, or opens the list and filters it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRect, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor

from conch.app.model.completion import (
    Completion,
    CompletionSet,
    common_prefix,
    parse_complete_reply,
    to_code_points,
    to_utf16,
)
from conch.widgets.editor.completion_popup import CompletionPopup
from conch.widgets.input_editor import INDENT_WIDTH

if TYPE_CHECKING:
    from conch.app.kernel_session import KernelSession
    from conch.widgets.input_editor import InputEditor

_NAVIGATION = {
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_PageUp: -8,
    Qt.Key.Key_PageDown: 8,
}
_ACCEPT = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)


class Completer(QObject):
    """Tab in an editor: indentation at the start of a line, otherwise a ``complete_request``.

    A reply for a text or cursor that has changed since the request is discarded. With one
    match it is inserted; with several their common prefix is inserted and the list opens,
    narrowing as the user types. Up/Down move, Enter or Tab accept, Esc closes.
    """

    status_message = Signal(str)
    """Something the user should know (no completions, kernel unavailable)."""

    def __init__(self, editor: "InputEditor", kernel: "KernelSession", popup: CompletionPopup) -> None:
        super().__init__(editor)
        self._editor = editor
        self._kernel = kernel
        self.popup = popup
        self._request: tuple[str, str, int] | None = None  # (msg_id, code, cursor in UTF-16)
        self._shown: tuple[CompletionSet, str, int] | None = None  # (set, code prefix before start, cursor at request)
        editor.add_key_filter(self._popup_keys)
        editor.set_action("complete", self.complete)
        editor.cursorPositionChanged.connect(self._refilter)  # typing and deleting both move it
        popup.activated_completion.connect(self._accept)

    def complete(self) -> bool:
        cursor = self._editor.textCursor()
        if cursor.hasSelection():
            return False
        if not self._editor.line_before_cursor().strip():
            column = len(self._editor.line_before_cursor().expandtabs(INDENT_WIDTH))
            cursor.insertText(" " * (INDENT_WIDTH - column % INDENT_WIDTH))
            return True
        code = self._editor.code()
        position = cursor.position()
        msg_id = self._kernel.complete(code, self._editor.code_point(position), self._on_reply)
        if msg_id is None:
            self.status_message.emit("No completions: the kernel is not running.")
            return True
        self._request = (msg_id, code, position)
        return True

    def close(self) -> bool:
        """Close the list; False if it was not open."""
        self._shown = None
        if not self.popup.isVisible():
            return False
        self.popup.hide()
        return True

    # -- replies -------------------------------------------------------------------------------
    def _on_reply(self, reply: dict[str, Any]) -> None:
        if self._request is None or reply.get("parent_header", {}).get("msg_id") != self._request[0]:
            return
        _, code, position = self._request
        self._request = None
        if self._editor.code() != code or self._editor.textCursor().position() != position:
            return  # the user moved on: this answer is for a cursor position that is gone
        cursor = to_code_points(code, position)
        result = parse_complete_reply(reply.get("content", {}), cursor)
        if result is None or not result.items:
            self.status_message.emit("No completions.")
            return
        if len(result.items) == 1:
            self._insert(result, code, cursor, result.items[0].text)
            return
        typed = result.typed(code, cursor)
        prefix = common_prefix(item.text for item in result.items)
        if len(prefix) > len(typed) and prefix.startswith(typed):
            self._insert(result, code, cursor, prefix, keep_end=True)
            code = self._editor.code()
        self._shown = (result, code[: result.start], cursor)
        self._refilter()
        if self._shown is not None:
            self.popup.show_at(self._anchor(result.start))

    def _insert(self, result: CompletionSet, code: str, cursor: int, text: str, keep_end: bool = False) -> None:
        """Replace the completed range (start .. cursor, and the reply's end beyond the cursor)."""
        end = cursor if keep_end else max(cursor, result.end)
        edit = self._editor.textCursor()
        edit.setPosition(to_utf16(code, result.start))
        edit.setPosition(to_utf16(code, end), QTextCursor.MoveMode.KeepAnchor)
        edit.insertText(text)
        self._editor.setTextCursor(edit)

    # -- the open list -------------------------------------------------------------------------
    def _refilter(self) -> None:
        if self._shown is None:
            return
        result, before, _ = self._shown
        code = self._editor.code()
        cursor = self._editor.code_point()
        if cursor < result.start or not code.startswith(before):
            self.close()
            return
        typed = code[result.start:cursor]
        matching = result.matching(typed)
        if not matching or any(ch.isspace() for ch in typed):
            self.close()
            return
        self.popup.set_items(matching)

    def _popup_keys(self, event: QKeyEvent) -> bool:
        if not self.popup.isVisible():
            return False
        key = event.key()
        if key in _NAVIGATION:
            self.popup.move_selection(_NAVIGATION[Qt.Key(key)])
            return True
        if key in _ACCEPT and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            current = self.popup.current()
            if current is not None:
                self._accept(current)
            return True
        if key == Qt.Key.Key_Escape:
            self.close()
            return True
        return False

    def _accept(self, completion: Completion) -> None:
        if self._shown is None:
            return
        result, _, requested_at = self._shown
        self.close()
        code = self._editor.code()
        cursor = self._editor.code_point()
        # Text after the cursor that the kernel meant to replace (the rest of a word).
        tail = max(0, result.end - requested_at)
        shifted = CompletionSet(result.start, cursor + tail, result.items)
        self._insert(shifted, code, cursor, completion.text)

    def _anchor(self, start: int) -> QRect:
        code = self._editor.code()
        cursor = QTextCursor(self._editor.document())
        cursor.setPosition(to_utf16(code, start))
        rect = self._editor.cursorRect(cursor)
        parent = self.popup.parentWidget()
        assert parent is not None
        top_left = self._editor.viewport().mapTo(parent, rect.topLeft())
        return QRect(top_left, rect.size())
