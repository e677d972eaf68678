"""Horizontal scrolling of single transcript blocks wider than the view (a wide table).

As in JupyterLab's output area, only the block that does not fit scrolls sideways; the rest
of the transcript, the prompts in the gutter and vertical scrolling stay as they are. Each
such block keeps its own ``x_offset``; the view paints it shifted by that offset and clipped
to the content area, with a thin strip under it (a scroll bar the mouse can drag or click).
"""
from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QWheelEvent

from conch.widgets.blocks import Block
from conch.widgets.theme import Theme

STRIP_HEIGHT = 10
"""Height added under a scrollable block for its scroll strip."""
_BAR = 6  # the visible bar inside the strip
_MIN_THUMB = 24
_WHEEL_STEP = 48  # pixels per wheel notch (120 eighths of a degree)


class HorizontalScroller:
    """Offsets, strip geometry, dragging and wheel handling for the view's wide blocks.

    The view tells it where the content area is (:meth:`set_area`), asks :meth:`fit` for the
    extra height of each block it lays out, and forwards wheel and mouse events over blocks.
    """

    def __init__(self) -> None:
        self.left = 0
        """Viewport x where block content starts (right of the gutter)."""
        self.width = 0
        """Width of the content area: what a block may take before it scrolls."""
        self._drag: tuple[Block, float, int] | None = None  # block, press x, offset at the press

    def set_area(self, left: int, width: int) -> None:
        self.left, self.width = left, width

    # -- geometry ------------------------------------------------------------------------------
    def extent(self, block: Block) -> int:
        """How far ``block`` can scroll: its width beyond the content area (0: it fits)."""
        over = block.natural_width() - self.width
        return math.ceil(over) if over > 0.5 else 0

    def fit(self, block: Block) -> int:
        """After ``block`` was laid out: keep its offset in range and return the height of
        its strip (0 when it fits, which also drops its offset)."""
        extent = self.extent(block)
        block.x_offset = max(0, min(block.x_offset, extent))
        return STRIP_HEIGHT if extent else 0

    def visible_range(self, block: Block) -> tuple[int, int]:
        """The block-relative x range on screen."""
        return block.x_offset, block.x_offset + self.width

    def thumb(self, block: Block) -> tuple[float, float]:
        """The thumb's viewport x and width."""
        extent = self.extent(block)
        if not extent:
            return float(self.left), float(self.width)
        width = max(_MIN_THUMB, self.width * self.width / (self.width + extent))
        return self.left + (self.width - width) * block.x_offset / extent, width

    # -- painting ------------------------------------------------------------------------------
    def paint_strip(self, painter: QPainter, block: Block, y: float, theme: Theme) -> None:
        """The strip whose top is at viewport ``y``: a faint track and the thumb."""
        bar_y = y + (STRIP_HEIGHT - _BAR) / 2
        track = QColor(theme.foreground)
        track.setAlpha(18)
        thumb = QColor(theme.foreground)
        thumb.setAlpha(140 if self._drag is not None and self._drag[0] is block else 90)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(QRectF(self.left, bar_y, self.width, _BAR), _BAR / 2, _BAR / 2)
        x, width = self.thumb(block)
        painter.setBrush(thumb)
        painter.drawRoundedRect(QRectF(x, bar_y, width, _BAR), _BAR / 2, _BAR / 2)
        painter.restore()

    # -- input ---------------------------------------------------------------------------------
    def on_strip(self, block: Block, x: float, above_bottom: float) -> bool:
        """Whether viewport ``x``, ``above_bottom`` pixels above the bottom of ``block``'s
        place in the stack, is on its strip."""
        return 0 < above_bottom <= STRIP_HEIGHT and self.left <= x < self.left + self.width and self.extent(block) > 0

    def wheel(self, block: Block, event: QWheelEvent) -> bool:
        """Scroll ``block`` for a sideways wheel (or Shift+wheel) event: True if the event was
        one and ``block`` is wide (then it is accepted, even at the end of the range)."""
        pixels = self.wheel_pixels(event)
        if pixels is None or not self.extent(block):
            return False
        self.scroll_to(block, block.x_offset + pixels)
        event.accept()
        return True

    def scroll_to(self, block: Block, offset: float) -> bool:
        """Set ``block``'s offset (clamped); True if it moved."""
        new = max(0, min(round(offset), self.extent(block)))
        if new == block.x_offset:
            return False
        block.x_offset = new
        return True

    def press(self, block: Block, x: float) -> bool:
        """A left press on ``block``'s strip: grab the thumb, or page towards the press."""
        thumb_x, thumb_w = self.thumb(block)
        if thumb_x <= x < thumb_x + thumb_w:
            self._drag = (block, x, block.x_offset)
            return True
        page = self.width * 0.9
        return self.scroll_to(block, block.x_offset + (page if x >= thumb_x + thumb_w else -page))

    def dragging(self) -> Block | None:
        return self._drag[0] if self._drag is not None else None

    def drag_to(self, x: float) -> Block | None:
        """Move the grabbed thumb with the mouse; the block that moved, if any."""
        if self._drag is None:
            return None
        block, press_x, start = self._drag
        _, thumb_w = self.thumb(block)
        room = self.width - thumb_w
        if room <= 0:
            return None
        moved = self.scroll_to(block, start + (x - press_x) * self.extent(block) / room)
        return block if moved else None

    def release(self) -> Block | None:
        """End a thumb drag; the block that was dragged."""
        block = self.dragging()
        self._drag = None
        return block

    @staticmethod
    def wheel_pixels(event: QWheelEvent) -> int | None:
        """How far a wheel event asks to scroll sideways (positive: towards the right end),
        or None if it is a vertical scroll. Shift turns a vertical wheel sideways."""
        angle, pixels = event.angleDelta(), event.pixelDelta()
        dx, dy = angle.x(), angle.y()
        px, py = pixels.x(), pixels.y()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and abs(dy) > abs(dx):
            dx, dy, px, py = dy, dx, py, px
        if abs(dx) <= abs(dy) or dx == 0:
            return None
        delta = px if px else dx * _WHEEL_STEP / 120
        return -round(delta)
