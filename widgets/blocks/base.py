"""What every transcript block offers the view."""
from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter

from conch.widgets.theme import Metrics, Theme


class RenderRefused(Exception):
    """A block will not render its output (over a render budget: nesting, size, draw cost;
    or the data is broken). The message is the one-line reason shown instead, beside the
    output's text/plain fallback."""


class TextPosition(NamedTuple):
    """A caret position inside a block: line index and column."""

    line: int
    column: int


class Block:
    """A vertical piece of the transcript. The view positions it; it lays out and paints itself.

    ``gutter`` is the prompt label ("In [3]:", "Out[3]:") painted left of the content.
    Heights are cached by the subclasses; ``layout`` is cheap when nothing changed.
    """

    gutter: str = ""
    gutter_color: QColor | None = None
    margin_top: int = 0
    x_offset: int = 0
    """How far the view has scrolled this block to the left (pixels); 0 unless it is wider
    than the view."""

    def sync(self) -> bool:
        """Pull changes from the model; True if the height may have changed."""
        return False

    def layout(self, metrics: Metrics, width: int) -> int:
        """Height in pixels for a content width (gutter excluded)."""
        raise NotImplementedError

    def natural_width(self) -> float:
        """The width the content takes after the last :meth:`layout`: at most the layout width
        for content that wraps or scales; wider for what cannot (a wide table), which the view
        then scrolls horizontally."""
        return 0.0

    def paint(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        top: int,
        clip: tuple[int, int],
        selection: tuple[TextPosition, TextPosition] | None,
        highlight: str = "",
    ) -> None:
        """Paint the part of the block between ``clip`` (block-relative y0, y1) at view y ``top``,
        marking ``selection`` and every occurrence of ``highlight`` (lower case). Content starts
        at x = ``metrics.gutter_width``; the view translates the painter by ``-x_offset``."""
        raise NotImplementedError

    # -- scroll anchoring ----------------------------------------------------------------------
    def anchor_at(self, metrics: Metrics, y: int) -> object:
        """Something naming what is at block-relative ``y`` that survives a relayout (lines
        leaving the front of a stream included); :meth:`anchor_y` finds it again."""
        return y

    def anchor_y(self, metrics: Metrics, anchor: object) -> int | None:
        """Block-relative y of ``anchor`` now (None: it is gone)."""
        return anchor if isinstance(anchor, int) else None

    # -- text ----------------------------------------------------------------------------------
    def y_of(self, metrics: Metrics, position: TextPosition) -> int:
        """Block-relative y of the row holding ``position``."""
        return 0

    def hit(self, metrics: Metrics, x: float, y: float) -> TextPosition:
        """The text position nearest to block-relative (x, y)."""
        return TextPosition(0, 0)

    def start(self) -> TextPosition:
        return TextPosition(0, 0)

    def end(self) -> TextPosition:
        return TextPosition(0, 0)

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        """Plain text from ``start`` to ``end`` (inclusive of full lines in between)."""
        return ""

    def search(self, needle: str) -> Iterator[TextPosition | None]:
        """Where ``needle`` (lower case) occurs, case-insensitively, lazily. ``None`` items are
        pause points (yielded every so many lines) for callers that search in time slices."""
        text = self.text_between(self.start(), self.end()).lower()
        if needle and needle in text:
            yield TextPosition(0, 0)


def paint_card(painter: QPainter, rect: QRectF, theme: Theme, pad: float = 3.0) -> None:
    """On a dark theme, a light card behind a picture: plots and formulas with a transparent
    background are drawn for white paper and would be unreadable on dark."""
    if theme.dark:
        painter.fillRect(rect.adjusted(-pad, -pad, pad, pad), theme.image_card)


def tint_selected(painter: QPainter, rect: QRectF, theme: Theme) -> None:
    """Mark a selected picture (image, SVG, formula, rich text) with a translucent overlay."""
    tint = QColor(theme.selection)
    tint.setAlpha(90)
    painter.fillRect(rect, tint)
