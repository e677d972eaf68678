"""The highlighting colours of code (Qt-free): a light and a dark Pygments style, each at
WCAG AA contrast.

Every colour of a style has a contrast ratio of at least 4.5:1 (WCAG 2 AA, normal text) on
the backgrounds code is drawn on in its theme (``conch.app.look.palette``): the transcript and
editor background, and the tint behind code another client ran. Tokens without a colour of
their own are drawn in the foreground colour. The light look follows Pygments' "default"
style (bold green keywords, red strings, italic grey-green comments), darkened where that
style is too faint; the dark one uses the same fonts (bold, italic) with light colours, so a
theme switch changes colours only.
"""
from __future__ import annotations

from pygments.style import Style
from pygments.token import (
    Comment,
    Generic,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    Whitespace,
    _TokenType,
)

AA_NORMAL_TEXT = 4.5
"""The minimum contrast ratio WCAG 2 level AA asks of normal-size text."""


class ConchLightStyle(Style):  # type: ignore[misc, unused-ignore]  # pygments is untyped
    """Code colours for a light background, each at least 4.5:1 against it."""

    name = "conch-light"
    background_color = "#ffffff"

    styles: dict[_TokenType, str] = {
        Whitespace: "",
        Comment: "italic #35696a",
        Comment.Preproc: "noitalic #855600",
        Keyword: "bold #007020",
        Keyword.Pseudo: "nobold",
        Keyword.Type: "nobold #a0003a",
        Operator: "#9a4800",
        Operator.Word: "bold #7a1fc2",
        Name.Builtin: "#007020",
        Name.Function: "#0033cc",
        Name.Class: "bold #0033cc",
        Name.Namespace: "bold #0033cc",
        Name.Exception: "bold #b02a1e",
        Name.Variable: "#19177c",
        Name.Constant: "#880000",
        Name.Label: "#5f5f00",
        Name.Entity: "bold #5a5a5a",
        Name.Attribute: "#586619",
        Name.Tag: "bold #007020",
        Name.Decorator: "#7a1fc2",
        String: "#b21e1e",
        String.Doc: "italic",
        String.Interpol: "bold #8a3f62",
        String.Escape: "bold #8f4a10",
        String.Regex: "#8a3f62",
        String.Symbol: "#19177c",
        String.Other: "#007020",
        Number: "#005f87",
        Generic.Heading: "bold #000080",
        Generic.Subheading: "bold #800080",
        Generic.Deleted: "#a00000",
        Generic.Inserted: "#006a00",
        Generic.Error: "#c00000",
        Generic.Emph: "italic",
        Generic.Strong: "bold",
        Generic.EmphStrong: "bold italic",
        Generic.Prompt: "bold #000080",
        Generic.Output: "#5a5a5a",
        Generic.Traceback: "#0040cc",
        # No colour for Error: IPython syntax Pygments does not know (`obj?`, `$x`) is not red.
    }


class ConchDarkStyle(Style):  # type: ignore[misc, unused-ignore]  # pygments is untyped
    """Code colours for a dark background, each at least 4.5:1 against it; the same token
    fonts as :class:`ConchLightStyle`."""

    name = "conch-dark"
    background_color = "#1e1e1e"

    styles: dict[_TokenType, str] = {
        Whitespace: "",
        Comment: "italic #7fae6a",
        Comment.Preproc: "noitalic #d7a75f",
        Keyword: "bold #6fa8ff",
        Keyword.Pseudo: "nobold",
        Keyword.Type: "nobold #f08aa8",
        Operator: "#e0a060",
        Operator.Word: "bold #c99aff",
        Name.Builtin: "#5fcfb4",
        Name.Function: "#e3dc9a",
        Name.Class: "bold #4fd1c0",
        Name.Namespace: "bold #4fd1c0",
        Name.Exception: "bold #ff8a80",
        Name.Variable: "#9cdcfe",
        Name.Constant: "#f0a0a0",
        Name.Label: "#cfcf6a",
        Name.Entity: "bold #c0c0c0",
        Name.Attribute: "#b6d37a",
        Name.Tag: "bold #6fa8ff",
        Name.Decorator: "#d7a0ff",
        String: "#ef9a78",
        String.Doc: "italic",
        String.Interpol: "bold #e8a0c8",
        String.Escape: "bold #f0c070",
        String.Regex: "#e8a0c8",
        String.Symbol: "#9cdcfe",
        String.Other: "#5fcfb4",
        Number: "#b5dba0",
        Generic.Heading: "bold #8fb0ff",
        Generic.Subheading: "bold #e0a0e0",
        Generic.Deleted: "#ff8a80",
        Generic.Inserted: "#7fd77f",
        Generic.Error: "#ff7070",
        Generic.Emph: "italic",
        Generic.Strong: "bold",
        Generic.EmphStrong: "bold italic",
        Generic.Prompt: "bold #8fb0ff",
        Generic.Output: "#b0b0b0",
        Generic.Traceback: "#8fb0ff",
    }


CodeStyle = type[Style]
"""A Pygments style class: every token colour at WCAG AA contrast on its theme's backgrounds."""

CODE_STYLES: dict[str, CodeStyle] = {ConchLightStyle.name: ConchLightStyle, ConchDarkStyle.name: ConchDarkStyle}
"""The code styles by name (``Palette.code_style``)."""


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb`` (or ``#rgb``), from 0 (black) to 1 (white)."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
