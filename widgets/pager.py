"""The pager: long help (``obj?``, ``obj??``) in a panel below the transcript."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextEdit, QToolButton, QVBoxLayout, QWidget

from conch.app.model.payloads import Page
from conch.widgets.ansi_html import ansi_to_html
from conch.widgets.blocks.rich_text_block import SafeDocument
from conch.widgets.theme import Metrics, Theme


class Pager(QWidget):
    """Shows a page payload (ANSI text, or HTML when that is all there is); ✕ closes it (and
    Esc, through the console's keys)."""

    closed = Signal()
    """The user closed the pager."""

    def __init__(self, theme: Theme, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theme = theme
        self.title = QLabel("Help", self)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Close the pager (Esc)")
        close.clicked.connect(self.close_pager)
        self.text = QTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setDocument(SafeDocument(self.text))
        self.text.document().setDefaultFont(metrics.font)
        self.text.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 2, 2)
        header.addWidget(self.title, 1)
        header.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.text, 1)
        self.setObjectName("pager")
        self.setStyleSheet("#pager { border-top: 1px solid #d0d0d0; }")
        self.hide()

    def show_page(self, page: Page) -> None:
        """Show ``page`` from its ``start`` line, and open the panel."""
        if page.text or "text/html" not in page.data:
            body, _ = ansi_to_html(page.text, self._theme)
            self.text.setHtml(body)
        else:
            html = page.data["text/html"]
            self.text.setHtml("".join(html) if isinstance(html, list) else str(html))
        self.show()
        block = self.text.document().findBlockByLineNumber(max(0, page.start))
        self.text.verticalScrollBar().setValue(int(self.text.document().documentLayout().blockBoundingRect(block).top()))

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def close_pager(self) -> None:
        if self.isVisible():
            self.hide()
            self.closed.emit()
