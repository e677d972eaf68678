"""The render budgets' limits and the refusal they raise, and which embedded images are
bitmaps (shared by the HTML, Markdown and SVG checks; see :mod:`conch.widgets.render_budget`).

Qt-free: unit-testable without a display (``mypy --strict``).
"""
from __future__ import annotations

import binascii
from dataclasses import dataclass


class OverBudget(ValueError):
    """A document over its render budget; the message is the one-line reason."""


@dataclass(frozen=True)
class HtmlLimits:
    chars: int = 5_000_000
    """What Qt parses (``data:`` image URLs lifted out first): 5 MB of plain text lays out in
    0.5 s; tag-dense HTML hits the element limit long before."""
    table_nesting: int = 8
    depth: int = 100
    elements: int = 200_000
    """200 000 paragraphs or spans: about 1-2 s."""
    table_rows: int = 20_000
    table_cells: int = 20_000
    """1-2 s (a pandas DataFrame of 2000 rows × 9 columns)."""
    list_items: int = 3_000
    """In one list: 0.4 s."""
    lines: int = 100_000
    """``<pre>`` lines: 1 s."""


@dataclass(frozen=True)
class MarkdownLimits:
    chars: int = 5_000_000
    lines: int = 30_000
    """About 1.2 s even when every line is a heading or a hard break."""
    table_rows: int = 2_000
    table_cells: int = 10_000
    list_items: int = 3_000


@dataclass(frozen=True)
class SvgLimits:
    chars: int = 5_000_000
    """QSvgRenderer parses 5 MB (100 000 shapes) in about a second."""
    draws: int = 200_000
    """Shapes drawn once every ``<use>`` and ``url(#…)`` reference is expanded: about 0.4 s."""
    depth: int = 256


HTML = HtmlLimits()
MARKDOWN = MarkdownLimits()
SVG = SvgLimits()


def megabytes(chars: int) -> str:
    return f"{chars / 1_000_000:.1f} MB"


# -- embedded images -------------------------------------------------------------------------

_RASTER_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def is_raster(head: bytes) -> bool:
    """Whether ``head`` (the first 12 bytes or more) starts a PNG, JPEG, GIF, BMP or WebP file:
    the formats an embedded image may have. Anything else (an SVG above all, which Qt's image
    reader would render, references and all) is refused."""
    return head.startswith(_RASTER_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def is_raster_base64(payload: str) -> bool:
    """:func:`is_raster` for base64 text (white space allowed)."""
    head = "".join(payload[:64].split())[:16]
    try:
        return is_raster(binascii.a2b_base64(head))
    except (binascii.Error, ValueError):
        return False


def is_raster_data_url(url: str) -> bool:
    """A ``data:`` URL holding a base64 PNG, JPEG, GIF, BMP or WebP image."""
    header, comma, payload = url.strip().partition(",")
    return bool(comma) and header[:5].lower() == "data:" and ";base64" in header.lower() and is_raster_base64(payload)
