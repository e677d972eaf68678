"""The inline field where the user answers a kernel's ``input()`` / ``getpass()``."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from conch.widgets.key_dispatch import KeyDispatcher
from conch.widgets.keymap import KeyMap
from conch.widgets.theme import Metrics


class StdinField(QWidget):
    """The kernel's prompt and a line edit (masked for passwords), shown in the transcript.

    Enter answers; Ctrl+C asks to interrupt the kernel instead.
    """

    answered = Signal(str)
    """The user pressed Enter; carries what they typed."""
    interrupt_requested = Signal()
    """Ctrl+C while the kernel waits for input."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None, keymap: KeyMap | None = None) -> None:
        super().__init__(parent)
        KeyDispatcher.instance().scope(self, keymap).bind("copy_or_interrupt", self._copy_or_interrupt)
        self.prompt = QLabel(self)
        self.field = QLineEdit(self)
        self.field.setObjectName("stdin_field")  # styled by the theme's stylesheet
        self.field.returnPressed.connect(self._answer)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.prompt)
        layout.addWidget(self.field, 1)
        self.set_metrics(metrics)
        self.setFocusProxy(self.field)

    def set_metrics(self, metrics: Metrics) -> None:
        """Ask in ``metrics``' font (a zoom or another font)."""
        self.prompt.setFont(metrics.font)
        self.field.setFont(metrics.font)
        self.setFixedHeight(int(metrics.line_height + 8))

    def ask(self, prompt: str, password: bool) -> None:
        self.prompt.setText(prompt)
        self.prompt.setVisible(bool(prompt))
        self.field.clear()
        self.field.setEchoMode(QLineEdit.EchoMode.Password if password else QLineEdit.EchoMode.Normal)
        self.field.setPlaceholderText("password (hidden)" if password else "")

    def _answer(self) -> None:
        value = self.field.text()
        self.field.clear()
        self.answered.emit(value)

    def _copy_or_interrupt(self) -> bool:
        if self.field.hasSelectedText():
            return False  # the field copies it
        self.interrupt_requested.emit()
        return True
