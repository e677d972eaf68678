"""ANSI-coloured text as Qt rich text (for help tips) and as character formats (the pager)."""
from __future__ import annotations

import html
import re
from typing import Final

from PySide6.QtGui import QColor, QFont, QTextCharFormat

from conch.app.look.palette import style_css
from conch.app.model.style import Style
from conch.app.model.terminal_text import TerminalText
from conch.widgets.theme import Theme

TIP_LINE: Final = 500
"""Characters of one line a tip shows (a tip is a glance, not the whole help)."""
_VISIBLE: Final = re.compile(r"\S")


def ansi_to_html(text: str, theme: Theme, max_lines: int | None = None) -> tuple[str, bool]:
    """``text`` with its SGR colours as ``<pre>`` HTML, and whether lines were left out.

    With ``max_lines``, only the start of ``text`` is read (that many lines, each cut at
    :data:`TIP_LINE` characters), so a tip costs the same for a line of help or megabytes."""
    cut = False
    if max_lines is not None:
        text, cut = _head(text, max_lines)
    terminal = TerminalText()
    terminal.feed(text)
    count = terminal.line_count()
    while count and not terminal.line_text(count - 1).strip():
        count -= 1  # no trailing blank lines in a tip
    shown = count if max_lines is None else min(count, max_lines)
    lines = ["".join(_span(piece, style, theme) for piece, style in _cut_line(terminal, i, max_lines)) for i in range(shown)]
    body = "\n".join(lines)
    return f'<pre style="margin:0; color:{theme.foreground.name()}">{body}</pre>', cut or shown < count


def _head(text: str, lines: int) -> tuple[str, bool]:
    """The first ``lines`` lines of ``text`` and one more, each cut to what a tip could show
    (escapes take room too), and whether anything but blanks was left out of those lines or
    after them."""
    heads: list[str] = []
    start = 0
    cut = False
    for _ in range(lines + 1):
        if start >= len(text):
            break
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        room = start + 4 * TIP_LINE
        if end > room:
            cut = cut or _VISIBLE.search(text, room, end) is not None
        heads.append(text[start:min(end, room)])
        start = end + 1
    return "\n".join(heads), cut or _VISIBLE.search(text, start) is not None


def _cut_line(terminal: TerminalText, line: int, max_lines: int | None) -> list[tuple[str, Style]]:
    spans = list(terminal.line_spans(line))
    if max_lines is None:
        return spans
    out: list[tuple[str, Style]] = []
    room = TIP_LINE
    for piece, style in spans:
        if len(piece) >= room:
            out.append((piece[:room] + "…" if len(piece) > room else piece, style))
            break
        out.append((piece, style))
        room -= len(piece)
    return out


def _span(piece: str, style: Style, theme: Theme) -> str:
    escaped = html.escape(piece, quote=False)
    css = style_css(style, theme.palette)  # as an exported page styles it
    return f'<span style="{css}">{escaped}</span>' if css else escaped


def ansi_format(style: Style, theme: Theme) -> QTextCharFormat:
    """The character format of a span of terminal text (as :func:`ansi_to_html` styles it)."""
    fmt = QTextCharFormat()
    if style.fg is not None:
        colour = QColor(theme.ansi(style.fg, theme.foreground))
        if style.dim:
            colour.setAlphaF(0.6)
        fmt.setForeground(colour)
    if style.bg is not None:
        fmt.setBackground(theme.ansi(style.bg, theme.background))
    if style.bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    if style.italic:
        fmt.setFontItalic(True)
    if style.underline:
        fmt.setFontUnderline(True)
    return fmt
