"""Small painted icons that show a tab's kernel state at a glance."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

_SIZE = 16


@lru_cache(maxsize=8)
def state_icon(status: str) -> QIcon:
    """Idle: a hollow green ring; busy: a filled amber dot; starting: a grey ring;
    dead, not responding or no kernel: a red cross."""
    pixmap = QPixmap(_SIZE * 2, _SIZE * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    box = QRectF(3, 3, _SIZE - 6, _SIZE - 6)
    if status == "busy":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#e0a000"))
        painter.drawEllipse(box)
    elif status in ("dead", "error", "unresponsive"):
        painter.setPen(QPen(QColor("#c4261d"), 2.2))
        painter.drawLine(box.topLeft(), box.bottomRight())
        painter.drawLine(box.topRight(), box.bottomLeft())
    else:
        colour = "#2f8a19" if status == "idle" else "#9a9a9a"
        painter.setPen(QPen(QColor(colour), 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(box)
    painter.end()
    return QIcon(pixmap)
