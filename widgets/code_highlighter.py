"""Syntax highlighting for a code editor: Pygments, line by line, in time slices."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import (
    QColor, QFont, QSyntaxHighlighter, QTextBlock, QTextCharFormat, QTextDocument,
)
from pygments.lexer import Lexer

from conch.app.look.code_style import CodeStyle, ConchLightStyle
from conch.app.model.style import Style
from conch.widgets.line_lexer import LexState, LineLexer

PENDING: Final = -2
"""The user state of a block still waiting to be highlighted (-1 is Qt's "no state" and
other states are ids of lexer states, from 0)."""

SLICE_SECONDS: Final = 0.008
"""Highlighting work per event-loop turn; later blocks wait for the next turn."""

LEXED_CHARACTERS: Final = 3_000
"""Characters of a line that are lexed (up to 4 µs each, and a line cannot be split across
event-loop turns); the rest of a longer line stays plain and the next line starts afresh."""

_CACHE_LIMIT: Final = 20_000
_CACHE_CHARACTERS: Final = 4_000_000  # the cache's keys hold at most this much text
_LONG: Final = "\n"  # ends the key of a long line (no line has a newline of its own)
_AHEAD: Final = 32
_SCAN_SECONDS: Final = 0.004  # looking for the next pending block, per turn


class CodeHighlighter(QSyntaxHighlighter):
    """Highlights a :class:`QTextDocument` with a Pygments lexer (plain text until
    :meth:`set_lexer` is called), carrying the lexer's state from line to line.

    Each block's user state is the id of the lexer state it ends in, so Qt's own mechanism
    re-highlights an edited block and goes on to the next blocks only while their start state
    changes. Work is time-sliced: once a turn of the event loop has spent
    :data:`SLICE_SECONDS` highlighting, the remaining blocks get the :data:`PENDING` state and
    no formats, and a zero-delay timer carries on from the first pending block on the next
    turn, until none is left. So a 10 000-line paste returns quickly and colours in while the
    UI stays responsive. When a slice ends, the pending mark stops at the first block that was
    highlighted before (it keeps its state; it is looked at again when the pending block before
    it is done), so text inserted in front of a long document does not cost a call for every
    line after it. Lines already lexed (with the same start state) come from a cache, and in
    idle turns the lexer's states are prepared ahead of use (:meth:`LineLexer.prepare_step`).
    Only the first :data:`LEXED_CHARACTERS` of a line are lexed. Meant to stay on the document
    it is given (it may be taken off it with ``setDocument(None)``).
    """

    finished = Signal()
    """Every block is highlighted again: emitted on the event-loop turn after any highlighting
    work (a keystroke's as well as a paste's), once no block is pending."""

    def __init__(self, document: QTextDocument, lexer: Lexer | None = None) -> None:
        super().__init__(document)
        self._code_style: CodeStyle = ConchLightStyle
        self._lexer = LineLexer(lexer) if lexer is not None else LineLexer.plain()
        self._state_ids: dict[LexState, int] = {}
        self._states: list[LexState] = []
        self._format_ids: dict[int, int] = {}  # id(style) -> index in _format_list, or -1
        self._format_list: list[QTextCharFormat] = []
        self._format_styles: list[Style] = []  # the style of each format
        self._cache: dict[tuple[str, int], tuple[int, ...]] = {}  # see _key()
        self._cache_characters = 0
        self._deadline: float | None = None  # end of this turn's slice, None between slices
        self._deferred = False  # blocks are only marked pending (see deferred())
        self._pending = False
        self._first_pending = 0  # no block before this one is pending
        self._turn = QTimer(self)
        self._turn.setSingleShot(True)
        self._turn.setInterval(0)
        self._turn.timeout.connect(self._next_turn)
        self._prepare = QTimer(self)  # prepares the lexer in idle turns, a state at a time
        self._prepare.setInterval(0)
        self._prepare.timeout.connect(self._prepare_step)
        self._prepare.start()
        document.contentsChange.connect(self._contents_changed)

    def set_code_style(self, code_style: CodeStyle) -> None:
        """Colour code in ``code_style`` from now on (a theme switch); re-highlights it all."""
        if code_style is not self._lexer.code_style:
            self._code_style = code_style
            self._format_list.clear()
            self._format_styles.clear()
            self.set_lexer(self._lexer.lexer)

    def set_lexer(self, lexer: Lexer) -> None:
        """Highlight with ``lexer`` from now on; re-highlights the whole document (in slices)."""
        self._lexer = LineLexer(lexer, self._code_style)
        self._cache.clear()
        self._cache_characters = 0
        self._format_ids.clear()  # keyed by the ids of the old lexer's styles
        self._first_pending = 0
        self._prepare.start()
        self.rehighlight()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Meanwhile, blocks Qt asks for are only marked pending: the next turns highlight them.
        For text inserted in pieces (a big ``set_code``), so that a piece costs its insertion,
        and lines after it are not looked at again for every piece."""
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False

    def is_pending(self) -> bool:
        """Whether some blocks still wait for highlighting (:attr:`finished` will follow)."""
        return self._pending

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        previous = self.previousBlockState()
        if previous == PENDING and self._pending:  # no start state yet (the timer runs)
            # A block highlighted before keeps its state (and its formats, which Qt has just
            # cleared: a long line would be laid out again), so Qt stops here instead of
            # visiting every block after it; it is looked at again after the pending one.
            own = self.currentBlockState()
            if own >= 0:
                for kept in self.currentBlock().layout().formats():
                    self.setFormat(kept.start, kept.length, kept.format)
            self.setCurrentBlockState(own if own >= 0 else PENDING)
            return
        if self._deferred:
            self._first_pending = min(self._first_pending, self.currentBlock().blockNumber())
            self._pending = True
            if not self._turn.isActive():
                self._turn.start()
            self.setCurrentBlockState(PENDING)
            return
        now = time.perf_counter()
        if self._deadline is None:
            self._deadline = now + SLICE_SECONDS
            self._turn.start()
        elif now > self._deadline:  # the first of a run of pending blocks
            self._first_pending = min(self._first_pending, self.currentBlock().blockNumber())
            # Due from now, not from the slice's start: timers that fell due during the slice
            # (the UI's own) come first.
            self._turn.start()
            self._pending = True
            self.setCurrentBlockState(PENDING)
            return
        key = _key(text, previous)
        line = self._cache.get(key)
        if line is None:
            line = self._remember(key, self._lex(text, previous))
            if line[0] != self.currentBlockState():  # Qt will go on to the next block
                self._lex_ahead(line[0])
        formats = self._format_list
        for i in range(1, len(line), 3):
            self.setFormat(line[i], line[i + 1], formats[line[i + 2]])
        self.setCurrentBlockState(line[0])

    def _lex_ahead(self, state: int) -> None:
        """Lex the next lines too, while there is time: lexing in a row is faster than one
        line per call from Qt, and Qt then finds them in the cache."""
        block = self.currentBlock().next()
        deadline = self._deadline or 0.0
        for _ in range(_AHEAD):
            if not block.isValid() or time.perf_counter() > deadline:
                return
            text = block.text()
            key = _key(text, state)
            line = self._cache.get(key)
            if line is None:
                line = self._remember(key, self._lex(text, state))
            state = line[0]
            block = block.next()

    def _lex(self, text: str, previous: int) -> tuple[int, ...]:
        """(end state id, then start, length, format index for each formatted span): only
        ints, so that the garbage collector soon stops looking at the cache."""
        known = 0 <= previous < len(self._states)  # else: the first line, or a stranger's state
        start = self._states[previous] if known else self._lexer.initial_state
        if len(text) > LEXED_CHARACTERS:  # the rest stays plain; the next line starts afresh
            spans, _ = self._lexer.lex_line(text[:LEXED_CHARACTERS], start)
            end = self._lexer.initial_state
        else:
            spans, end = self._lexer.lex_line(text, start)
        line = [self._intern(end)]
        column = 0
        format_ids = self._format_ids
        for piece, style in spans:
            # By id: a dataclass hashes slowly, and the lexer keeps one object per style.
            index = format_ids.get(id(style))
            if index is None:
                index = format_ids[id(style)] = self._new_format(style)
            if index >= 0 and not piece.isspace():  # a colour on blanks would not show
                line += (column, len(piece), index)
            column += len(piece)
        return tuple(line)

    def _remember(self, key: tuple[str, int], line: tuple[int, ...]) -> tuple[int, ...]:
        if len(self._cache) >= _CACHE_LIMIT or self._cache_characters >= _CACHE_CHARACTERS:
            self._cache.clear()
            self._cache_characters = 0
        self._cache[key] = line
        self._cache_characters += len(key[0])
        return line

    def _next_turn(self) -> None:
        """A new turn of the event loop: a new slice, from the first pending block."""
        self._deadline = None
        if self._pending:
            block = self._find_pending()
            if block is not None:
                if block.isValid():
                    self.rehighlightBlock(block)
                else:  # not found yet: the search goes on next turn
                    self._turn.start()
                return
            self._pending = False
        self.finished.emit()

    def _prepare_step(self) -> None:
        if not self._pending and not self._lexer.prepare_step():  # not while highlighting
            self._prepare.stop()

    def _find_pending(self) -> QTextBlock | None:
        """The first pending block (None: there is none; an invalid block: none among the
        blocks looked at this turn, :data:`_SCAN_SECONDS`' worth)."""
        document = self.document()
        if document is None:
            return None
        block = document.findBlockByNumber(min(self._first_pending, document.blockCount() - 1))
        deadline = time.perf_counter() + _SCAN_SECONDS
        looked = 0
        while block.isValid() and block.userState() != PENDING:
            block = block.next()
            looked += 1
            if looked % 512 == 0 and time.perf_counter() > deadline and block.isValid():
                self._first_pending = block.blockNumber()
                return QTextBlock()
        if not block.isValid():
            self._first_pending = document.blockCount()
            return None
        previous = block.previous()
        while previous.isValid() and previous.userState() == PENDING:
            block, previous = previous, previous.previous()
        self._first_pending = block.blockNumber()
        return block

    def _contents_changed(self, position: int, removed: int, added: int) -> None:
        # Lines removed above a pending block move it up: keep `_first_pending` at or before it.
        document = self.document()
        if document is None:  # taken off its document
            return
        number = max(0, document.findBlock(position).blockNumber())
        if number < self._first_pending:
            self._first_pending = number

    def _intern(self, state: LexState) -> int:
        number = self._state_ids.get(state)
        if number is None:
            number = self._state_ids[state] = len(self._states)
            self._states.append(state)
        return number

    def _new_format(self, style: Style) -> int:
        """The index of ``style``'s format in ``_format_list``, -1 if it needs none."""
        if not isinstance(style.fg, tuple) and not style.bold and not style.italic:
            return -1
        if style in self._format_styles:
            return self._format_styles.index(style)
        self._format_styles.append(style)
        fmt = QTextCharFormat()
        if isinstance(style.fg, tuple):
            fmt.setForeground(QColor(*style.fg))
        if style.bold:
            fmt.setFontWeight(QFont.Weight.Bold)
        if style.italic:
            fmt.setFontItalic(True)
        self._format_list.append(fmt)
        return len(self._format_list) - 1


def _key(text: str, previous: int) -> tuple[str, int]:
    """A line's key in the cache: its text and start state; a long line is known by the part
    that is lexed (the rest is plain, and the next line starts afresh)."""
    if len(text) <= LEXED_CHARACTERS:
        return text, previous
    return text[:LEXED_CHARACTERS] + _LONG, previous
