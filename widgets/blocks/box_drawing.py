"""Box-drawing (U+2500–U+257F) and block (U+2580–U+259F) characters painted as vectors.

Font glyphs for these rarely span the whole line height, so a table's vertical borders show
gaps between rows. Terminal emulators draw them as lines and rectangles filling exactly the
character cell; so does :func:`paint_cell`. Lines come from the characters' Unicode names
("BOX DRAWINGS DOWN LIGHT AND RIGHT HEAVY"), so every light / heavy / double combination is
covered; dashed and diagonal lines are left to the font.
"""
from __future__ import annotations

import re
import unicodedata

from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

DRAWN = re.compile("[\u2500-\u259f]")
"""Matches the characters this module may draw (a quick test before splitting a run)."""

LIGHT, HEAVY, DOUBLE = 1, 2, 3
_WEIGHTS = {"LIGHT": LIGHT, "SINGLE": LIGHT, "HEAVY": HEAVY, "DOUBLE": DOUBLE}
_DIRECTIONS = {"UP": "U", "DOWN": "D", "LEFT": "L", "RIGHT": "R", "VERTICAL": "UD", "HORIZONTAL": "LR"}
# For each arm: the across-axis perpendicular arms on the negative and positive sides, the opposite arm.
_AROUND = {"L": ("U", "D", "R"), "R": ("U", "D", "L"), "U": ("L", "R", "D"), "D": ("L", "R", "U")}

Arms = dict[str, int]


def _parse(name: str) -> tuple[Arms, bool] | None:
    """Arms (direction → weight) and whether the corner is an arc, from a Unicode name."""
    if not name.startswith("BOX DRAWINGS "):
        return None
    groups: list[tuple[str, int | None]] = []
    arc = False
    for part in name[len("BOX DRAWINGS "):].split(" AND "):
        directions, weight = "", None
        for word in part.split():
            if word in _DIRECTIONS:
                directions += _DIRECTIONS[word]
            elif word in _WEIGHTS:
                weight = _WEIGHTS[word]
            elif word == "ARC":
                arc = True
            else:  # DASH, DIAGONAL, ...: the font draws those
                return None
        groups.append((directions, weight))
    default = groups[0][1] or LIGHT
    arms = {d: weight or default for directions, weight in groups for d in directions}
    return (arms, arc) if arms else None


def _block_rects(code: int) -> tuple[list[tuple[float, float, float, float]], float] | None:
    """Filled parts of a block element as (x0, y0, x1, y1) cell fractions, and an opacity."""
    if code == 0x2580:
        return [(0, 0, 1, 0.5)], 1.0
    if 0x2581 <= code <= 0x2588:  # lower eighths up to the full block
        return [(0, 1 - (code - 0x2580) / 8, 1, 1)], 1.0
    if 0x2589 <= code <= 0x258F:  # left seven eighths down to one eighth
        return [(0, 0, (0x2590 - code) / 8, 1)], 1.0
    if code == 0x2590:
        return [(0.5, 0, 1, 1)], 1.0
    if 0x2591 <= code <= 0x2593:  # light, medium, dark shade
        return [(0, 0, 1, 1)], (code - 0x2590) / 4
    if code == 0x2594:
        return [(0, 0, 1, 1 / 8)], 1.0
    if code == 0x2595:
        return [(7 / 8, 0, 1, 1)], 1.0
    quadrants = {  # upper left, upper right, lower left, lower right
        0x2596: "LL", 0x2597: "LR", 0x2598: "UL", 0x2599: "UL LL LR", 0x259A: "UL LR",
        0x259B: "UL UR LL", 0x259C: "UL UR LR", 0x259D: "UR", 0x259E: "UR LL", 0x259F: "UR LL LR",
    }.get(code)
    if quadrants is None:
        return None
    corners = {"UL": (0, 0, 0.5, 0.5), "UR": (0.5, 0, 1, 0.5), "LL": (0, 0.5, 0.5, 1), "LR": (0.5, 0.5, 1, 1)}
    return [corners[q] for q in quadrants.split()], 1.0


_BOXES: dict[str, tuple[Arms, bool]] = {}
_BLOCKS: dict[str, tuple[list[tuple[float, float, float, float]], float]] = {}
for _code in range(0x2500, 0x25A0):
    _box = _parse(unicodedata.name(chr(_code), ""))
    if _box is not None:
        _BOXES[chr(_code)] = _box
    _block = _block_rects(_code)
    if _block is not None:
        _BLOCKS[chr(_code)] = _block


def can_draw(char: str) -> bool:
    return char in _BOXES or char in _BLOCKS


def paint_cell(painter: QPainter, char: str, x0: int, y0: int, x1: int, y1: int, color: QColor) -> None:
    """Fill the cell [x0, x1) × [y0, y1) with ``char`` drawn in ``color`` (it must be drawable)."""
    block = _BLOCKS.get(char)
    if block is not None:
        rects, alpha = block
        if alpha < 1:
            color = QColor(color)
            color.setAlphaF(color.alphaF() * alpha)
        w, h = x1 - x0, y1 - y0
        for fx0, fy0, fx1, fy1 in rects:
            left, top = x0 + round(fx0 * w), y0 + round(fy0 * h)
            painter.fillRect(QRect(left, top, x0 + round(fx1 * w) - left, y0 + round(fy1 * h) - top), color)
        return
    arms, arc = _BOXES[char]
    light = max(1, round((y1 - y0) / 18))
    if arc:
        _paint_arc(painter, arms, x0, y0, x1, y1, light, color)
        return
    for arm, weight in arms.items():
        _paint_arm(painter, arms, arm, weight, x0, y0, x1, y1, light, color)


def _paint_arm(
    painter: QPainter, arms: Arms, arm: str, weight: int, x0: int, y0: int, x1: int, y1: int, light: int, color: QColor
) -> None:
    """One arm, from (about) the centre to the cell edge, joined to the other arms."""
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    gap = max(light + 1, round((x1 - x0) / 4))  # double lines: centre ± gap
    neg, pos, opposite = _AROUND[arm]
    width = {LIGHT: light, HEAVY: 2 * light + 1, DOUBLE: light}

    def start(own: str | None, other: str | None) -> int:
        """How far past the centre (towards the opposite side) the stroke begins."""
        if own is not None and own in arms:
            return -(gap - light // 2) if arms[own] == DOUBLE else 0
        if opposite in arms:
            return 0
        if other is not None and other in arms:
            return gap + light // 2 if arms[other] == DOUBLE else width[arms[other]] // 2
        return 0

    if weight == DOUBLE:
        strokes = [(-gap, start(neg, pos)), (gap, start(pos, neg))]
    else:
        perpendicular = [arms[p] for p in (neg, pos) if p in arms]
        if DOUBLE in perpendicular:
            extend = 0 if opposite in arms else -(gap - light // 2)
        else:
            extend = max([width[w] // 2 for w in perpendicular], default=0)
        strokes = [(0, extend)]
    stroke = width[weight]
    for across, extend in strokes:
        if arm in "LR":
            top = cy + across - stroke // 2
            a, b = (cx - extend, x1) if arm == "R" else (x0, cx + extend)
            painter.fillRect(QRect(a, top, b - a, stroke), color)
        else:
            left = cx + across - stroke // 2
            a, b = (cy - extend, y1) if arm == "D" else (y0, cy + extend)
            painter.fillRect(QRect(left, a, stroke, b - a), color)


def _paint_arc(painter: QPainter, arms: Arms, x0: int, y0: int, x1: int, y1: int, light: int, color: QColor) -> None:
    """A rounded corner (╭ ╮ ╯ ╰): straight to the cell edges, curved around the centre."""
    cx = (x0 + x1) // 2 - light // 2 + light / 2
    cy = (y0 + y1) // 2 - light // 2 + light / 2
    radius = min(x1 - x0, y1 - y0) / 2
    horizontal = x1 if "R" in arms else x0
    vertical = y1 if "D" in arms else y0
    sx = 1 if "R" in arms else -1
    sy = 1 if "D" in arms else -1
    path = QPainterPath(QPointF(cx, vertical))
    path.lineTo(cx, cy + sy * radius)
    path.quadTo(QPointF(cx, cy), QPointF(cx + sx * radius, cy))
    path.lineTo(horizontal, cy)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen = QPen(color, light)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.restore()
