"""The highlighting colours of code (Qt-free): a Pygments style that meets WCAG AA contrast.

Every colour below has a contrast ratio of at least 4.5:1 (WCAG 2 AA, normal text) on both
backgrounds code is drawn on: the transcript and editor background (``Theme.background``,
white) and the tint behind code another client ran (``Theme.foreign_background``). Tokens
without a colour of their own are drawn in the foreground colour. The look follows Pygments'
"default" style (bold green keywords, red strings, italic grey-green comments), darkened where
that style is too faint, with numbers and operators given colours of their own.
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
