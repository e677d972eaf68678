"""A tooltip-like panel over the console with a kernel's help for the name at the cursor."""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from conch.widgets.ansi_html import ansi_to_html
from conch.widgets.theme import Metrics, Theme

MAX_LINES = 14


class CallTip(QLabel):
    """Shows ANSI-coloured help (signature and docstring start); never takes the focus."""

    def __init__(self, theme: Theme, metrics: Metrics, parent: QWidget) -> None:
        super().__init__(parent)
        self._theme = theme
        self._metrics = metrics
        self.full_text = ""
        """The whole help text last shown (the tip itself may show only its start)."""
        self.setFont(metrics.font)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.Box)
        self.setMargin(4)
        self.setObjectName("calltip")  # styled by the theme's stylesheet
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.hide()

    def set_look(self, theme: Theme, metrics: Metrics) -> None:
        """Show help in ``theme``'s colours and ``metrics``' font from now on."""
        self._theme = theme
        self._metrics = metrics
        self.setFont(metrics.font)

    def show_help(self, text: str, anchor: QRect) -> None:
        """Show the start of ``text`` above ``anchor`` (parent coordinates), or below if no room."""
        self.full_text = text
        body, cut = ansi_to_html(text, self._theme, MAX_LINES)
        if cut:
            body += f'<p style="color:{self._theme.muted.name()}">… Shift+Tab again opens the whole text in the pager</p>'
        self.setText(body)
        parent = self.parentWidget()
        assert parent is not None
        self.setMaximumWidth(max(200, parent.width() - 8))
        self.adjustSize()
        width, height = self.width(), min(self.height(), max(40, parent.height() - 8))
        x = min(max(0, anchor.left()), max(0, parent.width() - width))
        y = anchor.top() - height - 2
        if y < 0:
            y = min(anchor.bottom() + 2, max(0, parent.height() - height))
        self.setGeometry(x, y, width, height)
        self.show()
        self.raise_()
