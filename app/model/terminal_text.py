"""The display-independent content of one stream output: styled lines plus a cursor.

Memory follows the input. A terminal keeps its cursor inside its width; this model has no
width, so the cursor is kept within :data:`MAX_COLUMN` columns instead, except inside text
already written (a line longer than that, written character by character, can be walked
along). Cursor movement to the right (``CSI C``, ``CSI G``) stops there, moving to another
row (``CSI A B E F``) or erasing the line (``CSI 2K``) brings the cursor back within it, and
a parameter too long to be a number counts as a huge one (so ``CSI 99999999999C`` goes to
the limit and ``CSI 99999999999K`` erases nothing). Blanks are only ever added to reach the
cursor, so a line costs at most ``MAX_COLUMN`` characters more than the text written into
it; a tab adds at most 8 blanks and is never clamped (a long tab-separated line keeps its
tab stops). Cursor movement never creates rows: only a line feed does.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from typing import Union

from .ansi import AnsiTokenizer, Token, apply_sgr
from .style import DEFAULT_STYLE, Span, Style

Line = Union[str, list[Span]]
"""A line entirely in the default style is a plain ``str``; a styled one a list of spans."""

MAX_COLUMN = 10_000
"""The furthest column cursor movement can reach beyond the end of a line's text (a
terminal's width: no real one is this wide). Writing at the column the cursor reached pads
the line with blanks up to it, so this bounds what one escape sequence can cost."""

_HUGE = 1_000_000_000
"""What a CSI parameter of ten or more digits stands for."""

CHUNK = 4096
"""Appending never copies more than about this many characters: a span (or plain line)
this long gets a new span after it instead, so feeding a huge line stays linear."""

# Anything the tokenizer must see; text without these (newlines aside) takes a fast path.
_SPECIAL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _length(line: Line) -> int:
    return len(line) if isinstance(line, str) else sum(len(t) for t, _ in line)


def _text(line: Line) -> str:
    return line if isinstance(line, str) else "".join([t for t, _ in line])


def _merged(spans: Sequence[Span]) -> list[Span]:
    """Spans without empty runs, adjacent runs of equal style joined."""
    out: list[Span] = []
    parts: list[str] = []
    current: Style | None = None
    for t, s in spans:
        if not t:
            continue
        if s is current or s == current:
            parts.append(t)
            continue
        if parts and current is not None:
            out.append(("".join(parts), current))
        parts, current = [t], s
    if parts and current is not None:
        out.append(("".join(parts), current))
    return out


def _compact(spans: Sequence[Span]) -> Line:
    """The storage form of a line given as spans."""
    merged = _merged(spans)
    if len(merged) == 1 and merged[0][1] is DEFAULT_STYLE:
        return merged[0][0]
    return merged or ""


def _sealed(line: list[Span]) -> Line:
    """A line being left by the cursor: a long one fed in pieces may be all default
    style but stored as several spans; it becomes one ``str`` now (once per line)."""
    if all(s is DEFAULT_STYLE for _, s in line):
        return "".join([t for t, _ in line])
    return line


def _cut(line: Line, start: int, end: int | None = None) -> list[Span]:
    """The spans covering columns ``start:end`` of ``line``."""
    if isinstance(line, str):
        return [(line[start:end], DEFAULT_STYLE)]
    out: list[Span] = []
    pos = 0
    for t, s in line:
        nxt = pos + len(t)
        if nxt > start and (end is None or pos < end):
            a = max(start - pos, 0)
            b = len(t) if end is None else min(end - pos, len(t))
            out.append((t[a:b] if a or b < len(t) else t, s))
        pos = nxt
    return out


def _splice(line: Line, start: int, end: int, text: str, style: Style) -> Line:
    """``line`` with columns ``start:end`` replaced by ``text`` in ``style``."""
    if isinstance(line, str) and style is DEFAULT_STYLE:
        return line[:start] + text + line[end:]
    return _compact(_cut(line, 0, start) + [(text, style)] + _cut(line, end))


class TerminalText:
    """Styled lines and a cursor built from terminal output, as a terminal would show it.

    ``\\r`` returns to column 0 and later text overwrites; CSI cursor movement
    (A B C D E F G) and erasure (J K) are applied within the existing lines; SGR
    sets the style; every other escape sequence is swallowed. Columns count
    code points.
    """

    def __init__(self) -> None:
        """An empty text with the cursor at line 0, column 0."""
        self._lines: list[Line] = [""]
        self._row = self._col = 0
        self._cur_len = 0  # length of the cursor's line, kept up to date
        self._style = DEFAULT_STYLE
        self._tokenizer = AnsiTokenizer()
        self._changed: int | None = None
        self._count = 0  # line_count() as of the end of the last feed
        self._trimmed = 0
        # drop_front took the cursor's line and left one empty line, which then counts even
        # with the cursor at its column 0 (until the next feed), so that line_count() goes
        # down by exactly the lines dropped.
        self._blank_kept = False

    @property
    def style(self) -> Style:
        """The current SGR style, applied to text fed from now on."""
        return self._style

    @property
    def trimmed(self) -> int:
        """Total number of lines removed by :meth:`drop_front` so far."""
        return self._trimmed

    # -- reading ----------------------------------------------------------------

    def line_count(self) -> int:
        """Number of visible lines (an empty last line holding the cursor at column 0
        after a final newline is not counted, except just after :meth:`drop_front`)."""
        n = len(self._lines)
        if self._col == 0 and self._row == n - 1 and self._lines[-1] == "" and not self._blank_kept:
            return n - 1
        return n

    def _line(self, i: int) -> Line:
        if 0 <= i < self.line_count():
            return self._lines[i]
        raise IndexError(f"line {i} out of range")

    def line_text(self, i: int) -> str:
        """The text of visible line ``i``."""
        return _text(self._line(i))

    def line_spans(self, i: int) -> Sequence[Span]:
        """The styled runs of visible line ``i``; a default-style line is one span."""
        line = self._line(i)
        if isinstance(line, str):
            return ((line, DEFAULT_STYLE),)
        return tuple(_merged(line))

    def line_length(self, i: int) -> int:
        """The length of visible line ``i`` in columns."""
        return _length(self._line(i))

    def line_slice(self, i: int, start: int, end: int) -> list[Span]:
        """The styled runs of columns ``start:end`` of visible line ``i``: what one screen row
        of a long line needs, without joining the whole line (a painter's hot path)."""
        return _merged(_cut(self._line(i), start, end))

    def plain_text(self) -> str:
        """All visible lines joined by newlines, with a final newline if the text ended in one."""
        return "\n".join([_text(line) for line in self._lines])

    def take_changes(self) -> int | None:
        """The lowest line index changed or added since the last call (None if none).

        Lines from that index on may differ; :meth:`drop_front` is not a change.
        """
        changed, self._changed = self._changed, None
        return changed

    def drop_front(self, n: int) -> None:
        """Remove the ``n`` oldest visible lines (a scrollback limit); :meth:`line_count`
        goes down by exactly ``n`` (at most the lines there are).

        A cursor on a line that goes moves to the oldest line kept, in the same column (kept
        within :data:`MAX_COLUMN` past that line's end)."""
        n = min(n, self.line_count())
        if n <= 0:
            return
        del self._lines[:n]
        self._trimmed += n
        self._count -= n
        if not self._lines:
            self._lines.append("")
            self._row = self._col = 0
        elif self._row >= n:
            self._row -= n
        else:
            self._row = 0
            self._blank_kept = len(self._lines) == 1 and self._lines[0] == ""
        self._cur_len = _length(self._lines[self._row])
        self._col = min(self._col, max(MAX_COLUMN, self._cur_len))
        if self._changed is not None:
            self._changed = max(self._changed - n, 0)

    # -- writing ----------------------------------------------------------------

    def feed(self, text: str) -> None:
        """Interpret the next chunk of terminal output."""
        self._blank_kept = False
        if not self._tokenizer.pending and _SPECIAL.search(text) is None:
            self._write_block(text)
        else:
            self._feed_tokens(self._tokenizer.feed(text))
        count = self.line_count()
        if count != self._count:
            # Moving the cursor can show or hide the empty last line.
            self._mark(min(count, self._count))
            self._count = count

    def _mark(self, row: int) -> None:
        if self._changed is None or row < self._changed:
            self._changed = row

    def _write_block(self, text: str) -> None:
        """Write text whose only control characters are newlines."""
        pieces = text.split("\n")
        self._write(pieces[0])
        lines = self._lines
        i, n = 1, len(pieces)
        while i < n and self._row < len(lines) - 1:
            self._newline()
            self._write(pieces[i])
            i += 1
        if i == n:
            return
        # The cursor is on the last line: the remaining pieces are new lines.
        self._leave()
        self._mark(len(lines))
        new = pieces[i:]
        style = self._style
        if style is DEFAULT_STYLE:
            lines.extend(new)
        else:
            lines.extend([[(p, style)] if p else "" for p in new])
        self._row = len(lines) - 1
        self._col = self._cur_len = len(new[-1])

    def _append(self, text: str, style: Style) -> None:
        """Append ``text`` to the cursor's line (the cursor column is not moved)."""
        lines, row = self._lines, self._row
        line = lines[row]
        if isinstance(line, str):
            if style is DEFAULT_STYLE and len(line) < CHUNK:
                lines[row] = line + text
            elif line:
                lines[row] = [(line, DEFAULT_STYLE), (text, style)]
            else:
                lines[row] = [(text, style)]
        else:
            t, s = line[-1]
            if s is style and len(t) < CHUNK:  # styles from apply_sgr are shared
                line[-1] = (t + text, s)
            else:
                line.append((text, style))
        self._cur_len += len(text)

    def _write(self, text: str) -> None:
        """Write text without control characters at the cursor."""
        if not text:
            return
        col, size, row = self._col, self._cur_len, self._row
        end = col + len(text)
        if col >= size:
            if col > size:
                self._append(" " * (col - size), DEFAULT_STYLE)
            self._append(text, self._style)
        else:
            self._lines[row] = _splice(self._lines[row], col, end, text, self._style)
            self._cur_len = max(size, end)
        self._col = end
        self._mark(row)

    def _feed_tokens(self, tokens: Iterator[Token]) -> None:
        """Interpret tokens. Appending text, SGR and newlines at the end are done
        inline on local copies of the cursor (the hot path of colourful floods);
        anything else stores the cursor back and goes through the methods."""
        lines = self._lines
        row, col, size = self._row, self._col, self._cur_len
        low = _NO_ROW  # lowest row changed inline
        pad = 0  # blanks that tabs at the end of the line still owe it (written in one go)
        for a, ctl, params, final in tokens:
            if pad and (a or ctl != "\t" or final is not None):
                self._row, self._col, self._cur_len = row, col - pad, size - pad
                self._append(" " * pad, DEFAULT_STYLE)
                self._col = col
                row, col, size, pad = self._row, self._col, self._cur_len, 0
                if row < low:
                    low = row
            if a:
                if col == size:
                    style = self._style
                    line = lines[row]
                    if isinstance(line, str):
                        if style is DEFAULT_STYLE and size < CHUNK:
                            lines[row] = line + a
                        elif line:
                            lines[row] = [(line, DEFAULT_STYLE), (a, style)]
                        else:
                            lines[row] = [(a, style)]
                    else:
                        t, s = line[-1]
                        if s is style and len(t) < CHUNK:
                            line[-1] = (t + a, s)
                        else:
                            line.append((a, style))
                    col = size = size + len(a)
                    if row < low:
                        low = row
                else:
                    self._row, self._col, self._cur_len = row, col, size
                    self._write(a)
                    row, col, size = self._row, self._col, self._cur_len
            if final is not None:
                if final == "m" and (not params or params[0] not in "<=>?"):
                    self._style = apply_sgr(self._style, params or "")
                else:
                    self._row, self._col, self._cur_len = row, col, size
                    self._csi(params or "", final)
                    row, col, size = self._row, self._col, self._cur_len
            elif ctl is not None:
                if ctl == "\n" and row == len(lines) - 1:
                    line = lines[row]
                    if not isinstance(line, str) and line[0][1] is DEFAULT_STYLE:
                        lines[row] = _sealed(line)
                    lines.append("")
                    row += 1
                    col = size = 0
                    if row < low:
                        low = row
                elif ctl == "\r":
                    col = 0
                elif ctl == "\b":
                    if col:
                        col -= 1
                elif ctl == "\t" and col == size:
                    stop = (col // 8 + 1) * 8  # a tab storm costs one append, not one per tab
                    pad += stop - col
                    col = size = stop
                else:
                    self._row, self._col, self._cur_len = row, col, size
                    self._control(ctl)
                    row, col, size = self._row, self._col, self._cur_len
        if pad:
            self._row, self._col, self._cur_len = row, col - pad, size - pad
            self._append(" " * pad, DEFAULT_STYLE)
            self._col = col
            row, col, size = self._row, self._col, self._cur_len
            if row < low:
                low = row
        self._row, self._col, self._cur_len = row, col, size
        if low != _NO_ROW:
            self._mark(low)

    def _leave(self) -> None:
        """Called as the cursor leaves its line."""
        line = self._lines[self._row]
        if not isinstance(line, str) and line[0][1] is DEFAULT_STYLE:
            self._lines[self._row] = _sealed(line)

    def _goto(self, row: int, col: int) -> None:
        if row != self._row:
            self._leave()
        size = _length(self._lines[row])
        if col > size and col > MAX_COLUMN:  # not carried past the clamp to another row
            col = max(MAX_COLUMN, size)
        self._row, self._col, self._cur_len = row, col, size

    def _newline(self) -> None:
        if self._row == len(self._lines) - 1:
            self._leave()
            self._lines.append("")
            self._row += 1
            self._col = self._cur_len = 0
            self._mark(self._row)
        else:
            self._goto(self._row + 1, 0)

    def _control(self, ch: str) -> None:
        if ch == "\n":
            self._newline()
        elif ch == "\r":
            self._col = 0
        elif ch == "\b":
            self._col = max(self._col - 1, 0)
        else:  # "\t"
            stop = (self._col // 8 + 1) * 8
            if stop > self._cur_len:
                self._append(" " * (stop - self._cur_len), DEFAULT_STYLE)
                self._mark(self._row)
            self._col = stop

    def _csi(self, params: str, final: str) -> None:
        if final not in _MOVES or params[:1] in ("<", "=", ">", "?"):
            return  # SGR is handled by the caller; private modes etc. are ignored
        first = params.split(";", 1)[0]
        arg = (int(first) if len(first) < 10 else _HUGE) if first.isascii() and first.isdigit() else 0
        row, last = self._row, len(self._lines) - 1
        if final == "K" or final == "J":
            self._erase(final, arg)
            return
        n = max(arg, 1)
        if final == "A":
            self._goto(max(row - n, 0), self._col)
        elif final == "B":
            self._goto(min(row + n, last), self._col)
        elif final == "C":
            self._col = min(self._col + n, max(MAX_COLUMN, self._cur_len))
        elif final == "D":
            self._col = max(self._col - n, 0)
        elif final == "E":
            self._goto(min(row + n, last), 0)
        elif final == "F":
            self._goto(max(row - n, 0), 0)
        else:  # "G"
            self._col = min(n - 1, max(MAX_COLUMN, self._cur_len))

    def _erase(self, final: str, mode: int) -> None:
        lines, row, col = self._lines, self._row, self._col
        if final == "J" and mode in (2, 3):
            lines[:] = [""]
            self._row = self._col = self._cur_len = 0
            self._mark(0)
            return
        if final == "J" and mode == 0 and row < len(lines) - 1:
            del lines[row + 1 :]
            self._mark(row + 1)
        elif final == "J" and mode == 1:
            lines[:row] = [""] * row
            self._mark(0)
        line, size = lines[row], self._cur_len
        if mode == 0:
            if col < size:
                lines[row] = line[:col] if isinstance(line, str) else _compact(_cut(line, 0, col))
                self._cur_len = col
                self._mark(row)
        elif mode == 1:
            stop = min(col + 1, size)
            if stop > 0:
                lines[row] = _splice(line, 0, stop, " " * stop, DEFAULT_STYLE)
                self._mark(row)
        elif mode == 2 and final == "K":
            if size:
                lines[row] = ""
                self._cur_len = 0
                self._mark(row)
            self._col = min(col, MAX_COLUMN)


_MOVES = frozenset("ABCDEFGJK")
_NO_ROW = sys.maxsize
