"""Every colour Conch draws with, per theme (Qt-free): the light and the dark palette.

One :class:`Palette` owns the colours of the transcript and editor, the ANSI 16-colour table
(each theme has its own, as terminals do), the code style, and the colours the widgets'
stylesheets are made from (``resources/console.qss``). Nothing outside this module writes a
colour: widgets read a :class:`conch.widgets.theme.Theme` built from a palette, and exported
pages read the palette itself.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

from conch.app.model.style import Color, Style, xterm_rgb

LIGHT_ANSI_16: tuple[str, ...] = (
    "#000000", "#c4261d", "#2f8a19", "#a37700", "#2452c2", "#a1339f", "#18868f", "#8f949c",
    "#666666", "#ef3a2d", "#3a9a16", "#b08800", "#4b7dff", "#d452cf", "#1a9aa5", "#a9aeb6",
)
"""Tango-like colours on white, each at 3:1 or more against it but the greys (bright green,
yellow and cyan darkened to get there). "White" (7) and "bright white" (15) are greys:
programs that print white text assume a dark background, and white on white would hide it."""

DARK_ANSI_16: tuple[str, ...] = (
    "#767676", "#f0605a", "#3fc56b", "#e5c34b", "#5c9cf5", "#d678d6", "#3ab8d3", "#d0d0d0",
    "#8a8a8a", "#ff7b72", "#56d98a", "#f5dd6a", "#7eb6ff", "#e89be8", "#5fd2e8", "#ffffff",
)
"""The 16 colours on a dark background: "black" is a grey there, for the same reason."""


@dataclass(frozen=True)
class Palette:
    """The colours (``#rrggbb``) of one theme."""

    name: str
    dark: bool
    code_style: str
    """The Pygments style of code (``conch.app.look.code_style``): "conch-light" or "conch-dark"."""
    ansi_16: tuple[str, ...]
    # The transcript and the editor.
    background: str
    foreground: str
    muted: str
    """Secondary text: hints, a prompt while there is no kernel."""
    stderr_background: str
    selection: str
    find_match: str
    in_prompt: str
    out_prompt: str
    foreign_marker: str
    """The prompt of code another client ran on the same kernel..."""
    foreign_background: str
    """...and the tint behind that code."""
    notice_info: str
    notice_warning: str
    notice_error: str
    rule: str
    """Lines: table borders, the line above the input, separators."""
    link: str
    table_header: str
    """Behind the header cells of HTML tables."""
    code_background: str
    """Behind ``code`` and ``pre`` in HTML and Markdown outputs."""
    image_card: str
    """Behind images, SVG and formulas: plots with a transparent background are drawn for
    white paper, so on dark they sit on a light card."""
    placeholder: str
    placeholder_edge: str
    # Popups and bars.
    popup_background: str
    popup_border: str
    popup_selection: str
    calltip_background: str
    calltip_border: str
    field_background: str
    """The stdin field a kernel's ``input()`` opens."""
    state_starting: str
    """The tab icon of a kernel starting..."""
    state_idle: str
    """...idle..."""
    state_busy: str
    """...busy (or reconnecting)..."""
    state_problem: str
    """...dead, unresponsive, gone..."""
    state_connecting: str
    """...and connecting."""
    banner_info_background: str
    banner_info_text: str
    banner_warning_background: str
    banner_warning_text: str
    banner_error_background: str
    banner_error_text: str
    # The window around the consoles (menus, tabs, dialogs) when Conch owns the application.
    window: str
    window_text: str
    base: str
    alternate_base: str
    button: str
    highlight: str
    highlighted_text: str
    disabled_text: str

    def notice(self, level: str) -> str:
        """The colour of a notice of ``level`` ("info", "warning", "error", "banner")."""
        if level == "warning":
            return self.notice_warning
        if level == "error":
            return self.notice_error
        return self.notice_info

    def ansi(self, color: Color) -> str:
        """The colour of a palette index (0..255) or an RGB triple."""
        if isinstance(color, tuple):
            return hex_colour(color)
        if 0 <= color < 16:
            return self.ansi_16[color]
        if 16 <= color <= 255:
            return hex_colour(xterm_rgb(color))
        return self.foreground

    def colours(self) -> dict[str, str]:
        """Every named colour (the stylesheet template's ``$names``)."""
        named = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in named.items() if isinstance(value, str) and value.startswith("#")}


DIM = 0.6
"""How much of a dim (faint) text's colour is kept, mixed with the background."""


@lru_cache(maxsize=1024)
def style_css(style: Style, palette: Palette) -> str:
    """The inline CSS of a run of terminal text in ``palette`` ("" for plain text): for
    exported pages and Qt's rich text alike (dim is a mixed colour, which both understand)."""
    fg = palette.ansi(style.fg) if style.fg is not None else None
    bg = palette.ansi(style.bg) if style.bg is not None else None
    if style.inverse:
        fg, bg = bg or palette.background, fg or palette.foreground
    if style.dim:
        fg = mix(fg or palette.foreground, bg or palette.background, DIM)
    css: list[str] = []
    if fg is not None:
        css.append(f"color:{fg}")
    if bg is not None:
        css.append(f"background-color:{bg}")
    if style.bold:
        css.append("font-weight:bold")
    if style.italic:
        css.append("font-style:italic")
    decorations = [name for on, name in ((style.underline, "underline"), (style.strike, "line-through")) if on]
    if decorations:
        css.append(f"text-decoration:{' '.join(decorations)}")
    return ";".join(css)


def mix(colour: str, behind: str, kept: float) -> str:
    """``colour`` with ``kept`` of it over ``behind`` (an opaque colour, as an alpha would look)."""
    front, back = rgb(colour), rgb(behind)
    r, g, b = (round(f * kept + k * (1 - kept)) for f, k in zip(front, back))
    return hex_colour((r, g, b))


def hex_colour(rgb: tuple[int, int, int]) -> str:
    r, g, b = (max(0, min(255, int(c))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` (or ``#rgb``) as a triple."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    value = int(digits[:6].ljust(6, "0"), 16)
    return (value >> 16 & 255, value >> 8 & 255, value & 255)


LIGHT = Palette(
    name="light",
    dark=False,
    code_style="conch-light",
    ansi_16=LIGHT_ANSI_16,
    background="#ffffff",
    foreground="#1e1e1e",
    muted="#767676",
    stderr_background="#fdecec",
    selection="#b5d5ff",
    find_match="#ffe27a",
    in_prompt="#2452c2",
    out_prompt="#c4261d",
    foreign_marker="#a1339f",
    foreign_background="#f5eef8",
    notice_info="#5a5a5a",
    notice_warning="#a36a00",
    notice_error="#b3261e",
    rule="#d0d0d0",
    link="#2452c2",
    table_header="#f2f2f2",
    code_background="#f5f5f5",
    image_card="#ffffff",
    placeholder="#f2f2f2",
    placeholder_edge="#dedede",
    popup_background="#ffffff",
    popup_border="#9a9a9a",
    popup_selection="#cfe3ff",
    calltip_background="#fffbe6",
    calltip_border="#c9b458",
    field_background="#f4f8ff",
    state_starting="#9a9a9a",
    state_idle="#2f8a19",
    state_busy="#e0a000",
    state_problem="#c4261d",
    state_connecting="#2a6fc9",
    banner_info_background="#e8f0fe",
    banner_info_text="#1a3d8f",
    banner_warning_background="#fff4d6",
    banner_warning_text="#7a5200",
    banner_error_background="#fdecec",
    banner_error_text="#b3261e",
    window="#efefef",
    window_text="#1e1e1e",
    base="#ffffff",
    alternate_base="#f5f5f5",
    button="#efefef",
    highlight="#2452c2",
    highlighted_text="#ffffff",
    disabled_text="#9a9a9a",
)
"""Dark text on white."""

DARK = Palette(
    name="dark",
    dark=True,
    code_style="conch-dark",
    ansi_16=DARK_ANSI_16,
    background="#1e1e1e",
    foreground="#d4d4d4",
    muted="#9a9a9a",
    stderr_background="#3b2424",
    selection="#264f78",
    find_match="#7a5d00",
    in_prompt="#6f9cff",
    out_prompt="#f0736a",
    foreign_marker="#d88ad6",
    foreign_background="#2e2535",
    notice_info="#a0a0a0",
    notice_warning="#e0ad4c",
    notice_error="#f0736a",
    rule="#444444",
    link="#7eb6ff",
    table_header="#2d2d2d",
    code_background="#2a2a2a",
    image_card="#ffffff",
    placeholder="#2d2d2d",
    placeholder_edge="#444444",
    popup_background="#252526",
    popup_border="#555555",
    popup_selection="#094771",
    calltip_background="#2d2a1e",
    calltip_border="#7a6a2a",
    field_background="#1f2a3a",
    state_starting="#9a9a9a",
    state_idle="#3fc56b",
    state_busy="#e5b53b",
    state_problem="#f0605a",
    state_connecting="#5c9cf5",
    banner_info_background="#1c2b45",
    banner_info_text="#a9c7ff",
    banner_warning_background="#3a2f12",
    banner_warning_text="#f0c868",
    banner_error_background="#3f1f1f",
    banner_error_text="#ff9a92",
    window="#2b2b2b",
    window_text="#d4d4d4",
    base="#1e1e1e",
    alternate_base="#262626",
    button="#353535",
    highlight="#3d6fd6",
    highlighted_text="#ffffff",
    disabled_text="#7a7a7a",
)
"""Light text on a dark background."""

PALETTES: dict[str, Palette] = {p.name: p for p in (LIGHT, DARK)}
"""The themes a user can pick, by name."""
