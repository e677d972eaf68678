"""A block of styled text lines, wrapped at the view width, painted row by row."""
from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter

from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.widgets.blocks.base import Block, TextPosition
from conch.widgets.blocks.box_drawing import DRAWN, can_draw, paint_cell
from conch.widgets.theme import Metrics, Theme


class LineSource(Protocol):
    """Lines of styled spans, as :class:`~conch.app.model.terminal_text.TerminalText` offers."""

    def line_count(self) -> int: ...
    def line_text(self, i: int) -> str: ...
    def line_spans(self, i: int) -> Sequence[Span]: ...
    def line_length(self, i: int) -> int: ...
    def line_slice(self, i: int, start: int, end: int) -> Sequence[Span]: ...


class StaticLines:
    """A fixed :class:`LineSource` (code, notices)."""

    def __init__(self, lines: list[list[Span]]) -> None:
        self._lines = lines
        self._texts = ["".join(text for text, _ in line) for line in lines]

    @classmethod
    def plain(cls, text: str, style: Style = DEFAULT_STYLE) -> "StaticLines":
        return cls([[(line, style)] for line in text.split("\n")])

    def line_count(self) -> int:
        return len(self._lines)

    def line_text(self, i: int) -> str:
        return self._texts[i]

    def line_spans(self, i: int) -> Sequence[Span]:
        return self._lines[i]

    def line_length(self, i: int) -> int:
        return len(self._texts[i])

    def line_slice(self, i: int, start: int, end: int) -> Sequence[Span]:
        out: list[Span] = []
        offset = 0
        for text, style in self._lines[i]:
            stop = offset + len(text)
            if stop > start and offset < end:
                out.append((text[max(0, start - offset): end - offset], style))
            offset = stop
        return out


class TextBlock(Block):
    """Styled text lines. Long lines wrap at the column count (monospace arithmetic), so a
    5 MB line costs only the rows on screen; row offsets are kept incrementally, and lines
    leaving the front (the scrollback limit) cost only what they were: the row table is cut
    at its front and read through a base offset instead of being rebuilt.

    The block reads its source through the line numbers of its last :meth:`sync`; lines the
    source dropped since then are skipped, never read out of range."""

    def __init__(
        self,
        source: LineSource,
        *,
        background: QColor | None = None,
        foreground: QColor | None = None,
        gutter: str = "",
        gutter_color: QColor | None = None,
        margin_top: int = 0,
        padding: int = 0,
    ) -> None:
        self.source = source
        self.background = background
        self.foreground = foreground
        self.gutter = gutter
        self.gutter_color = gutter_color
        self.margin_top = margin_top
        self.padding = padding
        self._cols = 0
        self._line_h = 0
        self._measured = 0  # lines whose lengths are folded into _max_len / _row_starts
        self._max_len = 0
        self._row_starts: array[int] | None = None  # first row of each line (+ _row_base), when any wraps
        self._row_base = 0  # _row_starts[0] after front lines were cut off
        self._rows = 0
        self._height = 0
        self._dirty = True
        self._trimmed = 0

    # -- model ---------------------------------------------------------------------------------
    def sync(self) -> bool:
        take = getattr(self.source, "take_changes", None)
        changed_from = take() if take is not None else None
        trimmed = getattr(self.source, "trimmed", 0)
        if trimmed != self._trimmed:  # lines left the front
            self._drop_front(trimmed - self._trimmed)
            self._trimmed = trimmed
        if changed_from is None:
            return self._dirty
        self._measured = min(self._measured, changed_from)
        self._dirty = True
        return True

    def _drop_front(self, n: int) -> None:
        """Forget the first ``n`` lines in O(n): the row table loses its front (a memmove) and
        is read through a base from then on; the longest-line bound is kept (an upper bound
        only decides whether rows are counted at all)."""
        self._dirty = True
        if n >= self._measured or (self._row_starts is not None and n >= len(self._row_starts)):
            self._measured = 0
            self._row_starts = None
            self._row_base = 0
            return
        self._measured -= n
        if self._row_starts is not None:
            del self._row_starts[:n]
            self._row_base = self._row_starts[0]

    @property
    def trimmed(self) -> int:
        """The source's trimmed count as of the last :meth:`sync`: lines before it are gone."""
        return self._trimmed

    def _source_line(self, line: int) -> int:
        """Where a line of the last sync is in the source now (-1 if it has been dropped)."""
        shift = getattr(self.source, "trimmed", 0) - self._trimmed
        line -= shift
        return line if 0 <= line < self.source.line_count() else -1

    # -- layout --------------------------------------------------------------------------------
    def layout(self, metrics: Metrics, width: int) -> int:
        cols = metrics.columns(width)
        if not self._dirty and cols == self._cols and metrics.line_height == self._line_h:
            return self._height
        n = self.source.line_count()
        if self._measured > n:
            self._measured = n
        first_new = self._measured
        length = self.source.line_length
        for i in range(first_new, n):
            self._max_len = max(self._max_len, length(i))
        if self._max_len <= cols:
            self._row_starts = None
            self._rows = n
        else:
            start = first_new if (cols == self._cols and self._row_starts is not None) else 0
            self._rebuild_rows(cols, start, n)
        self._measured = n
        self._cols = cols
        self._line_h = metrics.line_height
        self._dirty = False
        self._height = self._rows * metrics.line_height + 2 * self.padding if n else 0
        return self._height

    def _rebuild_rows(self, cols: int, start: int, n: int) -> None:
        if self._row_starts is None or start == 0:
            rows, self._row_base = array("q"), 0
        else:
            rows = self._row_starts
        del rows[start:]
        row = (rows[-1] + self._rows_of(start - 1, cols)) if start > 0 else 0
        length = self.source.line_length
        for i in range(start, n):
            rows.append(row)
            row += max(1, -(-length(i) // cols))
        self._row_starts = rows
        self._rows = row - self._row_base

    def _rows_of(self, line: int, cols: int) -> int:
        return max(1, -(-self.source.line_length(line) // cols))

    def _row_to_line(self, row: int) -> tuple[int, int]:
        """(line, first column of that row)."""
        if self._row_starts is None:
            return row, 0
        row += self._row_base
        line = bisect_right(self._row_starts, row) - 1
        return line, (row - self._row_starts[line]) * self._cols

    def _line_to_row(self, pos: TextPosition) -> int:
        if self._row_starts is None:
            return pos.line
        line = min(pos.line, len(self._row_starts) - 1)
        return self._row_starts[line] - self._row_base + (pos.column // self._cols if self._cols else 0)

    # -- painting ------------------------------------------------------------------------------
    def paint(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        top: int,
        clip: tuple[int, int],
        selection: tuple[TextPosition, TextPosition] | None,
        highlight: str = "",
    ) -> None:
        if self.background is not None:
            y0 = max(0, clip[0])
            painter.fillRect(
                QRectF(metrics.gutter_width - 4, top + y0, painter.device().width(), clip[1] - y0),
                self.background,
            )
        line_h = metrics.line_height
        first = max(0, (clip[0] - self.padding) // line_h)
        last = min(self._rows, (clip[1] - self.padding) // line_h + 1)
        default_fg = self.foreground or theme.foreground
        x0 = float(metrics.gutter_width)
        for row in range(first, last):
            line, col0 = self._row_to_line(row)
            source_line = self._source_line(line)
            if source_line < 0:
                continue  # dropped since the last layout; the next frame lays out anew
            y = top + self.padding + row * line_h
            col1 = col0 + self._cols
            if highlight:
                self._paint_matches(painter, metrics, theme, source_line, col0, col1, y, highlight)
            if selection is not None:
                self._paint_selection(painter, metrics, theme, line, col0, col1, y, selection)
            x = x0
            for piece, style in self.source.line_slice(source_line, col0, col1):
                self._paint_piece(painter, metrics, theme, piece, style, x, y, default_fg)
                x += len(piece) * metrics.char_width

    def _paint_piece(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        text: str,
        style: Style,
        x: float,
        y: int,
        default_fg: QColor,
    ) -> None:
        fg = theme.ansi(style.fg, default_fg)
        bg = theme.ansi(style.bg, QColor()) if style.bg is not None else None
        if style.inverse:
            fg, bg = (bg or theme.background), fg
        width = len(text) * metrics.char_width
        if bg is not None:
            painter.fillRect(QRectF(x, y, width, metrics.line_height), bg)
        if style.dim:
            fg = QColor(fg)
            fg.setAlphaF(0.6)
        painter.setPen(fg)
        painter.setFont(metrics.variant(style.bold, style.italic, style.underline, style.strike))
        if DRAWN.search(text) is None:  # the fast path: no box-drawing or block characters
            painter.drawText(QPointF(x, y + metrics.ascent), text)
            return
        # Box-drawing and block characters fill their whole cell, so borders join between rows.
        run = 0
        cw = metrics.char_width
        for i, char in enumerate(text):
            if can_draw(char):
                if run < i:
                    painter.drawText(QPointF(x + run * cw, y + metrics.ascent), text[run:i])
                paint_cell(painter, char, round(x + i * cw), y, round(x + (i + 1) * cw), y + metrics.line_height, fg)
                run = i + 1
        if run < len(text):
            painter.drawText(QPointF(x + run * cw, y + metrics.ascent), text[run:])

    def _paint_matches(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        line: int,
        col0: int,
        col1: int,
        y: int,
        needle: str,
    ) -> None:
        text = "".join(t for t, _ in self.source.line_slice(line, col0, col1)).lower()
        at = text.find(needle)
        while at >= 0:
            x = metrics.gutter_width + at * metrics.char_width
            painter.fillRect(QRectF(x, y, len(needle) * metrics.char_width, metrics.line_height), theme.find_match)
            at = text.find(needle, at + len(needle))

    def _paint_selection(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        line: int,
        col0: int,
        col1: int,
        y: int,
        selection: tuple[TextPosition, TextPosition],
    ) -> None:
        start, end = selection
        if line < start.line or line > end.line:
            return
        sel0 = start.column if line == start.line else 0
        source_line = self._source_line(line)
        line_len = self.source.line_length(source_line) if source_line >= 0 else 0
        sel1 = end.column if line == end.line else max(line_len, col0) + 1
        a, b = max(sel0, col0), min(sel1, col1)
        if b <= a:
            return
        x = metrics.gutter_width + (a - col0) * metrics.char_width
        painter.fillRect(QRectF(x, y, (b - a) * metrics.char_width, metrics.line_height), theme.selection)

    # -- scroll anchoring ----------------------------------------------------------------------
    def anchor_at(self, metrics: Metrics, y: int) -> object:
        row = max(0, (y - self.padding) // metrics.line_height)
        if self._rows == 0:
            return y
        line, col0 = self._row_to_line(min(row, self._rows - 1))
        row_y = self.padding + self._line_to_row(TextPosition(line, col0)) * metrics.line_height
        return (self._trimmed + line, col0, y - row_y)  # the line counted since the stream began

    def anchor_y(self, metrics: Metrics, anchor: object) -> int | None:
        if not isinstance(anchor, tuple):
            return super().anchor_y(metrics, anchor)
        absolute, col0, dy = anchor
        line = absolute - self._trimmed
        if line < 0:
            return None
        return self.padding + self._line_to_row(TextPosition(line, col0)) * metrics.line_height + dy

    # -- text ----------------------------------------------------------------------------------
    def y_of(self, metrics: Metrics, position: TextPosition) -> int:
        return self.padding + self._line_to_row(position) * metrics.line_height

    def hit(self, metrics: Metrics, x: float, y: float) -> TextPosition:
        if self._rows == 0:
            return TextPosition(0, 0)
        row = min(self._rows - 1, max(0, int((y - self.padding) // metrics.line_height)))
        line, col0 = self._row_to_line(row)
        col = col0 + max(0, round((x - metrics.gutter_width) / metrics.char_width))
        col = min(col, col0 + self._cols, self.source.line_length(line))
        return TextPosition(line, col)

    def end(self) -> TextPosition:
        n = self.source.line_count()
        return TextPosition(max(0, n - 1), self.source.line_length(n - 1) if n else 0)

    def search(self, needle: str) -> Iterator[TextPosition | None]:
        if not needle:
            return
        line_text = self.source.line_text
        for i in range(self.source.line_count()):
            if i % 2048 == 2047:
                yield None  # a pause point for callers that search in time slices
            text = line_text(i).lower()
            at = text.find(needle)
            while at >= 0:
                yield TextPosition(i, at)
                at = text.find(needle, at + len(needle))

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        if self.source.line_count() == 0:
            return ""
        if start.line == end.line:
            return self.source.line_text(start.line)[start.column:end.column]
        parts = [self.source.line_text(start.line)[start.column:]]
        parts.extend(self.source.line_text(i) for i in range(start.line + 1, end.line))
        parts.append(self.source.line_text(end.line)[: end.column])
        return "\n".join(parts)
