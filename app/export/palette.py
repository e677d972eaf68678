"""Colours of an exported HTML page (Qt-free): a light and a dark palette, ANSI resolution."""
from __future__ import annotations

from dataclasses import dataclass

from conch.app.model.style import Color, xterm_rgb

LIGHT_ANSI_16: tuple[str, ...] = (
    "#000000", "#c4261d", "#2f8a19", "#a37700", "#2452c2", "#a1339f", "#18868f", "#8f949c",
    "#666666", "#ef3a2d", "#45b31c", "#c79a00", "#4b7dff", "#d452cf", "#20b0bc", "#a9aeb6",
)
"""The console's 16 colours on white (``widgets/theme.py``): "white" is a grey there."""

DARK_ANSI_16: tuple[str, ...] = (
    "#767676", "#f0605a", "#3fc56b", "#e5c34b", "#5c9cf5", "#d678d6", "#3ab8d3", "#d0d0d0",
    "#8a8a8a", "#ff7b72", "#56d98a", "#f5dd6a", "#7eb6ff", "#e89be8", "#5fd2e8", "#ffffff",
)
"""The 16 colours on a dark background: "black" is a grey there."""


@dataclass(frozen=True)
class Palette:
    """CSS colours (``#rrggbb``) of a page; ``code_style`` names the Pygments style of code
    (``"conch-light"`` is the console's own)."""

    name: str
    background: str
    foreground: str
    stderr_background: str
    in_prompt: str
    out_prompt: str
    foreign_marker: str
    foreign_background: str
    notice_info: str
    notice_warning: str
    notice_error: str
    rule: str
    """Lines of tables and separators."""
    link: str
    ansi_16: tuple[str, ...]
    code_style: str
    dark: bool = False

    def notice(self, level: str) -> str:
        """The colour of a notice of ``level`` ("info", "warning", "error", "banner")."""
        if level == "warning":
            return self.notice_warning
        if level == "error":
            return self.notice_error
        return self.notice_info

    def ansi(self, color: Color) -> str:
        """The CSS colour of a palette index (0..255) or an RGB triple."""
        if isinstance(color, tuple):
            return _hex(color)
        if 0 <= color < 16:
            return self.ansi_16[color] if len(self.ansi_16) == 16 else LIGHT_ANSI_16[color]
        if 16 <= color <= 255:
            return _hex(xterm_rgb(color))
        return self.foreground


def _hex(rgb: tuple[int, int, int]) -> str:
    r, g, b = (max(0, min(255, int(c))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


LIGHT = Palette(
    name="light",
    background="#ffffff",
    foreground="#1e1e1e",
    stderr_background="#fdecec",
    in_prompt="#2452c2",
    out_prompt="#c4261d",
    foreign_marker="#a1339f",
    foreign_background="#f5eef8",
    notice_info="#5a5a5a",
    notice_warning="#a36a00",
    notice_error="#b3261e",
    rule="#d0d0d0",
    link="#2452c2",
    ansi_16=LIGHT_ANSI_16,
    code_style="conch-light",
)
"""The console's own look (``widgets/theme.py``)."""

DARK = Palette(
    name="dark",
    background="#1e1e1e",
    foreground="#d4d4d4",
    stderr_background="#3b2424",
    in_prompt="#6f9cff",
    out_prompt="#f0736a",
    foreign_marker="#d88ad6",
    foreign_background="#2e2535",
    notice_info="#a0a0a0",
    notice_warning="#e0ad4c",
    notice_error="#f0736a",
    rule="#444444",
    link="#7eb6ff",
    ansi_16=DARK_ANSI_16,
    code_style="monokai",
    dark=True,
)
"""Light text on a dark background."""
