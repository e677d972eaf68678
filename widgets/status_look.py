"""How each kernel state looks: the one table behind tab icons, tab titles, the status bar,
the prompt and what Enter says while it waits."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from conch.app.kernel.status import KernelStatus
from conch.widgets.theme import LIGHT_THEME, Theme


class Mark(Enum):
    """The shape of a tab's state icon."""

    RING = "ring"
    DOT = "dot"
    CROSS = "cross"


@dataclass(frozen=True)
class StatusLook:
    """One state's presentation."""

    word: str
    """The state in the status bar ("Python 3: busy") and in a tab title when not ready."""
    mark: Mark
    colour: str
    """The name of the state's colour in the theme's palette."""
    prompt: str | None
    """What the prompt shows instead of ``In [n]:`` (None: the prompt number); it fits the
    gutter (at most 9 characters, like ``starting…``)."""
    problem: bool
    """The prompt shows in the error colour."""
    waiting: str
    """What Enter says while the kernel is in this state (Esc cancels a queued input)."""


# The palette's names of the state colours (``conch.app.look.palette``).
_GREY, _GREEN, _AMBER, _RED, _BLUE = "state_starting", "state_idle", "state_busy", "state_problem", "state_connecting"

LOOKS: dict[KernelStatus, StatusLook] = {
    KernelStatus.STARTING: StatusLook(
        "starting", Mark.RING, _GREY, "starting…", False,
        "The kernel is starting: Enter takes effect once it is ready (Esc cancels).",
    ),
    KernelStatus.IDLE: StatusLook("idle", Mark.RING, _GREEN, None, False, ""),
    KernelStatus.BUSY: StatusLook(
        "busy", Mark.DOT, _AMBER, None, False,
        "The kernel is busy: Enter takes effect when it is free (Esc cancels).",
    ),
    KernelStatus.UNRESPONSIVE: StatusLook(
        "not responding", Mark.CROSS, _RED, "no reply", True,
        "The kernel is not responding: Enter takes effect if it answers again (Esc cancels; "
        "Kernel ▸ Restart starts a new one).",
    ),
    KernelStatus.DEAD: StatusLook(
        "dead", Mark.CROSS, _RED, "dead", True, "The kernel is dead; Kernel ▸ Restart starts a new one.",
    ),
    KernelStatus.ERROR: StatusLook("no kernel", Mark.CROSS, _RED, "no kernel", True, "There is no kernel."),
    KernelStatus.CONNECTING: StatusLook(
        "connecting", Mark.RING, _BLUE, "opening…", False,
        "Connecting to the kernel: Enter takes effect once it is ready (Esc cancels).",
    ),
    KernelStatus.RECONNECTING: StatusLook(
        "connection lost, reconnecting", Mark.RING, _AMBER, "offline…", True,
        "The connection to the kernel was lost: Enter takes effect once it is back (Esc cancels).",
    ),
    KernelStatus.CULLED: StatusLook(
        "gone from its server", Mark.CROSS, _RED, "gone", True,
        "The server no longer has this kernel; File ▸ Connect to Server… starts or picks another.",
    ),
}

EXITED = StatusLook("exited", Mark.CROSS, _RED, "exited", True, "The kernel exited; Kernel ▸ Restart starts a new one.")
"""A dead kernel that ended because the user asked it to (``exit``)."""


def look(status: KernelStatus, *, exited: bool = False) -> StatusLook:
    """How ``status`` looks (``exited``: the kernel ended at the user's request)."""
    if exited and status is KernelStatus.DEAD:
        return EXITED
    return LOOKS[status]


_SIZE = 16


def state_icon(status: KernelStatus, theme: Theme | None = None) -> QIcon:
    """A small painted icon for a tab: a ring, a filled dot or a cross, in the state's colour
    (in ``theme``; light if None)."""
    return _icon(status, theme or LIGHT_THEME)


@lru_cache(maxsize=64)
def _icon(status: KernelStatus, theme: Theme) -> QIcon:
    shown = LOOKS[status]
    pixmap = QPixmap(_SIZE * 2, _SIZE * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    box = QRectF(3, 3, _SIZE - 6, _SIZE - 6)
    colour = QColor(getattr(theme.palette, shown.colour))
    if shown.mark is Mark.DOT:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(box)
    elif shown.mark is Mark.CROSS:
        painter.setPen(QPen(colour, 2.2))
        painter.drawLine(box.topLeft(), box.bottomRight())
        painter.drawLine(box.topRight(), box.bottomLeft())
    else:
        painter.setPen(QPen(colour, 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(box)
    painter.end()
    return QIcon(pixmap)
