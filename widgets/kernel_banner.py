"""The bar above a console that says what is wrong with its kernel and offers what to do."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget



class KernelBanner(QFrame):
    """A coloured message with buttons (Restart, Keep Waiting, Close Tab, Dismiss...); hidden
    when clear. Its buttons never keep the keyboard focus: typing goes on where it was."""

    acted = Signal()
    """A button was clicked (its action has run)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = ""
        """"error", "warning", "info", or "" while hidden."""
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._buttons: list[QPushButton] = []
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self._layout.addWidget(self.label, 1)
        self.setObjectName("kernel_banner")
        self.hide()

    def show_message(self, text: str, level: str, actions: list[tuple[str, Callable[[], object]]]) -> None:
        for button in self._buttons:
            button.deleteLater()
        self._buttons = []
        # Coloured by the theme's stylesheet (``#kernel_banner[level=...]``).
        self.setProperty("level", level if level in ("error", "warning", "info") else "info")
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)
        self.label.setText(text)
        for label, callback in actions:
            button = QPushButton(label, self)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _checked=False, run=callback: (run(), self.acted.emit()))
            self._layout.addWidget(button)
            self._buttons.append(button)
        self.level = level
        self.show()

    def buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def clear(self) -> None:
        self.level = ""
        self.hide()
