"""An inline image (PNG/JPEG) from a MIME bundle, scaled down to fit the view."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from conch.widgets.blocks.base import Block, TextPosition
from conch.widgets.theme import Metrics, Theme


class ImageBlock(Block):
    """Decodes its image once, on first layout; paints it at its size, or narrower to fit."""

    def __init__(
        self,
        data: bytes,
        *,
        fallback_text: str = "",
        gutter: str = "",
        gutter_color: QColor | None = None,
        margin_top: int = 0,
    ) -> None:
        self._data = data
        self.fallback_text = fallback_text
        self.gutter = gutter
        self.gutter_color = gutter_color
        self.margin_top = margin_top
        self._image: QImage | None = None
        self._size = (0.0, 0.0)
        self._pad = 4

    @property
    def image(self) -> QImage:
        if self._image is None:
            image = QImage.fromData(self._data)
            self._image = image
            self._data = b""  # the decoded image is what we keep
        return self._image

    def layout(self, metrics: Metrics, width: int) -> int:
        image = self.image
        if image.isNull():
            self._size = (0.0, 0.0)
            return metrics.line_height
        w = image.width() / image.devicePixelRatio()
        h = image.height() / image.devicePixelRatio()
        if w > width > 0:
            h, w = h * width / w, float(width)
        self._size = (w, h)
        return int(h) + 2 * self._pad

    def paint(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        top: int,
        clip: tuple[int, int],
        selection: tuple[TextPosition, TextPosition] | None,
    ) -> None:
        x = float(metrics.gutter_width)
        if self.image.isNull():
            painter.setPen(theme.notice["error"])
            painter.setFont(metrics.font)
            painter.drawText(QRectF(x, top, 2000, metrics.line_height), 0, "[image could not be decoded]")
            return
        w, h = self._size
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(QRectF(x, top + self._pad, w, h), self.image)
        if selection is not None:
            painter.fillRect(QRectF(x, top + self._pad, w, h), _translucent(theme.selection))

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        return self.fallback_text


def _translucent(color: QColor) -> QColor:
    result = QColor(color)
    result.setAlpha(90)
    return result


