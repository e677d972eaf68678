"""Copying and saving the images shown in the transcript.

An SVG is copied and saved as the block holds it: sanitized (``SvgBlock.svg``, rendered by
``SvgBlock.renderer``), so a saved file refers to nothing outside itself either."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter

from conch.widgets.blocks import Block, ImageBlock
from conch.widgets.blocks.svg_block import SvgBlock


_MAX_SVG_PIXELS = 8192 * 8192
"""An SVG declaring an absurd size is not rendered into gigabytes."""


def is_image(block: Block) -> bool:
    return isinstance(block, (ImageBlock, SvgBlock))


def file_filter(block: Block) -> str:
    return "SVG image (*.svg)" if isinstance(block, SvgBlock) else "PNG image (*.png)"


def default_suffix(block: Block) -> str:
    return ".svg" if isinstance(block, SvgBlock) else ".png"


def to_image(block: Block, scale: float = 2.0) -> QImage:
    """The block's image as pixels: a PNG/JPEG at its full resolution, decoded from the
    original data now (the block itself may hold fewer pixels, as many as it shows); an SVG
    rendered at ``scale`` × its display size (fewer pixels if that would be more than
    ``_MAX_SVG_PIXELS``), from its sanitized source."""
    if isinstance(block, ImageBlock):
        return block.full_image()
    if isinstance(block, SvgBlock):
        w, h = block.natural_size()
        if w > 0 and h > 0:
            scale = min(scale, (_MAX_SVG_PIXELS / (w * h)) ** 0.5)
        image = QImage(max(1, int(w * scale)), max(1, int(h * scale)), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        block.renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
        painter.end()
        image.setDevicePixelRatio(scale)
        return image
    raise TypeError(f"not an image block: {block!r}")


def copy_image(block: Block) -> None:
    QGuiApplication.clipboard().setImage(to_image(block))


def save_image(block: Block, path: str) -> bool:
    """Write the image: the (sanitized) SVG source for SVG outputs, otherwise PNG. True on
    success."""
    if isinstance(block, SvgBlock) and path.lower().endswith(".svg"):
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(block.svg)
        except OSError:
            return False
        return True
    return to_image(block).save(path, "PNG")
