"""What the transcript shows in place of a block that failed: the output's text and why.

Isolation: an exception while one block is built, synced, laid out or painted is caught by
the view (:class:`~conch.widgets.transcript_view.TranscriptView`, ``paint_stack``) and that
block is replaced by a :class:`FailedBlock`; the other blocks and later output carry on.
A block over a render budget says so on purpose with :class:`RenderRefused`.
"""
from __future__ import annotations

import logging

from PySide6.QtGui import QColor, QPainter

from conch.app.model.style import Style
from conch.widgets.blocks.base import Block, RenderRefused, TextPosition
from conch.widgets.blocks.text_block import StaticLines, TextBlock
from conch.widgets.theme import Metrics, Theme

log = logging.getLogger(__name__)

_MAX_REASON = 160
_MAX_TEXT = 200_000
"""Characters of the fallback text kept (a huge text/plain is cut, not laid out whole)."""
_MAX_LOGGED = 1000
_logged: set[tuple[str, str]] = set()


def failure_reason(error: BaseException) -> str:
    """One short line: a :class:`RenderRefused` message as it is, anything else as
    ``Type: message``."""
    if isinstance(error, RenderRefused):
        text = str(error) or "refused"
    else:
        message = str(error)
        text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"


def report_failure(what: str, step: str, error: BaseException) -> str:
    """Log a failure of ``what`` (a block type) in ``step``, once per distinct (what, step,
    reason); the reason."""
    reason = failure_reason(error)
    key = (f"{what}.{step}", reason)
    if key not in _logged and len(_logged) < _MAX_LOGGED:
        _logged.add(key)
        log.warning("%s failed; shown as text instead: %s", key[0], reason, exc_info=error)
    return reason


class FailedBlock(TextBlock):
    """The fallback text (an output's text/plain, a cell's code; may be empty) and a line
    "could not render: <reason>" in the error colour. Plain static text: it cannot fail the
    way the block it replaces did."""

    def __init__(self, text: str, reason: str, color: QColor, *, gutter: str = "",
                 gutter_color: QColor | None = None, margin_top: int = 0) -> None:
        if len(text) > _MAX_TEXT:
            text = text[:_MAX_TEXT] + "…"
        text = text[:-1] if text.endswith("\n") else text
        note = Style(fg=(color.red(), color.green(), color.blue()), italic=True)
        lines = [[(line, Style())] for line in text.split("\n")] if text else []
        lines.append([(f"could not render: {reason}", note)])
        super().__init__(StaticLines(lines), gutter=gutter, gutter_color=gutter_color, margin_top=margin_top)
        self.reason = reason
        self.fallback_text = text


class BlankBlock(Block):
    """The last resort, should even a :class:`FailedBlock` fail: nothing, one line high."""

    def layout(self, metrics: Metrics, width: int) -> int:
        return metrics.line_height

    def paint(self, painter: QPainter, metrics: Metrics, theme: Theme, top: int, clip: tuple[int, int],
              selection: tuple[TextPosition, TextPosition] | None, highlight: str = "") -> None:
        pass
