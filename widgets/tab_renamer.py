"""Renaming a tab in place: a line edit over its title."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTabBar


class TabRenamer(QLineEdit):
    """Edits the title of tab ``index``; ``done`` gets the text (Enter, or focus moving away)
    or None (Esc). The editor removes itself afterwards."""

    def __init__(self, bar: QTabBar, index: int, text: str, done: Callable[[str | None], None]) -> None:
        super().__init__(text, bar)
        self._done: Callable[[str | None], None] | None = done
        self.setGeometry(bar.tabRect(index).adjusted(2, 2, -2, -2))
        self.selectAll()
        self.installEventFilter(self)
        self.editingFinished.connect(lambda: self._finish(self.text()))
        self.show()
        self.setFocus()

    def _finish(self, text: str | None) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(text)
            self.hide()
            self.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            self._finish(None)
            return True
        return False
