"""An SVG output, rendered as vectors at paint time so it is sharp at any zoom or DPI."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QPainter
from PySide6.QtSvg import QSvgRenderer

from conch.widgets.blocks.base import Block, TextPosition, tint_selected
from conch.widgets.theme import Metrics, Theme

_PAD = 4


class SvgBlock(Block):
    """Draws its SVG with QSvgRenderer each paint (no rasterized cache to go blurry)."""

    def __init__(
        self,
        svg: str,
        *,
        width: float | None = None,
        height: float | None = None,
        fallback_text: str = "",
        gutter: str = "",
        gutter_color: QColor | None = None,
    ) -> None:
        self.svg = svg
        self.renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
        self.fallback_text = fallback_text
        self.gutter = gutter
        self.gutter_color = gutter_color
        self._requested = (width, height)
        self._size = (0.0, 0.0)

    def natural_size(self) -> tuple[float, float]:
        """Size in device-independent pixels: metadata width/height, else the SVG's own."""
        default = self.renderer.defaultSize()
        w, h = float(default.width()), float(default.height())
        want_w, want_h = self._requested
        if want_w and want_h:
            return float(want_w), float(want_h)
        if want_w and w > 0:
            return float(want_w), h * float(want_w) / w
        if want_h and h > 0:
            return w * float(want_h) / h, float(want_h)
        return w, h

    def layout(self, metrics: Metrics, width: int) -> int:
        if not self.renderer.isValid():
            self._size = (0.0, 0.0)
            return metrics.line_height
        w, h = self.natural_size()
        if w > width > 0:
            w, h = float(width), h * width / w
        self._size = (w, h)
        return int(h + 0.999) + 2 * _PAD

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
        x = float(metrics.gutter_width)
        if not self.renderer.isValid():
            painter.setPen(theme.notice["error"])
            painter.setFont(metrics.font)
            painter.drawText(QRectF(x, top, 2000, metrics.line_height), 0, "[SVG could not be parsed]")
            return
        w, h = self._size
        self.renderer.render(painter, QRectF(x, top + _PAD, w, h))
        if selection is not None:
            tint_selected(painter, QRectF(x, top + _PAD, w, h), theme)

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        return self.fallback_text
