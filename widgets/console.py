"""The console widget: a transcript view above an input editor, bound to a kernel session."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from conch.app.kernel_session import KernelSession
from conch.app.model.outputs import Output
from conch.app.model.plain_text import transcript_text
from conch.widgets.block_factory import RENDERABLE
from conch.widgets.find_bar import FindBar
from conch.widgets.highlight import lexer_for
from conch.widgets.input_editor import InputEditor
from conch.widgets.transcript_view import TranscriptView


class ConsoleWidget(QWidget):
    """A rich console on one kernel session; embed it in any Qt application.

    ``execute(code)`` runs code exactly as if typed and submitted; :attr:`execution_finished`
    fires once per execution when its reply and idle have arrived and its output is in the view.
    """

    execution_finished = Signal(str)
    """An execution finished and its output is in the view; carries the request's msg_id."""

    def __init__(self, kernel: KernelSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kernel = kernel
        kernel.set_renderable(RENDERABLE)
        self.view = TranscriptView(kernel.transcript, parent=self)
        self.editor = InputEditor(self.view.metrics, parent=self)
        self.find_bar = FindBar(self.view, self)
        self.view.find_requested.connect(self.find_bar.open_bar)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.find_bar.open_bar)
        self.prompt = QLabel(self)
        self._shown_prompt = ("", "")
        self.prompt.setFont(self.view.metrics.font)
        self.prompt.setFixedWidth(self.view.metrics.gutter_width)
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.prompt.setContentsMargins(4, 5, 0, 0)

        input_area = QWidget(self)
        input_area.setObjectName("input_area")
        input_area.setStyleSheet("#input_area { border-top: 1px solid #d0d0d0; }")
        input_row = QHBoxLayout(input_area)
        input_row.setContentsMargins(0, 1, 0, 0)  # room for the border line
        input_row.setSpacing(0)
        input_row.addWidget(self.prompt)
        input_row.addWidget(self.editor, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.find_bar)
        layout.addWidget(input_area)
        self.setFocusProxy(self.editor)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), self.view.theme.background)
        self.setPalette(palette)
        self.editor.setStyleSheet(f"QPlainTextEdit {{ background: {self.view.theme.background.name()}; }}")

        self.editor.submitted.connect(self.execute)
        kernel.execution_finished.connect(self._on_finished)
        kernel.status_changed.connect(self._update_prompt)
        kernel.ready.connect(self._on_ready)
        if kernel.client.kernel_info is not None:
            self._on_ready(kernel.client.kernel_info)
        self._update_prompt()

    # -- embedding API -------------------------------------------------------------------------
    def execute(self, code: str) -> str:
        """Run ``code`` as if typed into the editor and submitted; returns the msg_id."""
        msg_id = self.kernel.execute(code)
        self.view.scroll_to_bottom()
        self._update_prompt()
        return msg_id

    def is_busy(self) -> bool:
        return self.kernel.is_busy()

    def transcript_text(self) -> str:
        return transcript_text(self.kernel.transcript)

    def outputs(self) -> list[Output]:
        return self.kernel.transcript.outputs()

    # -- internals -----------------------------------------------------------------------------
    def _on_ready(self, info: dict[str, object]) -> None:
        language_info = info.get("language_info")
        lexer = lexer_for(language_info if isinstance(language_info, dict) else None)
        self.view.set_lexer(lexer)
        self.editor.set_lexer(lexer)
        self._update_prompt()

    def _on_finished(self, msg_id: str) -> None:
        self.view.flush()
        self._update_prompt()
        self.execution_finished.emit(msg_id)

    def _update_prompt(self, *_: object) -> None:
        status = self.kernel.status
        if status == "starting":
            text, colour = "starting…", "#888888"
        elif status == "dead":
            text, colour = "dead", self.view.theme.notice["error"].name()
        elif self.kernel.is_busy():
            text, colour = "In [*]:", self.view.theme.in_prompt.name()
        else:
            text, colour = f"In [{self.kernel.execution_count + 1}]:", self.view.theme.in_prompt.name()
        if (text, colour) != self._shown_prompt:
            self._shown_prompt = (text, colour)
            self.prompt.setText(text)
            palette = self.prompt.palette()
            palette.setColor(self.prompt.foregroundRole(), QColor(colour))
            self.prompt.setPalette(palette)
