"""The pager: long help (``obj?``, ``obj??``) in a panel below the transcript."""
from __future__ import annotations

import html
import re
import time
from typing import Final

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextEdit, QToolButton, QVBoxLayout, QWidget

from conch.app.model.payloads import Page
from conch.app.model.style import DEFAULT_STYLE, Style
from conch.app.model.terminal_text import TerminalText
from conch.widgets.ansi_html import ansi_format
from conch.widgets.blocks.base import RenderRefused
from conch.widgets.blocks.safe_document import SafeDocument
from conch.widgets.theme import Metrics, Theme

SHOWN: Final = 200_000
"""Characters of a page the pager shows; a note at the end says how many more there were."""
SHOWN_LINE: Final = 10_000
"""Characters of one line the pager shows: Qt lays a line out in one go (a 200 000-character
line: 150 ms), so a longer one is cut, with a note."""
HTML_AT_ONCE: Final = 100_000
"""An HTML-only page longer than this is shown as its text (Qt parses and lays out HTML in one
go, ~0.5 µs a character)."""
SLICE_SECONDS: Final = 0.008
"""Work per event-loop turn while a page goes in."""
AT_ONCE: Final = 20_000
"""A page of up to this many characters goes in at once (in a few milliseconds)."""
_FEED: Final = 16_000  # characters of terminal text read per step
_TAG = re.compile(r"<[^>]*>")


class Pager(QWidget):
    """Shows a page payload (ANSI text, or HTML when that is all there is); ✕ closes it (and
    Esc, through the console's keys).

    Text goes in in slices of about :data:`SLICE_SECONDS` a turn of the event loop (the
    terminal text is read, then its lines are inserted, a run of lines per edit block, so Qt
    lays each run out once), so a page of any size never freezes the window: the first lines
    show at once, and at most :data:`SHOWN` characters are shown.
    """

    closed = Signal()
    """The user closed the pager."""
    filled = Signal()
    """The page shown last is all in (after :meth:`show_page`, on a later turn if it was big)."""

    def __init__(self, theme: Theme, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self._font = metrics.font
        self.title = QLabel("Help", self)
        close = QToolButton(self)
        close.setText("✕")
        close.setAccessibleName("Close the pager")
        close.setAutoRaise(True)
        close.setToolTip("Close the pager (Esc)")
        close.clicked.connect(self.close_pager)
        self.text = QTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setDocument(SafeDocument(self.text))
        self.text.document().setDefaultFont(metrics.font)
        self.text.document().setUndoRedoEnabled(False)
        self.text.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 2, 2)
        header.addWidget(self.title, 1)
        header.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.text, 1)
        self.setObjectName("pager")
        self._fill: _PageFill | None = None
        self._turn = QTimer(self)
        self._turn.setSingleShot(True)
        self._turn.setInterval(0)
        self._turn.timeout.connect(self._fill_step)
        self.hide()

    def set_look(self, theme: Theme, metrics: Metrics) -> None:
        """Show pages in ``theme``'s colours and ``metrics``' font from now on."""
        self._theme = theme
        self._font = metrics.font
        self.text.document().setDefaultFont(metrics.font)

    def show_page(self, page: Page) -> None:
        """Show ``page`` from its ``start`` line, and open the panel."""
        self._stop()
        document = self.text.document()
        text, markup = page.text, page.html
        note = ""
        if not text and markup and len(markup) <= HTML_AT_ONCE:
            try:  # through SafeDocument: the render budget, and no local file is read
                document.setHtml(markup)
            except RenderRefused as refused:
                note = f"(an HTML page, shown as text: {refused})"
            else:
                self.show()
                self._scroll_to(page.start)
                self.filled.emit()
                return
        if not text and markup:  # too big (or too costly) for Qt's HTML: the start of its text
            read = markup[: 2 * SHOWN]
            text = html.unescape(_TAG.sub("", read))
            rest = len(markup) - len(read)
            if rest:
                note = f"… (an HTML page, shown as text; {rest:,} more characters not shown)"
            elif not note:
                note = "(an HTML page, shown as text)"
        document.clear()
        document.setDefaultFont(self._font)
        self._fill = _PageFill(text, page.start, note, self._theme, QTextCursor(document))
        self.show()
        if len(text) <= AT_ONCE:
            self._fill_step(everything=True)
        else:  # from the next turn: this one has just decoded megabytes
            self._turn.start()

    def is_filling(self) -> bool:
        """A page is still going in (:attr:`filled` will follow)."""
        return self._fill is not None

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def close_pager(self) -> None:
        if self.isVisible():
            self._stop()
            self.hide()
            self.closed.emit()

    def _stop(self) -> None:
        self._fill = None
        self._turn.stop()

    def _fill_step(self, everything: bool = False) -> None:
        fill = self._fill
        if fill is None:
            return
        deadline = time.perf_counter() + SLICE_SECONDS
        while everything or time.perf_counter() < deadline:
            going = fill.step()
            if fill.scroll_due():  # once its start line is in (a reader may scroll meanwhile)
                self._scroll_to(fill.start)
            if not going:
                self._fill = None
                self.filled.emit()
                return
        self._turn.start()

    def _scroll_to(self, line: int) -> None:
        if line <= 0:
            self.text.verticalScrollBar().setValue(0)
            return
        document = self.text.document()
        block = document.findBlockByNumber(min(line, document.blockCount() - 1))
        top = document.documentLayout().blockBoundingRect(block).top()
        self.text.verticalScrollBar().setValue(int(top))


class _PageFill:
    """One page going into the pager's document: its terminal text read in steps, then its
    lines inserted, a run per edit block (sized to take about 3 ms)."""

    def __init__(self, text: str, start: int, note: str, theme: Theme, cursor: QTextCursor) -> None:
        self.start = start
        self._text = text[:SHOWN]
        self._hidden = len(text) - len(self._text)
        self._note = note
        self._theme = theme
        self._cursor = cursor
        self._terminal = TerminalText()
        self._read = 0  # characters of _text fed to the terminal
        self._lines = -1  # the terminal's lines worth showing, once all is read
        self._written = 0  # lines inserted
        self._run = 50  # lines per insert, adapted
        self._formats: dict[Style, QTextCharFormat] = {}
        self._scrolled = start <= 0
        self._grey = QTextCharFormat()
        self._grey.setForeground(theme.muted)
        self._grey.setFontItalic(True)

    def step(self) -> bool:
        """Read or insert a little more; False once the page is all in."""
        if self._read < len(self._text):
            self._terminal.feed(self._text[self._read:self._read + _FEED])
            self._read += _FEED
            return True
        if self._lines < 0:
            count = self._terminal.line_count()
            while count and not self._terminal.line_text(count - 1).strip():
                count -= 1  # no trailing blank lines
            self._lines = count
        if self._written < self._lines:
            began = time.perf_counter()
            end = min(self._lines, self._written + self._run)
            self._insert(self._written, end)
            self._written = end
            took = time.perf_counter() - began
            self._run = int(min(5_000, max(5, self._run * min(4.0, max(0.25, 0.003 / max(took, 1e-6))))))
            return True
        if self._hidden or self._note:
            notes = [f"… ({self._hidden:,} more characters not shown)"] if self._hidden else []
            if self._note:
                notes.append(self._note)
            cursor = self._cursor
            cursor.beginEditBlock()
            for text in notes:
                if not cursor.atStart():
                    cursor.insertBlock()
                cursor.insertText(text, self._grey)
            cursor.endEditBlock()
            self._hidden = 0
            self._note = ""
            return True
        return False

    def scroll_due(self) -> bool:
        """The start line is in: time to scroll to it (once)."""
        if not self._scrolled and self._written > self.start:
            self._scrolled = True
            return True
        return False

    def _insert(self, first: int, end: int) -> None:
        cursor = self._cursor
        terminal = self._terminal
        plain = self._format(DEFAULT_STYLE)
        cursor.beginEditBlock()
        for line in range(first, end):
            if line:
                cursor.insertBlock()
            room = SHOWN_LINE
            for piece, style in terminal.line_spans(line):
                if len(piece) > room:
                    cursor.insertText(piece[:room], self._format(style))
                    more = terminal.line_length(line) - SHOWN_LINE
                    cursor.insertText(f" … ({more:,} more characters on this line)", self._grey)
                    break
                cursor.insertText(piece, plain if style is DEFAULT_STYLE else self._format(style))
                room -= len(piece)
        cursor.endEditBlock()

    def _format(self, style: Style) -> QTextCharFormat:
        fmt = self._formats.get(style)
        if fmt is None:
            fmt = self._formats[style] = ansi_format(style, self._theme)
            if not fmt.hasProperty(QTextFormat.Property.ForegroundBrush):
                fmt.setForeground(self._theme.foreground)  # the theme's text colour, as in a tip
        return fmt
