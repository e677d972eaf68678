"""The code editor at the bottom of a console."""
from __future__ import annotations

import re
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget
from pygments.lexer import Lexer

from conch.app.model.completion import to_code_points
from conch.widgets.code_highlighter import CodeHighlighter
from conch.widgets.key_dispatch import ActionHandler, KeyDispatcher, KeyFilter
from conch.widgets.keymap import KeyMap
from conch.widgets.theme import Metrics

_INDENT = re.compile(r"[ \t]*")
INDENT_WIDTH = 4


class InputEditor(QPlainTextEdit):
    """A plain-text code editor that grows with its content.

    Its :class:`~conch.widgets.key_dispatch.KeyScope` gets each key first: the key filters
    (an open completion list, ...), then the handler of the action the :class:`KeyMap` names;
    what no handler takes is normal editing. Without other handlers, Enter or Shift+Enter
    submits and Ctrl+Enter inserts a new line.
    """

    submitted = Signal(str)
    """The user asked to run this code (the editor has been cleared)."""
    typed = Signal(str)
    """Text was typed (after it was inserted): lets completion and help follow typing."""

    def __init__(self, metrics: Metrics, keymap: KeyMap | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._metrics = metrics
        self.keymap = keymap or KeyMap()
        self.keys = KeyDispatcher.instance().scope(self, self.keymap)
        """Where this editor's actions are bound (see :mod:`conch.widgets.key_dispatch`)."""
        self.keys.bind("execute", self._submit_action)
        self.keys.bind("execute_now", self._submit_action)
        self.keys.bind("newline", self._newline_action)
        self.setFont(metrics.font)
        self.setTabStopDistance(4 * metrics.char_width)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.highlighter = CodeHighlighter(self.document())
        self.lexer: Lexer | None = None
        """The Pygments lexer in use (None: plain text until the kernel says its language)."""
        self.document().contentsChanged.connect(self.updateGeometry)

    def set_lexer(self, lexer: Lexer) -> None:
        self.lexer = lexer
        self.highlighter.set_lexer(lexer)

    # -- extension points ----------------------------------------------------------------------
    def add_key_filter(self, key_filter: KeyFilter) -> None:
        """Let ``key_filter`` see key presses first; it returns True when it consumed one."""
        self.keys.add_filter(key_filter)

    def set_action(self, action: str, handler: ActionHandler) -> None:
        """Handle ``action`` (a shortcut table name); the handler returns False to let the key
        do what it normally does."""
        self.keys.bind(action, handler)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        # The dispatcher has offered the key to this editor's scope already: this is editing.
        if {"execute", "execute_now", "newline"} & set(self.keymap.actions_for(event)):
            return  # never let Qt insert its own paragraph break for an unhandled Enter
        if event.key() == Qt.Key.Key_Backspace and not event.modifiers() and self._dedent():
            return
        super().keyPressEvent(event)
        if event.text() and event.text().isprintable():
            self.typed.emit(event.text())

    # -- editing helpers -----------------------------------------------------------------------
    def code(self) -> str:
        return self.toPlainText()

    def code_point(self, position: int | None = None) -> int:
        """The offset in :meth:`code` (code points, as the protocol counts) of a Qt position
        (UTF-16 units; default: the cursor)."""
        return to_code_points(self.code(), self.textCursor().position() if position is None else position)

    def text_before(self, position: int | None = None) -> str:
        """The input up to a Qt position (default: the cursor)."""
        return self.code()[: self.code_point(position)]

    def set_code(self, code: str) -> None:
        """Replace the input (undoable), cursor at the end."""
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(code)
        cursor.endEditBlock()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self.setTextCursor(cursor)

    def insert_newline(self, indent: str | None = None) -> None:
        """A new line at the cursor, indented like the current line unless ``indent`` is given."""
        cursor = self.textCursor()
        if indent is None:
            indent = self.current_indent()
        cursor.insertText("\n" + indent)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def current_indent(self) -> str:
        line = self.textCursor().block().text()
        match = _INDENT.match(line)
        return match.group(0) if match else ""

    def line_before_cursor(self) -> str:
        cursor = self.textCursor()
        return cursor.block().text()[: cursor.positionInBlock()]

    def cursor_on_first_line(self) -> bool:
        return self.textCursor().blockNumber() == 0

    def cursor_on_last_line(self) -> bool:
        return self.textCursor().blockNumber() == self.document().blockCount() - 1

    def _dedent(self) -> bool:
        """Backspace in leading spaces goes back to the previous multiple of four."""
        cursor = self.textCursor()
        before = self.line_before_cursor()
        if cursor.hasSelection() or not before or before.strip(" "):
            return False
        remove = (len(before) - 1) % INDENT_WIDTH + 1
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, remove)
        cursor.removeSelectedText()
        return True

    def submit(self) -> None:
        """Emit :attr:`submitted` with the code (even if empty, like pressing Enter in a REPL)."""
        code = self.toPlainText()
        self.clear()
        self.submitted.emit(code)

    def _submit_action(self) -> bool:
        self.submit()
        return True

    def _newline_action(self) -> bool:
        self.insert_newline()
        return True

    # -- size ----------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        lines = min(max(1, self.document().blockCount()), 15)
        return QSize(super().sizeHint().width(), self._height_for(lines))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(100, self._height_for(1))

    def _height_for(self, lines: int) -> int:
        chrome = 2 * (self.document().documentMargin() + self.frameWidth()) + 4
        return int(lines * self._metrics.line_height + chrome)
