"""The virtualized transcript view: observes a Transcript, paints only what is visible."""
from __future__ import annotations

from bisect import bisect_right
from contextlib import suppress
from functools import partial

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget
from pygments.lexer import Lexer
from pygments.lexers import TextLexer

from conch.app.model.transcript import Entry, Transcript
from conch.widgets import transcript_menu
from conch.widgets.block_factory import BlockFactory
from conch.widgets.block_stack import BlockStack
from conch.widgets.blocks import Block, TextPosition
from conch.widgets.blocks.failed_block import report_failure
from conch.widgets.horizontal_scroll import HorizontalScroller
from conch.widgets.latex_renderer import LatexRenderer
from conch.widgets.relexer import Relexer
from conch.widgets.transcript_painter import paint_stack
from conch.widgets.theme import Metrics, Theme
from conch.widgets.transcript_selection import Anchor, Selection

_FRAME_MS = 16
_RIGHT_MARGIN = 8


class TranscriptView(QAbstractScrollArea):
    """Shows a :class:`Transcript`. Model changes are coalesced into at most one layout pass
    and repaint per frame; layout work is limited to the entries that changed. A block wider
    than the view (a wide table) scrolls sideways on its own (:class:`HorizontalScroller`)."""

    updated = Signal()
    """Pending model changes have been laid out (the view now shows them)."""
    find_requested = Signal()
    """The user asked to find text (context menu)."""
    interaction_finished = Signal()
    """A dialog or menu the view opened has closed; the console returns focus to its editor."""

    def __init__(
        self,
        transcript: Transcript,
        *,
        theme: Theme | None = None,
        metrics: Metrics | None = None,
        lexer: Lexer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.transcript = transcript
        self.theme = theme or Theme()
        self.metrics = metrics or Metrics()
        self._factory = BlockFactory(self.theme, lexer or TextLexer(stripnl=False, ensurenl=False))
        self._stack = BlockStack()
        self._blocks = self._stack.blocks  # the same lists, updated in place
        self._tops = self._stack.tops
        self._dirty: set[int] = set()
        self._width = 0
        self.highlight = ""
        """Text (lower case) marked wherever it is visible: the find bar's needle."""
        self._selection = Selection(self._stack.index)
        self._scroller = HorizontalScroller()
        self._footer: QWidget | None = None
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.timeout.connect(self.flush)
        self._since_flush = QElapsedTimer()
        self._since_flush.start()
        self._relexer = Relexer(self._mark_dirty, self.flush, self)

        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.viewport().setAutoFillBackground(False)
        # paintEvent fills every exposed rect itself; opaque lets Qt scroll by copying pixels.
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.verticalScrollBar().setSingleStep(self.metrics.line_height * 3)
        LatexRenderer.shared().rendered.connect(self._on_formula_rendered)
        transcript.entry_added.connect(self._on_added)
        transcript.entry_changed.connect(self._on_changed)
        transcript.cleared.connect(self._on_cleared)
        for entry in transcript.entries:
            self._on_added(entry)

    # -- public --------------------------------------------------------------------------------
    def set_lexer(self, lexer: Lexer) -> None:
        """Highlight input cells with ``lexer`` (from the kernel's language_info); cells
        already shown are highlighted again a few at a time, so the window never stalls."""
        self._factory.lexer = lexer
        self._relexer.start(len(self._stack.entry_blocks))

    def flush(self) -> None:
        """Apply pending model changes now (normally done once per frame). Never raises: a block
        that fails gives way to its fallback (``FailedBlock``); any other failure is logged."""
        self._frame.stop()
        self._since_flush.restart()
        if not self._dirty:
            return
        try:
            self._apply_changes()
        except Exception as error:  # noqa: BLE001 - a bug here must not stop the console
            report_failure(type(self).__name__, "flush", error)
            self._dirty.clear()  # not retried every frame
            with suppress(Exception):
                self._stack.rebuild_from(0)  # blocks and tops agree with what was set
                self._update_scrollbar(True)
            self.viewport().update()
        self.updated.emit()

    def _apply_changes(self) -> None:
        at_bottom = self._at_bottom()
        # A reader scrolled up keeps the same text in view, even as old lines leave the front.
        anchor = None if at_bottom else self._stack.anchor(self.verticalScrollBar().value(), self.metrics)
        first = min(self._dirty)
        width = self._set_area()
        entries = self.transcript.entries
        measure = partial(self._measure, width=width)
        for i in sorted(self._dirty):  # a block that raises gives way to its fallback (BlockFactory.fit)
            fitted = [self._factory.fit(block, measure, sync=True) for block in self._factory.blocks_for(entries[i])]
            self._stack.set_entry(i, [block for block, _ in fitted], [height for _, height in fitted])
        self._dirty.clear()
        self._stack.rebuild_from(first)
        changed_y = self._stack.entry_top(first)
        self._update_scrollbar(at_bottom)  # scrolling blits (see scrollContentsBy)
        found = self._stack.find(anchor, self.metrics) if anchor is not None else None
        if found is not None and found != self.verticalScrollBar().value():
            self.verticalScrollBar().setValue(found)
            changed_y = 0
        self._place_footer()
        # Repaint only from the first changed entry down; what is above it did not move.
        top = max(0, changed_y - self.verticalScrollBar().value())
        viewport = self.viewport()
        if top < viewport.height():
            viewport.update(0, top, viewport.width(), viewport.height() - top)

    def set_theme(self, theme: Theme) -> None:
        """Paint with ``theme`` from now on. Every block is made again in its colours (input
        cells highlighted in its code style): what is on screen at once, the rest a few
        entries per event-loop turn (a long transcript takes many short turns, not one stall)."""
        if theme is self.theme:
            return
        self.theme = theme
        self._factory.retheme(theme)
        first, stop = self._entries_on_screen()
        self._mark_dirty(first, stop)
        self.flush()
        self.viewport().update()
        self._relexer.start(len(self._stack.entry_blocks))

    def _entries_on_screen(self) -> tuple[int, int]:
        """The range of entries the viewport shows (empty when nothing is laid out)."""
        if not self._blocks:
            return 0, 0
        top = self.verticalScrollBar().value()
        first = self._stack.entry_of(self._blocks[self._stack.index_at(top)])
        last = self._stack.entry_of(self._blocks[self._stack.index_at(top + self.viewport().height())])
        if first is None or last is None:
            return 0, len(self._stack.entry_blocks)
        return first, last + 1

    def set_metrics(self, metrics: Metrics) -> None:
        """Lay out and paint with another font and the sizes derived from it."""
        self.metrics = metrics
        self.verticalScrollBar().setSingleStep(metrics.line_height * 3)
        self._relayout_everything()

    def selected_text(self) -> str:
        return self._selection.text(self._blocks)

    def select_all(self) -> None:
        self._selection.select_all(self._blocks)
        self.viewport().update()

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def blocks(self) -> list[Block]:
        """The laid-out blocks, top to bottom (a copy)."""
        return list(self._blocks)

    def block_top(self, block: Block) -> int | None:
        """The viewport y where ``block``'s content starts (None if it is not laid out)."""
        index = self._stack.index.get(id(block))
        if index is None:
            return None
        return self._tops[index] + block.margin_top - self.verticalScrollBar().value()

    def block_at(self, x: float, y: float) -> Block | None:
        """The block under a viewport position."""
        hit = self._hit(x, y)
        return hit[0] if hit is not None else None

    def visible_x_range(self, block: Block) -> tuple[int, int]:
        """The x range of ``block``'s content (from its left edge) that the view shows."""
        return self._scroller.visible_range(block)

    def is_scrollable(self, block: Block) -> bool:
        """Whether ``block`` is wider than the view (it has its own horizontal scroll strip)."""
        return self._scroller.extent(block) > 0

    def reveal(self, block: Block, position: TextPosition, length: int) -> None:
        """Select ``length`` characters at ``position`` in ``block`` and scroll them into view."""
        index = self._stack.index.get(id(block))
        if index is None:
            return
        self._selection.set((block, position), (block, TextPosition(position.line, position.column + length)))
        y = self._tops[index] + block.margin_top + block.y_of(self.metrics, position)
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        if not bar.value() <= y <= bar.value() + page - self.metrics.line_height:
            bar.setValue(max(0, y - page // 3))
        self.viewport().update()

    def set_highlight(self, needle: str) -> None:
        self.highlight = needle.lower()
        self.viewport().update()

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_footer(self, widget: QWidget | None) -> None:
        """Show ``widget`` right after the last block, in line with the text (the stdin field),
        or remove the current one. The view scrolls to show it."""
        if self._footer is not None and self._footer is not widget:
            self._footer.hide()
        self._footer = widget
        if widget is not None:
            widget.setParent(self.viewport())
            widget.show()
        self._update_scrollbar(widget is not None or self._at_bottom())
        self._place_footer()

    def _place_footer(self) -> None:
        if self._footer is None:
            return
        y = self._tops[-1] + 2 - self.verticalScrollBar().value()
        self._footer.setGeometry(
            self.metrics.gutter_width, y, self._content_width(), self._footer.sizeHint().height()
        )

    def _mark_dirty(self, first: int, stop: int) -> None:
        self._dirty.update(range(first, min(stop, len(self._stack.entry_blocks))))

    # -- model events --------------------------------------------------------------------------
    def _on_added(self, entry: Entry) -> None:
        self._dirty.add(self._stack.add_entry(entry))
        self._schedule()

    def _on_changed(self, entry: Entry) -> None:
        index = self._stack.entry_position(entry)
        if index is not None:
            self._dirty.add(index)
            self._schedule()

    def _on_cleared(self) -> None:
        self._stack.clear()
        self._factory.forget_all()
        self._dirty.clear()
        self._selection.clear()
        self._update_scrollbar(True)
        self._place_footer()
        self.viewport().update()

    def _on_formula_rendered(self, _latex: str) -> None:
        self._relayout_everything()

    def _relayout_everything(self) -> None:
        """Lay out every block again (the width, the font or a formula's image changed)."""
        at_bottom = self._at_bottom()
        width = self._set_area()
        self._stack.remeasure(partial(self._factory.fit, measure=partial(self._measure, width=width)))
        self._update_scrollbar(at_bottom)
        self._place_footer()
        self.viewport().update()

    def _schedule(self) -> None:
        if not self._frame.isActive():
            self._frame.start(max(0, _FRAME_MS - int(self._since_flush.elapsed())))

    # -- layout --------------------------------------------------------------------------------
    def _content_width(self) -> int:
        return max(80, self.viewport().width() - self.metrics.gutter_width - _RIGHT_MARGIN)

    def _set_area(self) -> int:
        """Tell the scroller where content goes; the content width to lay out at."""
        width = self._content_width()
        self._scroller.set_area(self.metrics.gutter_width, width)
        return width

    def _measure(self, block: Block, width: int) -> int:
        """A block's height in the stack: margin, content, and its scroll strip if it is wide."""
        return block.margin_top + block.layout(self.metrics, width) + self._scroller.fit(block)

    def _on_paint_failure(self, block: Block, error: Exception) -> None:
        """A block raised while painting: its fallback takes its place at the next layout."""
        self._factory.replace(block, "paint", error)
        entry = self._stack.entry_of(block)
        if entry is not None:
            self._dirty.add(entry)
            self._schedule()

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 2

    def _update_scrollbar(self, stick_to_bottom: bool) -> None:
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        footer = self._footer.sizeHint().height() + 4 if self._footer is not None else 0
        bar.setRange(0, max(0, self._tops[-1] + self.metrics.line_height + footer - page))
        bar.setPageStep(page)
        if stick_to_bottom:
            bar.setValue(bar.maximum())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._content_width() != self._width:
            self._width = self._content_width()
            self._relayout_everything()
        else:
            self._update_scrollbar(self._at_bottom())
            self._place_footer()

    # -- painting ------------------------------------------------------------------------------
    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt override
        self.viewport().scroll(dx, dy)  # move the pixels (and the footer); only the uncovered strip repaints

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self.viewport())
        try:
            paint_stack(
                painter, event.rect(), self._stack, self.verticalScrollBar().value(), self.metrics, self.theme,
                self._selection, self._scroller, self.highlight, self._on_paint_failure,
            )
        finally:
            painter.end()  # never left active, whatever a block did

    def _update_block(self, block: Block) -> None:
        """Repaint the rows of the viewport that ``block`` covers (after it scrolled sideways)."""
        index = self._stack.index.get(id(block))
        if index is not None:
            top = self._tops[index] - self.verticalScrollBar().value()
            self.viewport().update(0, top, self.viewport().width(), self._tops[index + 1] - self._tops[index])

    # -- input ---------------------------------------------------------------------------------
    def _hit(self, x: float, y: float) -> Anchor | None:
        if not self._blocks:
            return None
        doc_y = y + self.verticalScrollBar().value()
        index = self._stack.index_at(doc_y)
        block = self._blocks[index]
        return block, block.hit(self.metrics, x + block.x_offset, doc_y - self._tops[index] - block.margin_top)

    def _strip_at(self, x: float, y: float) -> Block | None:
        """The wide block whose scroll strip is under a viewport position."""
        doc_y = y + self.verticalScrollBar().value()
        index = bisect_right(self._tops, doc_y) - 1  # not clamped: below the last block is no strip
        blocks, tops = self._blocks, self._tops
        hit = 0 <= index < len(blocks) and self._scroller.on_strip(blocks[index], x, tops[index + 1] - doc_y)
        return blocks[index] if hit else None

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        block = self.block_at(event.position().x(), event.position().y())
        if block is not None and self._scroller.wheel(block, event):  # sideways, over a wide block
            self._update_block(block)
        else:
            super().wheelEvent(event)  # the transcript scrolls

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position()
            block = self._strip_at(pos.x(), pos.y())
            if block is not None:  # on a scroll strip: grab the thumb or page; no selection
                self._scroller.press(block, pos.x())
                self._update_block(block)
                return
            hit = self._hit(pos.x(), pos.y())
            self._selection.set(hit, hit)
            self.viewport().update()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        if self._scroller.dragging() is not None:
            moved = self._scroller.drag_to(pos.x())
            if moved is not None:
                self._update_block(moved)
        elif self._selection.anchor is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._selection.head = self._hit(pos.x(), pos.y())
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        dragged = self._scroller.release()
        if dragged is not None:
            self._update_block(dragged)
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        menu = self.context_menu(event.pos().x(), event.pos().y())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())  # not exec(): no nested event loop

    def context_menu(self, x: float, y: float) -> QMenu:
        """The menu for a right-click at viewport (x, y): image actions over an image.
        :attr:`interaction_finished` is emitted when it (or a dialog it opened) closes."""
        return transcript_menu.context_menu(self, self.block_at(x, y), self.interaction_finished.emit)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        else:
            super().keyPressEvent(event)
