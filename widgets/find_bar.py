"""The find bar under the transcript (Ctrl+F): type to search, Enter for the next match."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from conch.widgets.key_dispatch import KeyDispatcher
from conch.widgets.keymap import KeyMap
from conch.widgets.transcript_search import TranscriptSearch
from conch.widgets.transcript_view import TranscriptView


class FindBar(QWidget):
    """Searches a :class:`TranscriptView`: every match highlighted, Enter / Shift+Enter walk
    through them, Esc closes."""

    closed = Signal()
    """The bar was closed; whoever opened it takes the focus back."""

    def __init__(self, view: TranscriptView, parent: QWidget | None = None, keymap: KeyMap | None = None) -> None:
        super().__init__(parent)
        KeyDispatcher.instance().scope(self, keymap).bind("dismiss", self._dismiss)
        self.view = view
        self.search = TranscriptSearch(self)
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Find in transcript")
        self.field.setClearButtonEnabled(True)
        self.count = QLabel(self)
        previous = QToolButton(self)
        previous.setText("↑")
        previous.setAccessibleName("Previous match")
        previous.setToolTip("Previous match (Shift+Enter)")
        following = QToolButton(self)
        following.setText("↓")
        following.setAccessibleName("Next match")
        following.setToolTip("Next match (Enter)")
        close = QToolButton(self)
        close.setText("✕")
        close.setAccessibleName("Close the find bar")
        close.setToolTip("Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.count)
        layout.addWidget(previous)
        layout.addWidget(following)
        layout.addWidget(close)

        self.field.textChanged.connect(self._restart)
        previous.clicked.connect(lambda: self.step(False))
        following.clicked.connect(lambda: self.step(True))
        close.clicked.connect(self.close_bar)
        self.search.progress.connect(self._on_progress)
        self.hide()

    def open_bar(self) -> None:
        self.show()
        self.field.setFocus()
        self.field.selectAll()
        if self.field.text():
            self._restart(self.field.text())

    def close_bar(self) -> None:
        self.search.stop()
        self.view.set_highlight("")
        self.hide()
        self.closed.emit()

    def _dismiss(self) -> bool:
        if not self.isVisible():
            return False
        self.close_bar()
        return True

    def step(self, forward: bool) -> None:
        match = self.search.step(forward)
        if match is not None:
            self.view.reveal(match[0], match[1], len(self.search.needle))
        self._show_count()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.step(not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        else:
            super().keyPressEvent(event)

    def _restart(self, text: str) -> None:
        self.view.flush()
        self.view.set_highlight(text)
        self.search.start(text, self.view.blocks())

    def _on_progress(self, found: int, finished: bool) -> None:
        if self.search.current < 0 and found:
            self.step(True)  # jump to the first match as soon as there is one
        self._show_count()

    def _show_count(self) -> None:
        total = len(self.search.matches)
        more = "" if self.search.finished else "+"
        if not self.search.needle:
            self.count.setText("")
        elif total == 0:
            self.count.setText("no matches" if self.search.finished else "searching…")
        else:
            self.count.setText(f"{self.search.current + 1} of {total}{more}")
