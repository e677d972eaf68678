"""Outputs wider than the view scroll sideways on their own, as in JupyterLab's output area."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QImage, QTextTable, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.horizontal_scroll import STRIP_HEIGHT
from conch.widgets.transcript_view import TranscriptView

from .conftest import run

# pandas shows at most 20 of these 100 columns: 0-9, a "..." column, 90-99.
WIDE = "import numpy as np, pandas as pd\npd.DataFrame(np.arange(400).reshape(4, 100))"


def wheel(view: TranscriptView, x: float, y: float, dx: int = 0, dy: int = 0, shift: bool = False) -> None:
    """A real wheel event on the view's viewport (angle deltas in eighths of a degree)."""
    position = QPointF(x, y)
    modifiers = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    event = QWheelEvent(
        position, QPointF(view.viewport().mapToGlobal(position.toPoint())), QPoint(), QPoint(dx, dy),
        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False,
    )
    QApplication.sendEvent(view.viewport(), event)


def table_of(block: RichTextBlock) -> QTextTable:
    frames = [block.document.rootFrame()]
    while frames:
        frame = frames.pop()
        if isinstance(frame, QTextTable):
            return frame
        frames.extend(frame.childFrames())
    raise AssertionError("no table")


def cell_rect(block: RichTextBlock, row: int, column: int) -> QRectF:
    """Where a cell's text is, in the block's own coordinates."""
    text_block = table_of(block).cellAt(row, column).firstCursorPosition().block()
    return block.document.documentLayout().blockBoundingRect(text_block)


def wide_table(qtbot: QtBot, console: ConsoleWidget, code: str = WIDE) -> tuple[TranscriptView, RichTextBlock]:
    console.resize(500, 600)
    run(qtbot, console, code)
    view = console.view
    (block,) = [b for b in view.blocks() if isinstance(b, RichTextBlock)]
    view.scroll_to_bottom()
    QApplication.processEvents()
    return view, block


def has_ink(image: QImage, rect: QRect) -> bool:
    """Whether any pixel in ``rect`` is dark (text)."""
    return any(
        image.pixelColor(x, y).lightness() < 128
        for y in range(max(0, rect.top()), min(image.height(), rect.bottom() + 1))
        for x in range(max(0, rect.left()), min(image.width(), rect.right() + 1))
    )


def test_a_wide_dataframe_scrolls_sideways_under_a_real_wheel(qtbot: QtBot, console: ConsoleWidget) -> None:
    view, block = wide_table(qtbot, console)
    assert view.is_scrollable(block)
    columns = table_of(block).columns()
    assert table_of(block).cellAt(0, columns - 1).firstCursorPosition().block().text() == "99"
    last = cell_rect(block, 0, columns - 1)
    start, end = view.visible_x_range(block)
    assert start == 0 and last.left() > end  # the right-most column is off screen
    top = view.block_top(block)
    assert top is not None
    left = view.metrics.gutter_width
    gutter = QRect(0, top, left - 4, view.metrics.line_height)
    before = view.viewport().grab().toImage()
    assert not has_ink(before, QRect(int(left + last.left() - start), top, 1, 1))  # nothing past the edge

    wheel(view, left + 50, top + 10, dy=-120)  # a vertical wheel does not move the table sideways
    assert view.visible_x_range(block) == (0, end)
    wheel(view, left + 50, top + 10, dx=-120)  # one notch to the right
    assert view.visible_x_range(block)[0] > 0
    wheel(view, left + 50, top + 10, dx=-120 * 50)  # far to the right: stops at the end
    start, end = view.visible_x_range(block)
    assert start <= last.left() and last.right() <= end
    QApplication.processEvents()
    after = view.viewport().grab().toImage()
    where = QRect(int(left + last.left() - start), int(top + last.top()), int(last.width()), int(last.height()))
    assert has_ink(after, where)  # "99" is painted where the scrolled table puts it
    assert after.copy(gutter) == before.copy(gutter)  # the prompt in the gutter did not move

    wheel(view, left + 50, top + 10, dy=120 * 50, shift=True)  # Shift+wheel scrolls sideways too
    assert view.visible_x_range(block)[0] == 0


def test_the_scroll_strip_can_be_dragged(qtbot: QtBot, console: ConsoleWidget) -> None:
    view, block = wide_table(qtbot, console)
    top = view.block_top(block)
    assert top is not None
    strip_y = top + int(block.document.size().height() + 0.999) + STRIP_HEIGHT // 2  # right under the table
    x = view.metrics.gutter_width + 10  # on the thumb, which starts at the left
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, strip_y))
    QTest.mouseMove(viewport, QPoint(x + 100, strip_y))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x + 100, strip_y))
    start, _ = view.visible_x_range(block)
    assert start > 100  # the thumb moved 100 px; the table, by more (it is wider than its track)
    assert view.selected_text() == ""  # dragging the strip selected nothing
    # A click on the track right of the thumb pages right.
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(viewport.width() - 12, strip_y))
    assert view.visible_x_range(block)[0] > start


def test_an_ellipsis_column_stays_on_one_line(qtbot: QtBot, console: ConsoleWidget) -> None:
    view, truncated = wide_table(qtbot, console)
    table = table_of(truncated)
    dots = [c for c in range(table.columns()) if table.cellAt(0, c).firstCursorPosition().block().text() == "..."]
    assert len(dots) == 1
    for row in range(table.rows()):
        cell = table.cellAt(row, dots[0]).firstCursorPosition().block()
        assert cell.text() == "..." and cell.layout().lineCount() == 1
    # As tall as a table of the same rows without the "..." column.
    run(qtbot, console, "pd.DataFrame(np.arange(80).reshape(4, 20))")
    plain = [b for b in view.blocks() if isinstance(b, RichTextBlock)][-1]
    layout = truncated.document.documentLayout()
    height = layout.frameBoundingRect(table).height()
    assert height == plain.document.documentLayout().frameBoundingRect(table_of(plain)).height()
    text_height = cell_rect(truncated, 1, 1).height()
    assert height < table.rows() * 2 * text_height  # rows of one line (and padding), not three


def test_resizing_wider_removes_the_strip_and_the_offset(qtbot: QtBot, console: ConsoleWidget) -> None:
    view, block = wide_table(qtbot, console, WIDE + "\n")
    run(qtbot, console, "print('below')")
    below = view.blocks()[-1]

    def gap() -> int:  # from the table's top to the next cell's top
        return (view.block_top(below) or 0) - (view.block_top(block) or 0)

    narrow = gap()
    wheel(view, view.metrics.gutter_width + 50, (view.block_top(block) or 0) + 10, dx=-240)
    assert view.visible_x_range(block)[0] > 0
    console.resize(1400, 600)
    qtbot.waitUntil(lambda: not view.is_scrollable(block), timeout=2000)
    assert view.visible_x_range(block)[0] == 0
    assert narrow - gap() == STRIP_HEIGHT  # the strip went away


def test_a_paragraph_wraps_and_does_not_scroll(qtbot: QtBot, console: ConsoleWidget) -> None:
    view, block = wide_table(
        qtbot, console, "from IPython.display import HTML\nHTML('<p>' + 'words and more words ' * 40 + '</p>')"
    )
    assert not view.is_scrollable(block)
    assert block.document.firstBlock().layout().lineCount() > 3
