"""A ``text/latex`` output: its source until typeset, then the formula image."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from conch.app.model.style import Style
from conch.widgets.blocks.base import Block, TextPosition, paint_card, tint_selected
from conch.widgets.blocks.text_block import StaticLines, TextBlock
from conch.widgets.latex_renderer import LatexRenderer
from conch.widgets.theme import Metrics, Theme

_PAD = 4
SHOWN_SOURCE = 2_000
"""Characters of a formula's source shown while it is typeset, or instead of it."""
_SOURCE = Style(italic=True)
_REASON = Style(dim=True)


class LatexBlock(Block):
    """Asks the shared :class:`LatexRenderer` for its image; shows the source meanwhile,
    and the source with the reason (on a line of its own) when the formula cannot be typeset
    (a parse error, "too long to typeset (N characters)", "typesetting took too long"). A long
    source shows its first :data:`SHOWN_SOURCE` characters; copying takes all of it."""

    def __init__(
        self,
        latex: str,
        renderer: LatexRenderer,
        *,
        gutter: str = "",
        gutter_color: QColor | None = None,
    ) -> None:
        self.latex = latex
        self.gutter = gutter
        self.gutter_color = gutter_color
        self._renderer = renderer
        self._text: TextBlock | None = None
        self._shown: object = object()
        self._zoom = 1.0

    def _state(self) -> QImage | TextBlock:
        result = self._renderer.result(self.latex)
        if isinstance(result, QImage) and not result.isNull():
            return result
        if self._text is None or self._shown is not result:
            source = self.latex
            if len(source) > SHOWN_SOURCE:
                source = f"{source[:SHOWN_SOURCE]}… ({len(source) - SHOWN_SOURCE:,} more characters)"
            lines = [[(line, _SOURCE)] for line in source.split("\n")]
            if result is not None:
                lines.append([(f"(not typeset: {result})", _REASON)])
            self._text = TextBlock(StaticLines(lines))
            self._shown = result
        return self._text

    def shown_text(self) -> str:
        """What the block shows as text ("" once the formula is an image)."""
        state = self._state()
        if isinstance(state, QImage):
            return ""
        source = state.source
        return "\n".join(source.line_text(i) for i in range(source.line_count()))

    def layout(self, metrics: Metrics, width: int) -> int:
        state = self._state()
        self._zoom = metrics.zoom
        if isinstance(state, QImage):
            return int(state.height() / state.devicePixelRatio() * self._zoom) + 2 * _PAD
        return state.layout(metrics, width)

    def natural_width(self) -> float:
        state = self._state()
        if isinstance(state, QImage):  # a long formula is not scaled down: it scrolls
            return state.width() / state.devicePixelRatio() * self._zoom
        return 0.0

    def paint(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        top: int,
        clip: tuple[int, int],
        selection: tuple[TextPosition, TextPosition] | None,
        highlight: str = "",
    ) -> None:
        state = self._state()
        if isinstance(state, QImage):
            scale = metrics.zoom / state.devicePixelRatio()
            rect = QRectF(metrics.gutter_width, top + _PAD, state.width() * scale, state.height() * scale)
            painter.save()
            paint_card(painter, rect, theme)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(rect, state)
            painter.restore()
            if selection is not None:
                tint_selected(painter, rect, theme)
        else:
            state.paint(painter, metrics, theme, top, clip, selection, highlight)

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        return self.latex
