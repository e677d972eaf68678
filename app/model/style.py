"""Text styles produced by the ANSI parser: display-independent, hashable, shared."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

RGB = tuple[int, int, int]
Color = Union[int, RGB]
"""A palette index 0..255 (0-7 normal, 8-15 bright, 16-255 xterm cube/greys) or a truecolor RGB."""


@dataclass(frozen=True, slots=True)
class Style:
    """The SGR attributes of a run of text. ``None`` colours mean the view's default."""

    fg: Color | None = None
    bg: Color | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    inverse: bool = False
    strike: bool = False


DEFAULT_STYLE = Style()

Span = tuple[str, Style]
"""A run of text in one style."""


def xterm_rgb(index: int) -> RGB:
    """The RGB value xterm uses for a 256-colour palette entry (16..255).

    Entries 0..15 are theme colours and are resolved by the view's palette.
    """
    if not 16 <= index <= 255:
        raise ValueError(f"not an xterm cube/grey index: {index}")
    if index >= 232:
        level = 8 + (index - 232) * 10
        return (level, level, level)
    index -= 16
    steps = (0, 95, 135, 175, 215, 255)
    return (steps[index // 36], steps[(index // 6) % 6], steps[index % 6])
