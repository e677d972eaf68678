"""The list of completions shown over the console, next to the word being completed."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from conch.app.model.completion import Completion
from conch.widgets.theme import Theme

_TYPE_ROLE = Qt.ItemDataRole.UserRole + 1
_MAX_ROWS = 10
# A one-letter badge per kernel-reported type, in one of the theme's terminal colours
# (blue, yellow, green, cyan, magenta, grey, red) to tell kinds apart at a glance.
_BADGES = {
    "module": ("m", 4),
    "class": ("c", 3),
    "function": ("f", 2),
    "instance": ("i", 6),
    "keyword": ("k", 5),
    "statement": ("s", 8),
    "param": ("p", 1),
    "path": ("/", 8),
    "magic": ("%", 5),
    "property": ("a", 6),
}
_OTHER_BADGE = 7


class CompletionPopup(QListWidget):
    """Matches with their types; the editor keeps the keyboard focus and drives the selection."""

    activated_completion = Signal(object)
    """A completion was double-clicked (carries the :class:`Completion`)."""

    def __init__(self, parent: QWidget, theme: Theme | None = None) -> None:
        super().__init__(parent)
        self.theme = theme or Theme()
        """The colours the rows are painted in (the console sets it)."""
        self._items: tuple[Completion, ...] = ()
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.Box)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setItemDelegate(_CompletionDelegate(self))
        self.setObjectName("completion_popup")  # styled by the theme's stylesheet
        self.itemDoubleClicked.connect(lambda item: self.activated_completion.emit(self._items[self.row(item)]))
        self.hide()

    def set_items(self, items: Sequence[Completion]) -> None:
        """Show ``items``, keeping the selected one if it is still there."""
        keep = self.current()
        self._items = tuple(items)
        self.clear()
        for item in self._items:
            entry = QListWidgetItem(item.text)
            entry.setData(_TYPE_ROLE, item.type)
            if item.signature:
                entry.setToolTip(item.signature)
            self.addItem(entry)
        row = self._items.index(keep) if keep in self._items else 0
        if self._items:
            self.setCurrentRow(row)

    def show_at(self, anchor: QRect) -> None:
        """Open next to ``anchor`` (the completed word's rect in the parent's coordinates):
        below it if there is room, else above."""
        parent = self.parentWidget()
        assert parent is not None
        metrics = QFontMetrics(self.font())
        row_height = self.sizeHintForRow(0) if self.count() else metrics.height()
        rows = min(_MAX_ROWS, max(1, self.count()))
        widest = max((metrics.horizontalAdvance(i.text) + metrics.horizontalAdvance(i.type) for i in self._items), default=80)
        width = min(parent.width() - 4, max(160, widest + 3 * row_height + 40))
        height = rows * row_height + 2 * self.frameWidth()
        x = min(max(0, anchor.left() - row_height - 4), max(0, parent.width() - width))
        below = anchor.bottom() + 2
        y = below if below + height <= parent.height() else max(0, anchor.top() - height - 2)
        self.setGeometry(x, y, width, height)
        self.show()
        self.raise_()

    def current(self) -> Completion | None:
        row = self.currentRow()
        return self._items[row] if 0 <= row < len(self._items) else None

    def items(self) -> tuple[Completion, ...]:
        return self._items

    def move_selection(self, delta: int) -> None:
        if self._items:
            self.setCurrentRow(max(0, min(len(self._items) - 1, self.currentRow() + delta)))


class _CompletionDelegate(QStyledItemDelegate):
    """Paints a type badge, the match, and its type in grey on the right."""

    def __init__(self, popup: CompletionPopup) -> None:
        super().__init__(popup)
        self._popup = popup

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        rect: QRect = option.rect  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        theme = self._popup.theme
        painter.fillRect(rect, theme.popup_selection if selected else theme.popup_background)
        kind = str(index.data(_TYPE_ROLE) or "")
        letter, colour = _BADGES.get(kind, (kind[:1] or "·", _OTHER_BADGE))
        side = rect.height() - 4
        badge = QRect(rect.left() + 3, rect.top() + 2, side, side)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.ansi_16(colour))
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(theme.popup_background)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, letter)
        text_rect = rect.adjusted(side + 10, 0, -6, 0)
        painter.setPen(theme.muted)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, kind)
        painter.setPen(theme.foreground)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, str(index.data()))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), QFontMetrics(option.font).height() + 4))  # type: ignore[attr-defined]
