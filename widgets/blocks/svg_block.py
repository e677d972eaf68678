"""An SVG output: sanitized and priced before QSvgRenderer sees it, drawn from a cached image."""
from __future__ import annotations

import time
import weakref
from collections import OrderedDict

import shiboken6
from PySide6.QtCore import QByteArray, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer, QtSvg
from PySide6.QtWidgets import QWidget

from conch.widgets.blocks.base import Block, RenderRefused, TextPosition, paint_card, tint_selected
from conch.widgets.render_budget import OverBudget, sanitize_svg
from conch.widgets.theme import Metrics, Theme

_PAD = 4
_SLOW_RENDER = 0.25
"""Seconds: an SVG whose rendering takes longer is rendered again at most once a second."""
_RERENDER_INTERVAL = 1.0
_MAX_PIXELS = 4096 * 4096
"""The cached image never holds more pixels than this (an absurdly tall SVG gets fewer
pixels per point rather than gigabytes)."""
_CACHE_BYTES = 128 * 1024 * 1024
"""The images of all SVG blocks together: beyond it, the least recently painted give theirs
up (and render again if they are painted again)."""


class _Kept:
    """Which SVG blocks hold an image, least recently painted first, and how many bytes."""

    blocks: OrderedDict[int, tuple[weakref.ref[SvgBlock], int]] = OrderedDict()
    total = 0

    @classmethod
    def add(cls, block: SvgBlock, size: int) -> None:
        key = id(block)
        cls._drop(key)

        def gone(ref: weakref.ref[SvgBlock], key: int = key) -> None:
            if cls.blocks.get(key, (None, 0))[0] is ref:
                cls._drop(key)

        cls.blocks[key] = (weakref.ref(block, gone), size)
        cls.total += size
        while cls.total > _CACHE_BYTES and len(cls.blocks) > 1:
            oldest = next(iter(cls.blocks))
            if oldest == key:
                break
            ref, _ = cls.blocks[oldest]
            cls._drop(oldest)
            other = ref()
            if other is not None:
                other.forget_image()

    @classmethod
    def touch(cls, block: SvgBlock) -> None:
        if id(block) in cls.blocks:
            cls.blocks.move_to_end(id(block))

    @classmethod
    def _drop(cls, key: int) -> None:
        entry = cls.blocks.pop(key, None)
        if entry is not None:
            cls.total -= entry[1]


def svg_renderer(svg: str) -> QSvgRenderer:
    """A renderer for (sanitized) ``svg``, animations off: the block draws still images."""
    renderer = QSvgRenderer()
    renderer.setOptions(QtSvg.Option.DisableAnimations)
    renderer.load(QByteArray(svg.encode("utf-8")))
    return renderer


class SvgBlock(Block):
    """An SVG, sanitized (:func:`~conch.widgets.render_budget.sanitize_svg`: nothing outside
    the SVG is ever loaded, its draw cost is within budget) in the constructor, which raises
    :class:`RenderRefused` otherwise.

    It is rendered into an image at its display size × the device pixel ratio, so it stays
    sharp, and drawn from that image at each paint; it is rendered again only when that size
    or ratio changes. An SVG whose last rendering took longer than 250 ms is rendered again at
    most once a second: meanwhile (a window being resized) the image it has is scaled. The
    images of all SVG blocks together stay under 128 MB: the least recently painted give
    theirs up first."""

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
        try:
            self.svg = sanitize_svg(svg)
            """What is drawn, copied and saved: the sanitized SVG."""
        except OverBudget as refused:
            raise RenderRefused(str(refused)) from None
        self.renderer = svg_renderer(self.svg)
        if not self.renderer.isValid():
            raise RenderRefused("SVG could not be parsed")
        self.fallback_text = fallback_text
        self.gutter = gutter
        self.gutter_color = gutter_color
        self._requested = (width, height)
        self._size = (0.0, 0.0)
        self._image: QImage | None = None
        self._image_key: tuple[int, int, float] | None = None
        self._rendered_at = 0.0
        self.render_seconds = 0.0
        """How long the last rendering took."""
        self.renders = 0
        """How many times it has been rendered (tests)."""
        self._retry: QTimer | None = None
        self._surface: QWidget | None = None

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
        w, h = self.natural_size()
        w, h = w * metrics.zoom, h * metrics.zoom  # drawn again at the new size: sharp at every zoom
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
        w, h = self._size
        target = QRectF(x, top + _PAD, w, h)
        image = self.image(w, h, painter.device().devicePixelRatioF(), painter.device())
        if image is not None:
            painter.save()
            paint_card(painter, target, theme)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, image)
            painter.restore()
        if selection is not None:
            tint_selected(painter, target, theme)

    def image(self, w: float, h: float, ratio: float, device: object = None) -> QImage | None:
        """The SVG as pixels for ``w`` × ``h`` logical pixels at ``ratio`` device pixels each:
        the cached image if it has that size, else a new rendering (unless a slow SVG was
        rendered less than a second ago: the old image then, and a repaint of ``device``
        when the second is over)."""
        if w <= 0 or h <= 0:
            return None
        scale = min(ratio, (_MAX_PIXELS / (w * h)) ** 0.5)
        key = (max(1, round(w * scale)), max(1, round(h * scale)), ratio)
        if self._image is not None and key == self._image_key:
            _Kept.touch(self)
            return self._image
        since = time.monotonic() - self._rendered_at
        if self._image is not None and self.render_seconds > _SLOW_RENDER and since < _RERENDER_INTERVAL:
            self._surface = device if isinstance(device, QWidget) else None
            if self._retry is None:
                self._retry = QTimer()
                self._retry.setSingleShot(True)
                self._retry.timeout.connect(self._repaint)
            if not self._retry.isActive():
                self._retry.start(int((_RERENDER_INTERVAL - since) * 1000) + 1)
            return self._image  # drawn scaled into the new size meanwhile
        self._image = self._render(QSize(key[0], key[1]), key[0] / w)
        self._image_key = key
        _Kept.add(self, self._image.sizeInBytes())
        return self._image

    def forget_image(self) -> None:
        """Give the cached image up (it is rendered again when painted)."""
        self._image = None
        self._image_key = None

    def _render(self, pixels: QSize, ratio: float) -> QImage:
        started = time.perf_counter()
        image = QImage(pixels, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.renderer.render(painter, QRectF(0, 0, pixels.width(), pixels.height()))
        finally:
            painter.end()
        image.setDevicePixelRatio(ratio)
        self.render_seconds = time.perf_counter() - started
        self._rendered_at = time.monotonic()
        self.renders += 1
        return image

    def _repaint(self) -> None:
        surface, self._surface = self._surface, None
        if surface is not None and shiboken6.isValid(surface):
            surface.update()

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        return self.fallback_text
