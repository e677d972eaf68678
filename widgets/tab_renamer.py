"""Renaming a tab in place: a line edit over its title."""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QLineEdit, QTabBar

from conch.widgets.key_dispatch import KeyDispatcher
from conch.widgets.keymap import KeyMap


class TabRenamer(QLineEdit):
    """Edits the title of tab ``index``; ``done`` gets the text (Enter, or focus moving away)
    or None (Esc). The editor removes itself afterwards."""

    def __init__(
        self, bar: QTabBar, index: int, text: str, done: Callable[[str | None], None], keymap: KeyMap | None = None
    ) -> None:
        super().__init__(text, bar)
        self._done: Callable[[str | None], None] | None = done
        self.setGeometry(bar.tabRect(index).adjusted(2, 2, -2, -2))
        self.selectAll()
        KeyDispatcher.instance().scope(self, keymap).bind("dismiss", self._cancel)
        self.editingFinished.connect(lambda: self._finish(self.text()))
        self.show()
        self.setFocus()

    def _finish(self, text: str | None) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(text)
            self.hide()
            self.deleteLater()

    def _cancel(self) -> bool:
        self._finish(None)
        return True
