"""The console's colours as Qt sees them, and its font metrics.

A :class:`Theme` is made from a Qt-free :class:`~conch.app.look.palette.Palette` (the one
place colours are written); it resolves ANSI colours with its own 16-colour table, names the
code style, and fills the widgets' stylesheet template (``resources/console.qss``).
"""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from string import Template

from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QPalette

from conch.app.look.code_style import CODE_STYLES, CodeStyle, ConchLightStyle
from conch.app.look.palette import DARK, LIGHT, PALETTES, Palette
from conch.app.model.style import Color, xterm_rgb


class Theme:
    """What the transcript, the editor and their popups are painted with."""

    def __init__(self, palette: Palette = LIGHT) -> None:
        self.palette = palette
        self.name = palette.name
        self.dark = palette.dark
        self.background = QColor(palette.background)
        self.foreground = QColor(palette.foreground)
        self.muted = QColor(palette.muted)
        self.stderr_background = QColor(palette.stderr_background)
        self.selection = QColor(palette.selection)
        self.find_match = QColor(palette.find_match)
        self.in_prompt = QColor(palette.in_prompt)
        self.out_prompt = QColor(palette.out_prompt)
        self.notice = {level: QColor(palette.notice(level)) for level in ("info", "warning", "error")}
        self.foreign_marker = QColor(palette.foreign_marker)
        """The prompt of code another client ran on the same kernel..."""
        self.foreign_background = QColor(palette.foreign_background)
        """...and the tint behind that code."""
        self.image_card = QColor(palette.image_card)
        """Behind images and formulas on a dark theme (plots are drawn for white paper)."""
        self.placeholder = QColor(palette.placeholder)
        self.placeholder_edge = QColor(palette.placeholder_edge)
        self.popup_background = QColor(palette.popup_background)
        self.popup_selection = QColor(palette.popup_selection)
        self.code_style: CodeStyle = CODE_STYLES.get(palette.code_style, ConchLightStyle)
        self._ansi_16 = tuple(QColor(c) for c in palette.ansi_16)

    @classmethod
    def named(cls, name: str) -> "Theme":
        """The theme called ``name`` ("light" or "dark"; light if unknown)."""
        return _theme(name if name in PALETTES else LIGHT.name)

    def ansi(self, color: Color | None, default: QColor) -> QColor:
        """The colour of an ANSI palette index or RGB triple (``default`` for None)."""
        if color is None:
            return default
        if isinstance(color, int) and 0 <= color < 16:
            return self._ansi_16[color]
        return _resolve(color)

    def ansi_16(self, index: int) -> QColor:
        """One of the theme's 16 terminal colours."""
        return self._ansi_16[index % 16]

    def stylesheet(self) -> str:
        """The widgets' stylesheet: the template with this theme's colours filled in."""
        return _template().substitute(self.palette.colours())

    def qt_palette(self) -> QPalette:
        """A Qt palette for the window around the consoles (menus, tabs, dialogs)."""
        p = self.palette
        qt = QPalette()
        roles = {
            QPalette.ColorRole.Window: p.window, QPalette.ColorRole.WindowText: p.window_text,
            QPalette.ColorRole.Base: p.base, QPalette.ColorRole.AlternateBase: p.alternate_base,
            QPalette.ColorRole.Text: p.window_text, QPalette.ColorRole.Button: p.button,
            QPalette.ColorRole.ButtonText: p.window_text, QPalette.ColorRole.Highlight: p.highlight,
            QPalette.ColorRole.HighlightedText: p.highlighted_text, QPalette.ColorRole.ToolTipBase: p.popup_background,
            QPalette.ColorRole.ToolTipText: p.foreground, QPalette.ColorRole.Link: p.link,
            QPalette.ColorRole.PlaceholderText: p.muted, QPalette.ColorRole.BrightText: p.notice_error,
        }
        for role, colour in roles.items():
            qt.setColor(role, QColor(colour))
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            qt.setColor(QPalette.ColorGroup.Disabled, role, QColor(p.disabled_text))
        return qt


@lru_cache(maxsize=None)
def _theme(name: str) -> Theme:
    return Theme(PALETTES[name])


@lru_cache(maxsize=1)
def _template() -> Template:
    return Template((files("conch.resources") / "console.qss").read_text(encoding="utf-8"))


@lru_cache(maxsize=1024)
def _resolve(color: Color) -> QColor:
    if isinstance(color, tuple):
        return QColor(*color)
    if 16 <= color <= 255:
        return QColor(*xterm_rgb(color))
    return QColor(LIGHT.foreground)


LIGHT_THEME = Theme.named(LIGHT.name)
DARK_THEME = Theme.named(DARK.name)


class Metrics:
    """The monospace font and the sizes derived from it; every text row is one line high.
    ``zoom`` is how much larger than the user's chosen size the font is drawn (images and
    formulas scale by it too)."""

    def __init__(self, font: QFont | None = None, zoom: float = 1.0) -> None:
        if font is None:
            font = default_font()
        self.zoom = zoom
        if zoom != 1.0:
            font = QFont(font)
            font.setPointSizeF(font.pointSizeF() * zoom)
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


def default_font(family: str | None = None, size: float | None = None) -> QFont:
    """The console font: ``family`` (the system's fixed-width font if None or not installed)
    at ``size`` points (at least 10 when not given)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if family and family in QFontDatabase.families():
        font.setFamily(family)
        font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(size if size else max(font.pointSizeF(), 10.0))
    return font
