"""The code editor at the bottom of a console."""
from __future__ import annotations

import re
import time
from typing import Final

from PySide6.QtCore import QMimeData, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor, QTextDocument, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QWidget
from pygments.lexer import Lexer

from conch.app.model.completion import to_code_points
from conch.app.model.history import has_long_line
from conch.widgets.code_highlighter import CodeHighlighter
from conch.widgets.key_dispatch import ActionHandler, KeyDispatcher, KeyFilter
from conch.widgets.keymap import KeyMap
from conch.widgets.theme import Metrics

_INDENT = re.compile(r"[ \t]*")
INDENT_WIDTH = 4

AT_ONCE: Final = 20_000
"""Characters (removed plus inserted) :meth:`InputEditor.set_code` replaces in one go; a
bigger replacement goes in in slices, one per event-loop turn."""
SLICE_SECONDS: Final = 0.004
"""Replacement work per event-loop turn (the highlighter takes its own slice of the turn for
the lines that came in)."""
_PIECE_SECONDS: Final = 0.002  # each insert or removal aims at this; its size adapts
LONG_LINE: Final = 10_000
"""A line this long makes the editor wrap anywhere: Qt's word wrap takes time quadratic in
the length of a word with no break (1 MB: 47 s), wrapping anywhere takes linear time."""


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
    filled = Signal()
    """A :meth:`set_code` too big for one event-loop turn has all its text in place."""

    def __init__(self, metrics: Metrics, keymap: KeyMap | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._metrics = metrics
        self.keymap = keymap or KeyMap()
        self.keys = KeyDispatcher.instance().scope(self, self.keymap)
        """Where this editor's actions are bound (see :mod:`conch.widgets.key_dispatch`)."""
        self.keys.bind("execute", self._submit_action)
        self.keys.bind("execute_now", self._submit_action)
        self.keys.bind("newline", self._newline_action)
        self.setObjectName("input_editor")  # coloured by the theme's stylesheet
        self.set_metrics(metrics)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.highlighter = CodeHighlighter(self.document())
        """Colours the code as it is typed (its code style follows the console's theme)."""
        self.lexer: Lexer | None = None
        """The Pygments lexer in use (None: plain text until the kernel says its language)."""
        self.document().contentsChanged.connect(self.updateGeometry)
        self._fill: _Fill | None = None
        self._fill_turn = QTimer(self)
        self._fill_turn.setSingleShot(True)
        self._fill_turn.setInterval(0)
        self._fill_turn.timeout.connect(self._fill_step)
        # First of the filters: a key typed during a sliced set_code meets the whole text.
        self.keys.add_filter(self._settle_before_key)

    def set_metrics(self, metrics: Metrics) -> None:
        """Type in ``metrics``' font (a zoom or another font)."""
        self._metrics = metrics
        self.setFont(metrics.font)
        self.setTabStopDistance(4 * metrics.char_width)
        self.updateGeometry()

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

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt override
        """Paste and drop: after any sliced :meth:`set_code`, and with wrapping fit for what comes."""
        self.settle()
        if source.hasText() and has_long_line(source.text(), LONG_LINE - 1):
            self._wrap_anywhere(True)
        super().insertFromMimeData(source)

    # -- editing helpers -----------------------------------------------------------------------
    def code(self) -> str:
        """The input (while a big :meth:`set_code` is still going in: all of its text)."""
        return self._fill.text if self._fill is not None else self.toPlainText()

    def code_point(self, position: int | None = None) -> int:
        """The offset in :meth:`code` (code points, as the protocol counts) of a Qt position
        (UTF-16 units; default: the cursor)."""
        return to_code_points(self.code(), self.textCursor().position() if position is None else position)

    def text_before(self, position: int | None = None) -> str:
        """The input up to a Qt position (default: the cursor)."""
        return self.code()[: self.code_point(position)]

    def set_code(self, code: str) -> None:
        """Replace the input (undoable, as one step), cursor at the end.

        A replacement of more than :data:`AT_ONCE` characters goes in in slices of about
        :data:`SLICE_SECONDS` per event-loop turn (Qt takes ~2 µs a line to insert and the
        highlighter is called for every new line), so a megabyte never freezes the window:
        its first lines at once, then the rest in front of the old text, which is then
        removed from its end.
        Meanwhile :meth:`code` is the new text and :attr:`filled` follows; a key press, a
        paste or another edit through this class first puts the rest in at once.
        """
        self._fill = None  # a replacement still going in is replaced in its turn
        self._fill_turn.stop()
        self._wrap_anywhere(has_long_line(code, LONG_LINE - 1))
        if len(code) + self.document().characterCount() <= AT_ONCE:
            cursor = self.textCursor()
            cursor.beginEditBlock()
            cursor.select(QTextCursor.SelectionType.Document)
            cursor.insertText(code)
            cursor.endEditBlock()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            self.setTextCursor(cursor)
            return
        fill = self._fill = _Fill(code, QTextCursor(self.document()), self.highlighter)
        start = QTextCursor(self.document())  # the editor's cursor moves along with the inserts
        self.setTextCursor(start)
        fill.step(self.document(), whole=False)  # its first lines now (a caller may move the cursor)
        self._fill_turn.start()

    def is_filling(self) -> bool:
        """A big :meth:`set_code` is still going in (:attr:`filled` will follow)."""
        return self._fill is not None

    def settle(self) -> None:
        """Put the rest of a big :meth:`set_code` in now (before an edit that needs it all)."""
        if self._fill is not None:
            self._fill_step(everything=True)

    def _settle_before_key(self, _event: QKeyEvent) -> bool:
        self.settle()
        return False  # the key itself goes on as usual

    def _fill_step(self, everything: bool = False) -> None:
        """One slice of a sliced :meth:`set_code` (or all that is left)."""
        fill = self._fill
        if fill is None:
            return
        deadline = time.perf_counter() + SLICE_SECONDS
        document = self.document()
        while everything or time.perf_counter() < deadline:
            began = time.perf_counter()
            kind = fill.step(document, everything)
            if kind is None:
                break
            fill.adapt(kind, time.perf_counter() - began)
        else:
            self._fill_turn.start()
            return
        self._fill = None
        self._fill_turn.stop()
        self.ensureCursorVisible()
        self.filled.emit()

    def _wrap_anywhere(self, anywhere: bool) -> None:
        mode = QTextOption.WrapMode.WrapAnywhere if anywhere else QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere
        if self.wordWrapMode() != mode:
            self.setWordWrapMode(mode)

    def insert_newline(self, indent: str | None = None) -> None:
        """A new line at the cursor, indented like the current line unless ``indent`` is given."""
        self.settle()
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
        code = self.code()
        self._fill = None
        self._fill_turn.stop()
        self.clear()
        self._wrap_anywhere(False)
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


class _Fill:
    """A sliced replacement: the new text goes in in front of the old one (``cursor`` marks
    where), then the old text is removed from the end, a run of lines at a time. The first
    edit opens an undo step and every later one joins it. The new lines are only marked for
    the highlighter, which colours them in its own slices."""

    def __init__(self, text: str, cursor: QTextCursor, highlighter: CodeHighlighter) -> None:
        self.text = text
        self.cursor = cursor
        self._highlighter = highlighter
        self.done = 0  # characters of `text` inserted
        self.chars = 4_000  # characters per insert, adapted to take about _PIECE_SECONDS
        self.lines = 4_000  # old lines per removal, adapted likewise
        self._first = True

    def step(self, document: QTextDocument, whole: bool) -> str | None:
        """One insert or removal (``whole``: all that is left); which one it was, or None
        once nothing is left."""
        cursor = self.cursor
        if self.done < len(self.text):
            end = len(self.text) if whole else self._cut()
            if self._first:
                cursor.beginEditBlock()
                self._first = False
                if document.characterCount() > 1:
                    # The old text starts a line of its own, so the highlighter, catching up
                    # with each piece, stops at this empty line instead of doing the old first
                    # line (maybe a long one) again every turn. It goes with the old text.
                    cursor.insertText("\n")
                    cursor.movePosition(QTextCursor.MoveOperation.PreviousCharacter)
            else:
                cursor.joinPreviousEditBlock()
            cursor.insertText(self.text[self.done:end])
            with self._highlighter.deferred():  # Qt highlights the new lines at the block's end
                cursor.endEditBlock()
            self.done = end
            return "insert"
        keep = cursor.position()
        last = document.characterCount() - 1
        if last <= keep:
            return None
        start = keep
        if not whole:
            first_line = document.findBlock(last).blockNumber() - self.lines
            start = max(keep, document.findBlockByNumber(max(0, first_line)).position())
        removal = QTextCursor(document)
        removal.setPosition(last)
        removal.setPosition(start, QTextCursor.MoveMode.KeepAnchor)
        if self._first:  # nothing was inserted: the new text is empty
            removal.beginEditBlock()
            self._first = False
        else:
            removal.joinPreviousEditBlock()
        removal.removeSelectedText()
        removal.endEditBlock()
        return "remove"

    def adapt(self, kind: str, seconds: float) -> None:
        """Size the next piece of this kind after the time the last one took."""
        factor = min(4.0, max(0.25, _PIECE_SECONDS / max(seconds, 1e-6)))
        if kind == "insert":
            self.chars = int(min(1_000_000, max(500, self.chars * factor)))
        else:
            self.lines = int(min(1_000_000, max(50, self.lines * factor)))

    def _cut(self) -> int:
        """Where the next piece ends: after a line break near its size, or after the line it
        reaches (a line goes in whole: inserting it in parts would lay it out and lex it again
        for every part)."""
        end = self.done + self.chars
        if end >= len(self.text):
            return len(self.text)
        newline = self.text.rfind("\n", self.done + self.chars // 2, end)
        if newline < 0:
            newline = self.text.find("\n", end)
        return len(self.text) if newline < 0 else newline + 1
