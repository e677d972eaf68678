"""Painting the transcript's blocks that fall in an exposed part of the viewport."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QPainter

from conch.widgets.block_stack import BlockStack
from conch.widgets.blocks import Block
from conch.widgets.horizontal_scroll import STRIP_HEIGHT, HorizontalScroller
from conch.widgets.theme import Metrics, Theme
from conch.widgets.transcript_selection import Selection, Span

FailureHandler = Callable[[Block, Exception], None]


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
    on_failure: FailureHandler | None = None,
) -> None:
    """Paint the blocks (and their prompts and scroll strips) that ``exposed`` shows, the view
    scrolled to document y ``scroll``; the rest of the document costs nothing.

    A block that raises is blanked and handed to ``on_failure`` (the view puts its fallback in
    its place); the painter is reset and the blocks below it are painted as usual."""
    painter.setClipRect(exposed)
    painter.fillRect(exposed, theme.background)
    blocks, tops = stack.blocks, stack.tops
    ordered = selection.ordered()
    first = max(0, stack.index_at(scroll + exposed.top()))
    for index in range(first, len(blocks)):
        top = tops[index]
        if top >= scroll + exposed.bottom() + 1:
            break
        block = blocks[index]
        try:
            chosen = selection.in_block(index, block, ordered)
            _paint_block(painter, exposed, block, (top, tops[index + 1]), scroll, metrics, theme, scroller,
                         chosen, highlight)
        except Exception as error:  # noqa: BLE001 - isolation: this block, not the transcript
            _reset(painter, exposed)
            area = QRect(0, top - scroll, exposed.right() + 1, tops[index + 1] - top)
            painter.fillRect(area.intersected(exposed), theme.background)  # no half-painted block
            if on_failure is not None:
                on_failure(block, error)


def _paint_block(
    painter: QPainter,
    exposed: QRect,
    block: Block,
    span: tuple[int, int],
    scroll: int,
    metrics: Metrics,
    theme: Theme,
    scroller: HorizontalScroller,
    chosen: Span | None,
    highlight: str,
) -> None:
    """One block between document y ``span`` (its margin and scroll strip included)."""
    y0, y1 = scroll + exposed.top(), scroll + exposed.bottom() + 1  # document coordinates
    content_top = span[0] + block.margin_top
    strip = STRIP_HEIGHT if scroller.extent(block) else 0
    bottom = span[1] - strip
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
        block.paint(painter, metrics, theme, content_top - scroll, clip, chosen, highlight)
        if strip:
            painter.restore()
    if strip and bottom < y1 and bottom + strip > y0:
        scroller.paint_strip(painter, block, bottom - scroll, theme)


def _reset(painter: QPainter, exposed: QRect) -> None:
    """Undo whatever a failed block left in ``painter`` (saved states, transforms, clips): end
    it and begin again on the same device."""
    device = painter.device()
    painter.end()
    painter.begin(device)
    painter.setClipRect(exposed)
