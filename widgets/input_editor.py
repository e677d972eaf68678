"""The code editor at the bottom of a console."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QWidget
from pygments.lexer import Lexer
from pygments.lexers import TextLexer

from conch.app.model.style import Style
from conch.widgets.highlight import highlight_lines
from conch.widgets.theme import Metrics


class InputEditor(QPlainTextEdit):
    """A plain-text code editor that grows with its content.

    Enter or Shift+Enter submits the code; Ctrl+Enter inserts a new line.
    """

    submitted = Signal(str)
    """The user asked to run this code."""

    def __init__(self, metrics: Metrics, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._metrics = metrics
        self.setFont(metrics.font)
        self.setTabStopDistance(4 * metrics.char_width)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.highlighter = _PygmentsHighlighter(self.document())
        self.document().contentsChanged.connect(self.updateGeometry)

    def set_lexer(self, lexer: Lexer) -> None:
        self.highlighter.set_lexer(lexer)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.insertPlainText("\n")
                return
            self.submit()
            return
        super().keyPressEvent(event)

    def submit(self) -> None:
        """Emit :attr:`submitted` with the code (even if empty, like pressing Enter in a REPL)."""
        code = self.toPlainText()
        self.clear()
        self.submitted.emit(code)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        lines = min(max(1, self.document().blockCount()), 15)
        return QSize(super().sizeHint().width(), self._height_for(lines))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(100, self._height_for(1))

    def _height_for(self, lines: int) -> int:
        chrome = 2 * (self.document().documentMargin() + self.frameWidth()) + 4
        return int(lines * self._metrics.line_height + chrome)


class _PygmentsHighlighter(QSyntaxHighlighter):
    """Highlights one line at a time with the kernel language's Pygments lexer."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        # Plain until the kernel says its language (compiling a lexer costs ~50 ms).
        self._lexer: Lexer = TextLexer(stripnl=False, ensurenl=False)
        self._formats: dict[Style, QTextCharFormat] = {}

    def set_lexer(self, lexer: Lexer) -> None:
        self._lexer = lexer
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        column = 0
        for spans in highlight_lines(text, self._lexer)[:1]:
            for piece, style in spans:
                if style.fg is not None or style.bold or style.italic:
                    self.setFormat(column, len(piece), self._format(style))
                column += len(piece)

    def _format(self, style: Style) -> QTextCharFormat:
        fmt = self._formats.get(style)
        if fmt is None:
            fmt = QTextCharFormat()
            if isinstance(style.fg, tuple):
                fmt.setForeground(QColor(*style.fg))
            if style.bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            if style.italic:
                fmt.setFontItalic(True)
            self._formats[style] = fmt
        return fmt
