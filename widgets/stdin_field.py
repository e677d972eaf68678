"""The inline field where the user answers a kernel's ``input()`` / ``getpass()``."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from conch.widgets.theme import Metrics


class StdinField(QWidget):
    """The kernel's prompt and a line edit (masked for passwords), shown in the transcript.

    Enter answers; Ctrl+C asks to interrupt the kernel instead.
    """

    answered = Signal(str)
    """The user pressed Enter; carries what they typed."""
    interrupt_requested = Signal()
    """Ctrl+C while the kernel waits for input."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt = QLabel(self)
        self.prompt.setFont(metrics.font)
        self.field = QLineEdit(self)
        self.field.setFont(metrics.font)
        self.field.setStyleSheet("QLineEdit { border: none; border-bottom: 1px solid #2452c2; background: #f4f8ff; }")
        self.field.returnPressed.connect(self._answer)
        self.field.installEventFilter(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.prompt)
        layout.addWidget(self.field, 1)
        self.setFixedHeight(int(metrics.line_height + 8))
        self.setFocusProxy(self.field)

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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.field and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.matches(QKeySequence.StandardKey.Copy) and not self.field.hasSelectedText():
                self.interrupt_requested.emit()
                return True
        return False
