"""Pygments highlighting into the model's styled spans (shared by transcript and editor)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound

from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.widgets.code_style import ConchLightStyle

_PYGMENTS_STYLE = ConchLightStyle
"""Every token colour meets WCAG AA contrast on the console's backgrounds (see code_style)."""


def lexer_for(language_info: dict[str, Any] | None) -> Lexer:
    """The lexer a kernel asks for (``pygments_lexer``, else ``name``); plain text if unknown."""
    info = language_info or {}
    for key in ("pygments_lexer", "name"):
        name = info.get(key)
        if isinstance(name, str) and name:
            try:
                return get_lexer_by_name(name, stripnl=False, ensurenl=False)
            except ClassNotFound:
                continue
    return TextLexer(stripnl=False, ensurenl=False)


@lru_cache(maxsize=512)
def token_style(token: _TokenType) -> Style:
    spec = _PYGMENTS_STYLE.style_for_token(token)
    colour = spec.get("color")
    return Style(
        fg=_rgb(colour) if colour else None,
        bold=bool(spec.get("bold")),
        italic=bool(spec.get("italic")),
        underline=bool(spec.get("underline")),
    )


def highlight_lines(code: str, lexer: Lexer) -> list[list[Span]]:
    """``code`` split into lines of (text, style) spans."""
    lines: list[list[Span]] = [[]]
    for token, value in lexer.get_tokens(code):
        style = token_style(token)
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            if part:
                lines[-1].append((part, style))
    if len(lines) > 1 and not lines[-1] and not code.endswith("\n"):
        lines.pop()
    return [line or [("", DEFAULT_STYLE)] for line in lines]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#")[:6], 16)
    return (value >> 16 & 255, value >> 8 & 255, value & 255)
