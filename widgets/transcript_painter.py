"""Painting the transcript's blocks that fall in an exposed part of the viewport."""
from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QPainter

from conch.widgets.block_stack import BlockStack
from conch.widgets.horizontal_scroll import STRIP_HEIGHT, HorizontalScroller
from conch.widgets.theme import Metrics, Theme
from conch.widgets.transcript_selection import Selection


def paint_stack(
    painter: QPainter,
    exposed: QRect,
    stack: BlockStack,
    scroll: int,
    metrics: Metrics,
    theme: Theme,
    selection: Selection,
    scroller: HorizontalScroller,
    highlight: str,
) -> None:
    """Paint the blocks (and their prompts and scroll strips) that ``exposed`` shows, the view
    scrolled to document y ``scroll``; the rest of the document costs nothing."""
    painter.setClipRect(exposed)
    painter.fillRect(exposed, theme.background)
    blocks, tops = stack.blocks, stack.tops
    y0, y1 = scroll + exposed.top(), scroll + exposed.bottom() + 1  # document coordinates
    ordered = selection.ordered()
    first = max(0, stack.index_at(y0))
    for index in range(first, len(blocks)):
        top = tops[index]
        if top >= y1:
            break
        block = blocks[index]
        content_top = top + block.margin_top
        strip = STRIP_HEIGHT if scroller.extent(block) else 0
        bottom = tops[index + 1] - strip
        height = bottom - content_top
        clip = (max(0, y0 - content_top), min(height, y1 - content_top))
        if clip[1] > clip[0] or height <= 0:
            if block.gutter and clip[0] < metrics.line_height and clip[1] > 0:
                painter.setPen(block.gutter_color or theme.foreground)
                painter.setFont(metrics.font)
                rect = QRectF(4, content_top - scroll, metrics.gutter_width - 8, metrics.line_height)
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft), block.gutter)
            if strip:  # a wide block: shifted by its offset, clipped to the content area
                painter.save()
                painter.setClipRect(QRect(scroller.left, exposed.top(), scroller.width, exposed.height()),
                                    Qt.ClipOperation.IntersectClip)
                painter.translate(-block.x_offset, 0)
            chosen = selection.in_block(index, block, ordered)
            block.paint(painter, metrics, theme, content_top - scroll, clip, chosen, highlight)
            if strip:
                painter.restore()
        if strip and bottom < y1 and bottom + strip > y0:
            scroller.paint_strip(painter, block, bottom - scroll, theme)
