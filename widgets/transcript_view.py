"""The virtualized transcript view: observes a Transcript, paints only what is visible."""
from __future__ import annotations

from bisect import bisect_right

from PySide6.QtCore import QElapsedTimer, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QFileDialog, QMenu, QMessageBox, QWidget
from pygments.lexer import Lexer
from pygments.lexers import TextLexer

from conch.app.model.transcript import Entry, Transcript
from conch.widgets import image_export
from conch.widgets.block_factory import BlockFactory
from conch.widgets.blocks import Block, TextPosition
from conch.widgets.latex_renderer import LatexRenderer
from conch.widgets.theme import Metrics, Theme

_FRAME_MS = 16
_RIGHT_MARGIN = 8

Anchor = tuple[Block, TextPosition]


class TranscriptView(QAbstractScrollArea):
    """Shows a :class:`Transcript`. Model changes are coalesced into at most one layout pass
    and repaint per frame; layout work is limited to the entries that changed."""

    updated = Signal()
    """Pending model changes have been laid out (the view now shows them)."""
    find_requested = Signal()
    """The user asked to find text (context menu)."""

    def __init__(
        self,
        transcript: Transcript,
        *,
        theme: Theme | None = None,
        lexer: Lexer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.transcript = transcript
        self.theme = theme or Theme()
        self.metrics = Metrics()
        self._factory = BlockFactory(self.theme, lexer or TextLexer(stripnl=False, ensurenl=False))
        self._entry_blocks: list[list[Block]] = []
        self._entry_heights: list[list[int]] = []
        self._entry_index: dict[int, int] = {}
        self._blocks: list[Block] = []
        self._tops: list[int] = [0]  # tops[i] = y where block i starts; tops[-1] = total height
        self._block_index: dict[int, int] = {}
        self._entry_start: list[int] = [0]  # index in _blocks of each entry's first block
        self._dirty: set[int] = set()
        self._width = 0
        self.highlight = ""
        """Text (lower case) marked wherever it is visible: the find bar's needle."""
        self._anchor: Anchor | None = None
        self._head: Anchor | None = None
        self._footer: QWidget | None = None
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.timeout.connect(self.flush)
        self._since_flush = QElapsedTimer()
        self._since_flush.start()

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
        """Highlight input cells with ``lexer`` (from the kernel's language_info)."""
        self._factory.lexer = lexer
        self._factory.forget_all()
        self._dirty.update(range(len(self._entry_blocks)))
        self._schedule()

    def flush(self) -> None:
        """Apply pending model changes now (normally done once per frame)."""
        self._frame.stop()
        self._since_flush.restart()
        if not self._dirty:
            return
        at_bottom = self._at_bottom()
        first = min(self._dirty)
        width = self._content_width()
        entries = self.transcript.entries
        for i in sorted(self._dirty):
            blocks = self._factory.blocks_for(entries[i])
            for block in blocks:
                block.sync()
            self._entry_blocks[i] = blocks
            self._entry_heights[i] = [b.margin_top + b.layout(self.metrics, width) for b in blocks]
        self._dirty.clear()
        self._rebuild_from(first)
        changed_y = self._tops[min(self._entry_start[first], len(self._blocks))]
        self._update_scrollbar(at_bottom)  # scrolling blits (see scrollContentsBy)
        self._place_footer()
        # Repaint only from the first changed entry down; what is above it did not move.
        top = max(0, changed_y - self.verticalScrollBar().value())
        viewport = self.viewport()
        if top < viewport.height():
            viewport.update(0, top, viewport.width(), viewport.height() - top)
        self.updated.emit()

    def selected_text(self) -> str:
        ordered = self._ordered_selection()
        if ordered is None:
            return ""
        (b0, p0), (b1, p1) = ordered
        parts = []
        for index in range(self._block_index[id(b0)], self._block_index[id(b1)] + 1):
            block = self._blocks[index]
            start = p0 if block is b0 else block.start()
            end = p1 if block is b1 else block.end()
            parts.append(block.text_between(start, end))
        return "\n".join(parts)

    def select_all(self) -> None:
        if self._blocks:
            self._anchor = (self._blocks[0], self._blocks[0].start())
            self._head = (self._blocks[-1], self._blocks[-1].end())
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
        index = self._block_index.get(id(block))
        if index is None:
            return None
        return self._tops[index] + block.margin_top - self.verticalScrollBar().value()

    def block_at(self, x: float, y: float) -> Block | None:
        """The block under a viewport position."""
        hit = self._hit(x, y)
        return hit[0] if hit is not None else None

    def reveal(self, block: Block, position: TextPosition, length: int) -> None:
        """Select ``length`` characters at ``position`` in ``block`` and scroll them into view."""
        index = self._block_index.get(id(block))
        if index is None:
            return
        self._anchor = (block, position)
        self._head = (block, TextPosition(position.line, position.column + length))
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

    # -- model events --------------------------------------------------------------------------
    def _on_added(self, entry: Entry) -> None:
        self._entry_index[id(entry)] = len(self._entry_blocks)
        self._entry_blocks.append([])
        self._entry_heights.append([])
        self._dirty.add(len(self._entry_blocks) - 1)
        self._schedule()

    def _on_changed(self, entry: Entry) -> None:
        index = self._entry_index.get(id(entry))
        if index is not None:
            self._dirty.add(index)
            self._schedule()

    def _on_cleared(self) -> None:
        self._entry_blocks.clear()
        self._entry_heights.clear()
        self._entry_index.clear()
        self._entry_start = [0]
        self._factory.forget_all()
        self._dirty.clear()
        self._anchor = self._head = None
        self._rebuild_from(0)
        self._update_scrollbar(True)
        self._place_footer()
        self.viewport().update()

    def _on_formula_rendered(self, _latex: str) -> None:
        at_bottom = self._at_bottom()
        self._relayout_all()
        self._update_scrollbar(at_bottom)
        self._place_footer()
        self.viewport().update()

    def _schedule(self) -> None:
        if not self._frame.isActive():
            self._frame.start(max(0, _FRAME_MS - int(self._since_flush.elapsed())))

    # -- layout --------------------------------------------------------------------------------
    def _content_width(self) -> int:
        return max(80, self.viewport().width() - self.metrics.gutter_width - _RIGHT_MARGIN)

    def _rebuild_from(self, first_entry: int) -> None:
        """Re-flatten blocks and their tops from ``first_entry`` on; earlier ones are untouched."""
        del self._entry_start[first_entry + 1:]
        start = self._entry_start[first_entry] if first_entry < len(self._entry_start) else len(self._blocks)
        for block in self._blocks[start:]:
            self._block_index.pop(id(block), None)
        del self._blocks[start:]
        del self._tops[start + 1:]
        top = self._tops[start]
        for i in range(first_entry, len(self._entry_blocks)):
            if i >= len(self._entry_start):
                self._entry_start.append(len(self._blocks))
            for block, height in zip(self._entry_blocks[i], self._entry_heights[i]):
                self._block_index[id(block)] = len(self._blocks)
                self._blocks.append(block)
                top += height
                self._tops.append(top)

    def _relayout_all(self) -> None:
        width = self._content_width()
        self._entry_heights = [
            [b.margin_top + b.layout(self.metrics, width) for b in blocks] for blocks in self._entry_blocks
        ]
        self._rebuild_from(0)

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
        at_bottom = self._at_bottom()
        if self._content_width() != self._width:
            self._width = self._content_width()
            self._relayout_all()
        self._update_scrollbar(at_bottom)
        self._place_footer()

    # -- painting ------------------------------------------------------------------------------
    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt override
        self.viewport().scroll(dx, dy)  # move the pixels (and the footer); only the uncovered strip repaints

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self.viewport())
        exposed = event.rect()
        painter.setClipRect(exposed)
        painter.fillRect(exposed, self.theme.background)
        scroll = self.verticalScrollBar().value()
        y0, y1 = scroll + exposed.top(), scroll + exposed.bottom() + 1  # document coordinates
        ordered = self._ordered_selection()
        first = max(0, bisect_right(self._tops, y0) - 1)
        for index in range(first, len(self._blocks)):
            top = self._tops[index]
            if top >= y1:
                break
            block = self._blocks[index]
            content_top = top + block.margin_top
            height = self._tops[index + 1] - content_top
            clip = (max(0, y0 - content_top), min(height, y1 - content_top))
            if clip[1] <= clip[0] and height > 0:
                continue
            if block.gutter and clip[0] < self.metrics.line_height and clip[1] > 0:
                painter.setPen(block.gutter_color or self.theme.foreground)
                painter.setFont(self.metrics.font)
                painter.drawText(
                    QRectF(4, content_top - scroll, self.metrics.gutter_width - 8, self.metrics.line_height),
                    int(Qt.AlignmentFlag.AlignLeft),
                    block.gutter,
                )
            block.paint(
                painter, self.metrics, self.theme, content_top - scroll, clip,
                self._selection_in(index, block, ordered),
                self.highlight,
            )
        painter.end()

    # -- selection -----------------------------------------------------------------------------
    def _hit(self, x: float, y: float) -> Anchor | None:
        if not self._blocks:
            return None
        doc_y = y + self.verticalScrollBar().value()
        index = min(len(self._blocks) - 1, max(0, bisect_right(self._tops, doc_y) - 1))
        block = self._blocks[index]
        return block, block.hit(self.metrics, x, doc_y - self._tops[index] - block.margin_top)

    def _ordered_selection(self) -> tuple[Anchor, Anchor] | None:
        if self._anchor is None or self._head is None:
            return None
        a_index = self._block_index.get(id(self._anchor[0]))
        h_index = self._block_index.get(id(self._head[0]))
        if a_index is None or h_index is None:
            return None
        if (a_index, self._anchor[1]) <= (h_index, self._head[1]):
            return self._anchor, self._head
        return self._head, self._anchor

    def _selection_in(
        self, index: int, block: Block, ordered: tuple[Anchor, Anchor] | None
    ) -> tuple[TextPosition, TextPosition] | None:
        if ordered is None:
            return None
        (b0, p0), (b1, p1) = ordered
        i0, i1 = self._block_index[id(b0)], self._block_index[id(b1)]
        if not i0 <= index <= i1 or (b0 is b1 and p0 == p1):
            return None
        return (p0 if index == i0 else block.start(), p1 if index == i1 else block.end())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position()
            self._anchor = self._head = self._hit(pos.x(), pos.y())
            self.viewport().update()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._anchor is not None and event.buttons() & Qt.MouseButton.LeftButton:
            pos = event.position()
            self._head = self._hit(pos.x(), pos.y())
            self.viewport().update()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        menu = self.context_menu(event.pos().x(), event.pos().y())
        menu.exec(event.globalPos())

    def context_menu(self, x: float, y: float) -> QMenu:
        """The menu for a right-click at viewport (x, y): image actions over an image."""
        menu = QMenu(self)
        block = self.block_at(x, y)
        if block is not None and image_export.is_image(block):
            menu.addAction("Copy Image", lambda: image_export.copy_image(block))
            menu.addAction("Save Image As…", lambda: self._save_image_dialog(block))
            menu.addSeparator()
        copy = menu.addAction("Copy", self.copy)
        copy.setEnabled(bool(self.selected_text()))
        menu.addAction("Select All", self.select_all)
        menu.addAction("Find…", self.find_requested.emit)
        return menu

    def _save_image_dialog(self, block: Block) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Image", "output" + image_export.default_suffix(block), image_export.file_filter(block)
        )
        if path and not image_export.save_image(block, path):
            QMessageBox.warning(self, "Save Image", f"Could not write {path}.")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        else:
            super().keyPressEvent(event)
