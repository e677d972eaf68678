"""ANSI-coloured text as Qt rich text (for help tips and the pager)."""
from __future__ import annotations

import html

from PySide6.QtGui import QColor

from conch.app.model.style import Style
from conch.app.model.terminal_text import TerminalText
from conch.widgets.theme import Theme


def ansi_to_html(text: str, theme: Theme, max_lines: int | None = None) -> tuple[str, bool]:
    """``text`` with its SGR colours as ``<pre>`` HTML, and whether lines were left out."""
    terminal = TerminalText()
    terminal.feed(text)
    count = terminal.line_count()
    while count and not terminal.line_text(count - 1).strip():
        count -= 1  # no trailing blank lines in a tip
    shown = count if max_lines is None else min(count, max_lines)
    lines = ["".join(_span(piece, style, theme) for piece, style in terminal.line_spans(i)) for i in range(shown)]
    body = "\n".join(lines)
    return f'<pre style="margin:0; color:{theme.foreground.name()}">{body}</pre>', shown < count


def _span(piece: str, style: Style, theme: Theme) -> str:
    escaped = html.escape(piece, quote=False)
    css = []
    if style.fg is not None:
        colour = theme.ansi(style.fg, theme.foreground)
        if style.dim:
            colour = QColor(colour)
            colour.setAlphaF(0.6)
        css.append(f"color:{colour.name()}")
    if style.bg is not None:
        css.append(f"background-color:{theme.ansi(style.bg, theme.background).name()}")
    if style.bold:
        css.append("font-weight:bold")
    if style.italic:
        css.append("font-style:italic")
    if style.underline:
        css.append("text-decoration:underline")
    return f'<span style="{";".join(css)}">{escaped}</span>' if css else escaped
