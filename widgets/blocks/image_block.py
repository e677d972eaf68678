"""An inline image (PNG/JPEG) from a MIME bundle, scaled down to fit the view."""
from __future__ import annotations

import math

import shiboken6
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QWidget

from conch.widgets.blocks.base import Block, TextPosition, paint_card, tint_selected
from conch.widgets.image_decoder import (
    DecodeJob,
    ImageDecoder,
    decode,
    device_pixel_ratio,
    probe,
    scaled_size,
)
from conch.widgets.theme import Metrics, Theme

_PAD = 4
_MAX_SIDE = 16384.0
"""The largest width or height an image is shown at (logical pixels), whatever it declares."""
_HEADROOM = 2.0
"""Pixels kept per shown pixel (× the device pixel ratio): a retina figure keeps all of its
pixels, and a downscaled image stays sharp in a view up to twice as wide."""


class ImageBlock(Block):
    """Knows its size from the image header (or the bundle's metadata) at once, so its height
    is right before any pixel is decoded; the pixels are decoded by the shared
    :class:`ImageDecoder` off the GUI thread, at the size they are shown (× the device pixel
    ratio, with some headroom). Meanwhile a light box says "decoding image…"; when the pixels
    arrive the block repaints the widget it was painted on.

    The display size is the bundle's metadata ``width``/``height`` when given (a "retina"
    figure has twice as many pixels as its display size, and stays sharp on HiDPI screens),
    else the image's pixel size. ``data`` is the image file, or its base64 text (then decoded
    off the GUI thread too).
    """

    def __init__(
        self,
        data: bytes | str,
        *,
        width: float | None = None,
        height: float | None = None,
        fallback_text: str = "",
        gutter: str = "",
        gutter_color: QColor | None = None,
        margin_top: int = 0,
        decoder: ImageDecoder | None = None,
    ) -> None:
        self._data = data  # kept: Copy/Save Image decode the original at full resolution
        self.fallback_text = fallback_text
        self.gutter = gutter
        self.gutter_color = gutter_color
        self.margin_top = margin_top
        self._decoder = decoder
        self._requested = (_sane(width), _sane(height))
        self._pixel_size: QSize | None = None  # from the header
        self._bad_header: str | None = None
        self._bad_pixels: str | None = None
        self._pixels: QImage | None = None
        self._job: DecodeJob | None = None
        self._width = 0
        self._zoom = 1.0  # the view's zoom: images grow with the text
        self._size = (0.0, 0.0)
        self._surface: QWidget | None = None  # what the placeholder was painted on

    # -- state ---------------------------------------------------------------------------------
    @property
    def pixels(self) -> QImage | None:
        """The decoded pixels, or None while they are being decoded (or cannot be)."""
        return self._pixels

    @property
    def pending(self) -> bool:
        """True while a decode for this block is queued or running."""
        return self._job is not None

    @property
    def error(self) -> str | None:
        """Why the image cannot be shown, or None."""
        return self._bad_header or (self._bad_pixels if self._pixels is None else None)

    @property
    def image(self) -> QImage:
        """The pixels the block shows, decoded now on the calling thread if the decoder has not
        delivered them yet (tests, scripts); a null QImage if the data is not an image.
        Painting never calls this: it shows a placeholder instead of waiting."""
        if self._pixels is None and self._probe() is not None and self._bad_pixels is None:
            self._accept(decode(self._data, self._target(self._width or _screen_width())), current=True)
        return self._pixels if self._pixels is not None else QImage()

    def full_image(self) -> QImage:
        """The image at its full resolution, decoded from the original data now (Copy/Save)."""
        if self._bad_header is not None:
            return QImage()
        result = decode(self._data)
        return result if isinstance(result, QImage) else QImage()

    # -- sizes ---------------------------------------------------------------------------------
    def _probe(self) -> QSize | None:
        if self._pixel_size is None and self._bad_header is None:
            result = probe(self._data)
            if isinstance(result, QSize):
                self._pixel_size = result
            else:
                self._bad_header = result
        return self._pixel_size

    def natural_size(self) -> tuple[float, float]:
        """The display size in device-independent pixels (0×0 when the data is not an image)."""
        pixels = self._probe()
        if pixels is None:
            return 0.0, 0.0
        pixels_w, pixels_h = float(pixels.width()), float(pixels.height())
        want_w, want_h = self._requested
        if want_w and want_h:
            w, h = want_w, want_h
        elif want_w:
            w, h = want_w, pixels_h * want_w / pixels_w
        elif want_h:
            w, h = pixels_w * want_h / pixels_h, want_h
        else:
            w, h = pixels_w, pixels_h
        scale = min(1.0, _MAX_SIDE / w, _MAX_SIDE / h)
        return max(1.0, w * scale), max(1.0, h * scale)

    def _shown(self, width: int) -> tuple[float, float]:
        w, h = self.natural_size()
        w, h = w * self._zoom, h * self._zoom
        if w > width > 0:
            h, w = h * width / w, float(width)
        return w, max(1.0, h)

    def _target(self, width: int) -> QSize | None:
        """The pixel size to decode at for a layout ``width``."""
        if self._pixel_size is None:
            return None
        shown_w, _ = self._shown(width)
        return scaled_size(self._pixel_size, shown_w * _HEADROOM, device_pixel_ratio())

    def layout(self, metrics: Metrics, width: int) -> int:
        self._width = width
        self._zoom = metrics.zoom
        if self._probe() is None:
            self._size = (0.0, 0.0)
            return metrics.line_height
        self._size = self._shown(width)
        self._request()
        return int(self._size[1]) + 2 * _PAD

    # -- decoding ------------------------------------------------------------------------------
    def _request(self) -> None:
        """Ask the decoder for pixels unless those held (or coming) are enough for the size
        shown now."""
        target = self._target(self._width)
        if target is None or self._bad_pixels is not None:
            return
        pixel_size = self._pixel_size
        assert pixel_size is not None
        enough = min(pixel_size.width(), math.ceil(self._size[0] * device_pixel_ratio())) - 1
        if self._pixels is not None and self._pixels.width() >= enough:
            return
        if self._job is not None and self._job.size is not None and self._job.size.width() >= enough:
            return
        decoder = self._decoder or ImageDecoder.shared()
        self._job = DecodeJob(self._data, target, self)
        decoder.submit(self._job)

    def image_decoded(self, job: DecodeJob) -> None:
        """The decoder's answer (on the GUI thread); repaints what showed the placeholder."""
        if job.result is not None:
            self._accept(job.result, current=job is self._job)
        if job is self._job:
            self._job = None
        surface, self._surface = self._surface, None
        if surface is not None and shiboken6.isValid(surface):
            surface.update()

    def _accept(self, result: QImage | str, *, current: bool) -> None:
        if isinstance(result, QImage):
            if self._pixels is None or result.width() > self._pixels.width():
                self._pixels = result
        elif current and self._pixels is None:
            self._bad_pixels = result

    # -- painting ------------------------------------------------------------------------------
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
        if self._bad_header is not None:
            painter.setPen(theme.notice["error"])
            painter.setFont(metrics.font)
            text = f"[image could not be decoded: {self._bad_header}]"
            painter.drawText(QRectF(x, top, 4000, metrics.line_height), 0, text)
            return
        w, h = self._size
        rect = QRectF(x, top + _PAD, w, h)
        if self._pixels is not None:
            painter.save()
            paint_card(painter, rect, theme)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(rect, self._pixels)
            painter.restore()
        else:
            device = painter.device()
            self._surface = device if isinstance(device, QWidget) else None
            if self._job is not None:
                (self._decoder or ImageDecoder.shared()).hurry(self._job)
            if self._bad_pixels is not None:
                note = f"image could not be decoded: {self._bad_pixels}"
                _placeholder(painter, rect, metrics, theme, note, theme.notice["error"])
            else:
                _placeholder(painter, rect, metrics, theme, "decoding image…", theme.notice["info"])
        if selection is not None:
            tint_selected(painter, rect, theme)

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        return self.fallback_text


def _placeholder(painter: QPainter, rect: QRectF, metrics: Metrics, theme: Theme, text: str, color: QColor) -> None:
    painter.save()
    painter.setPen(theme.placeholder_edge)
    painter.setBrush(theme.placeholder)
    painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
    font = QFont(metrics.font)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * 0.85)  # small: a note, not output
    painter.setFont(font)
    painter.setPen(color)
    painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
    painter.drawText(rect.adjusted(8, 6, -8, -6), int(flags), text)
    painter.restore()


def _sane(value: float | None) -> float | None:
    """A metadata width/height worth using: finite, positive, not absurd."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and 0 < number <= _MAX_SIDE else None


def _screen_width() -> int:
    screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry().width() if screen is not None else 1920
