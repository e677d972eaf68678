"""Colours and fonts of the console, and ANSI colour resolution."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF

from conch.app.model.style import Color, xterm_rgb

# Tango-like 16-colour palette for a white background. "White" (7) and "bright white" (15)
# are greys here: programs that print white text assume a dark background, and white on
# white would hide it.
_ANSI_16 = (
    "#000000", "#c4261d", "#2f8a19", "#a37700", "#2452c2", "#a1339f", "#18868f", "#8f949c",
    "#666666", "#ef3a2d", "#45b31c", "#c79a00", "#4b7dff", "#d452cf", "#20b0bc", "#a9aeb6",
)


@dataclass
class Theme:
    """What the transcript and editor are painted with."""

    background: QColor = field(default_factory=lambda: QColor("#ffffff"))
    foreground: QColor = field(default_factory=lambda: QColor("#1e1e1e"))
    stderr_background: QColor = field(default_factory=lambda: QColor("#fdecec"))
    selection: QColor = field(default_factory=lambda: QColor("#b5d5ff"))
    find_match: QColor = field(default_factory=lambda: QColor("#ffe27a"))
    in_prompt: QColor = field(default_factory=lambda: QColor("#2452c2"))
    out_prompt: QColor = field(default_factory=lambda: QColor("#c4261d"))
    notice: dict[str, QColor] = field(
        default_factory=lambda: {
            "info": QColor("#5a5a5a"),
            "warning": QColor("#a36a00"),
            "error": QColor("#b3261e"),
        }
    )
    foreign_marker: QColor = field(default_factory=lambda: QColor("#a1339f"))
    """The prompt of code another client ran on the same kernel..."""
    foreign_background: QColor = field(default_factory=lambda: QColor("#f5eef8"))
    """...and the tint behind that code."""

    def ansi(self, color: Color | None, default: QColor) -> QColor:
        if color is None:
            return default
        return _resolve(color)


@lru_cache(maxsize=1024)
def _resolve(color: Color) -> QColor:
    if isinstance(color, tuple):
        return QColor(*color)
    if color < 16:
        return QColor(_ANSI_16[color])
    return QColor(*xterm_rgb(color))


class Metrics:
    """The monospace font and the sizes derived from it; every text row is one line high."""

    def __init__(self, font: QFont | None = None) -> None:
        if font is None:
            font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            font.setPointSizeF(max(font.pointSizeF(), 10.0))
        self.font = font
        fm = QFontMetricsF(font)
        self.char_width = max(1.0, fm.horizontalAdvance("M"))
        # Rounded (not ceiled) so box-drawing and block glyphs touch between rows.
        self.line_height = max(1, round(fm.lineSpacing()))
        self.ascent = fm.ascent()
        self.gutter_width = int(fm.horizontalAdvance("Out[999]: ") + 8)
        self._variants: dict[tuple[bool, bool, bool, bool], QFont] = {}

    def variant(self, bold: bool, italic: bool, underline: bool, strike: bool) -> QFont:
        key = (bold, italic, underline, strike)
        font = self._variants.get(key)
        if font is None:
            font = QFont(self.font)
            font.setBold(bold)
            font.setItalic(italic)
            font.setUnderline(underline)
            font.setStrikeOut(strike)
            self._variants[key] = font
        return font

    def columns(self, width: int) -> int:
        return max(8, int(width / self.char_width))
