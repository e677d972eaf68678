"""An inline image (PNG/JPEG) from a MIME bundle, scaled down to fit the view."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from conch.widgets.blocks.base import Block, TextPosition, tint_selected
from conch.widgets.theme import Metrics, Theme


class ImageBlock(Block):
    """Decodes its image once, on first layout; paints it at its display size, or narrower to fit.

    The display size is the bundle's metadata ``width``/``height`` when given (a "retina"
    figure has twice as many pixels as its display size, and stays sharp on HiDPI screens),
    else the image's pixel size.
    """

    def __init__(
        self,
        data: bytes,
        *,
        width: float | None = None,
        height: float | None = None,
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
        self._requested = (width, height)
        self._size = (0.0, 0.0)
        self._pad = 4

    @property
    def image(self) -> QImage:
        if self._image is None:
            image = QImage.fromData(self._data)
            self._image = image
            self._data = b""  # the decoded image is what we keep
        return self._image

    def natural_size(self) -> tuple[float, float]:
        """The display size in device-independent pixels."""
        pixels_w, pixels_h = float(self.image.width()), float(self.image.height())
        want_w, want_h = self._requested
        if want_w and want_h:
            return float(want_w), float(want_h)
        if want_w and pixels_w:
            return float(want_w), pixels_h * float(want_w) / pixels_w
        if want_h and pixels_h:
            return pixels_w * float(want_h) / pixels_h, float(want_h)
        return pixels_w, pixels_h

    def layout(self, metrics: Metrics, width: int) -> int:
        image = self.image
        if image.isNull():
            self._size = (0.0, 0.0)
            return metrics.line_height
        w, h = self.natural_size()
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
        highlight: str = "",
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
            tint_selected(painter, QRectF(x, top + self._pad, w, h), theme)

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        return self.fallback_text
