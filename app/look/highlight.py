"""Pygments highlighting into the model's styled spans (shared by transcript and editor)."""
from __future__ import annotations

from typing import Any

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound

from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.app.look.code_style import CodeStyle, ConchLightStyle
from conch.app.look.palette import rgb



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


_STYLES: dict[tuple[_TokenType, CodeStyle], Style] = {}


def token_style(token: _TokenType, code_style: CodeStyle = ConchLightStyle) -> Style:
    """How ``token`` looks in ``code_style`` (one object per token and style)."""
    style = _STYLES.get((token, code_style))
    if style is None:
        style = _STYLES[(token, code_style)] = _token_style(token, code_style)
    return style


def _token_style(token: _TokenType, code_style: CodeStyle) -> Style:
    spec = code_style.style_for_token(token)
    colour = spec.get("color")
    return Style(
        fg=rgb(colour) if colour else None,
        bold=bool(spec.get("bold")),
        italic=bool(spec.get("italic")),
        underline=bool(spec.get("underline")),
    )


def highlight_lines(code: str, lexer: Lexer, code_style: CodeStyle = ConchLightStyle) -> list[list[Span]]:
    """``code`` split into lines of (text, style) spans in ``code_style``."""
    lines: list[list[Span]] = [[]]
    for token, value in lexer.get_tokens(code):
        style = token_style(token, code_style)
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            if part:
                lines[-1].append((part, style))
    if len(lines) > 1 and not lines[-1] and not code.endswith("\n"):
        lines.pop()
    return [line or [("", DEFAULT_STYLE)] for line in lines]
