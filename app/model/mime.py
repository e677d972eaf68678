"""Choosing which representation of a MIME bundle to show."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

RICHNESS_ORDER: tuple[str, ...] = (
    "text/html",
    "text/markdown",
    "text/latex",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "application/json",
    "text/plain",
)
"""Most to least rich: the first one a view can render wins. The one table of the MIME types
Conch renders: the transcript view draws every one of them, the exports derive their order
from it."""

RASTER_TYPES: tuple[str, ...] = ("image/png", "image/jpeg")
"""The bitmap types of the table (shown as images, decoded off the GUI thread)."""

def metadata_size(value: object) -> float | None:
    """A bundle's metadata width or height: a positive finite number, else None (a string,
    a bool, ``10**400``)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number > 0 else None


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def choose_mime(data: Mapping[str, Any], renderable: Iterable[str]) -> str:
    """The richest type in ``data`` that the view can render, else ``text/plain``.

    Types outside :data:`RICHNESS_ORDER` (widget views, vendor types) are never
    chosen: their ``text/plain`` fallback is shown quietly instead.
    """
    can_render = set(renderable)
    for mime in RICHNESS_ORDER:
        if mime in data and mime in can_render:
            return mime
    return "text/plain"
