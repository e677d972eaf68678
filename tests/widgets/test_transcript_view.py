"""The transcript view's own behaviour: following output, selection, find, images, safety."""
from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.model.router import OutputRouter
from conch.app.model.transcript import Transcript
from conch.widgets.blocks import ImageBlock
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.blocks.safe_document import SafeDocument
from conch.widgets.blocks.svg_block import SvgBlock
from conch.widgets.image_export import save_image
from conch.widgets.transcript_view import TranscriptView

from .conftest import run
from .test_wide_blocks import WIDE, wheel


def stream(router: OutputRouter, parent: str, text: str, name: str = "stdout") -> None:
    router.handle_iopub(
        {"header": {"msg_type": "stream"}, "parent_header": {"msg_id": parent}, "content": {"name": name, "text": text}}
    )


def make_view(qtbot: QtBot) -> tuple[TranscriptView, Transcript, OutputRouter]:
    transcript = Transcript()
    view = TranscriptView(transcript)
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    return view, transcript, OutputRouter(transcript)


def test_follows_output_at_the_bottom_and_stays_put_when_scrolled_up(qtbot: QtBot) -> None:
    view, transcript, router = make_view(qtbot)
    transcript.add_cell("loop", "m1")
    stream(router, "m1", "".join(f"{i}\n" for i in range(200)))
    view.flush()
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    stream(router, "m1", "".join(f"more {i}\n" for i in range(50)))
    view.flush()
    assert bar.value() == bar.maximum()  # followed
    bar.setValue(100)
    stream(router, "m1", "".join(f"again {i}\n" for i in range(50)))
    view.flush()
    assert bar.value() == 100 and bar.maximum() > 100  # stayed where the user put it


def test_updates_are_coalesced_into_one_layout_per_frame(qtbot: QtBot) -> None:
    view, transcript, router = make_view(qtbot)
    transcript.add_cell("x", "m1")
    view.flush()
    layouts: list[int] = []
    view.updated.connect(lambda: layouts.append(1))
    for i in range(200):
        stream(router, "m1", f"{i}\n")
    qtbot.waitUntil(lambda: len(layouts) >= 1, timeout=1000)
    assert len(layouts) == 1


def test_mouse_selection_across_outputs_copies_plain_text(qtbot: QtBot) -> None:
    view, transcript, router = make_view(qtbot)
    transcript.add_cell("a", "m1")
    stream(router, "m1", "hello world\n")
    stream(router, "m1", "oops\n", name="stderr")
    view.flush()
    lh = view.metrics.line_height
    x0 = view.metrics.gutter_width
    start = QPoint(int(x0 + 6 * view.metrics.char_width), 8 + lh + lh // 2)  # "world" on the first output row
    end = QPoint(int(x0 + 2 * view.metrics.char_width), 8 + 2 * lh + lh // 2 + 1)  # "oo" of the stderr row
    QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(view.viewport(), end)
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert view.selected_text() == "world\noo"
    view.setFocus()
    QTest.keySequence(view, "Ctrl+C")
    assert QGuiApplication.clipboard().text() == "world\noo"


def test_find_counts_and_walks_matches(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "for i in range(30000):\n    print(f'row {i} needle' if i % 10000 == 5 else f'row {i}')")
    QTest.keySequence(console.editor, "Ctrl+F")
    assert console.find_bar.isVisible()
    QTest.keyClicks(console.find_bar.field, "NEEDLE")  # case-insensitive
    qtbot.waitUntil(lambda: console.find_bar.search.finished, timeout=10000)
    assert len(console.find_bar.search.matches) == 4  # three outputs + the code itself
    assert console.find_bar.count.text() == "1 of 4"
    QTest.keyClick(console.find_bar.field, Qt.Key.Key_Return)
    assert console.find_bar.count.text() == "2 of 4"
    assert console.view.selected_text() == "needle"
    QTest.keyClick(console.find_bar.field, Qt.Key.Key_Escape)
    assert not console.find_bar.isVisible() and console.view.highlight == ""


def test_image_context_menu_copies_and_saves(qtbot: QtBot, console: ConsoleWidget, tmp_path: Path) -> None:
    run(qtbot, console, "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]);", timeout=60000)
    (block,) = [b for b in console.view.blocks() if isinstance(b, ImageBlock)]
    console.view.scroll_to_bottom()
    top = console.view.block_top(block)
    assert top is not None
    y = top + 20
    menu = console.view.context_menu(console.view.metrics.gutter_width + 20, y)
    actions = {a.text(): a for a in menu.actions()}
    assert "Copy Image" in actions and "Save Image As…" in actions
    actions["Copy Image"].trigger()
    assert QGuiApplication.clipboard().image().width() == block.image.width()
    target = tmp_path / "plot.png"
    assert save_image(block, str(target))
    assert QImage(str(target)).size() == block.image.size()


def test_svg_is_saved_as_svg(qtbot: QtBot, console: ConsoleWidget, tmp_path: Path) -> None:
    svg = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='10' height='10'/></svg>"
    run(qtbot, console, f"from IPython.display import SVG, display\ndisplay(SVG({svg!r}))")
    (block,) = [b for b in console.view.blocks() if isinstance(b, SvgBlock)]
    assert save_image(block, str(tmp_path / "x.svg"))
    assert (tmp_path / "x.svg").read_text().startswith("<svg")


def test_html_loads_no_network_or_local_files(qtbot: QtBot, tmp_path: Path) -> None:
    local = tmp_path / "secret.png"
    QImage(4, 4, QImage.Format.Format_RGB32).save(str(local))
    document = SafeDocument()
    image = QTextDocument.ResourceType.ImageResource.value
    for url in (QUrl.fromLocalFile(str(local)), QUrl(str(local)), QUrl("http://127.0.0.1:9/x.png")):
        # A harmless answer, never None: with None, Qt's image handler reads the path itself.
        refused = document.loadResource(image, url)
        assert isinstance(refused, QImage) and refused.width() == 1 and refused.pixelColor(0, 0).alpha() == 0
    png = base64.b64encode(local.read_bytes()).decode()
    embedded = document.loadResource(image, QUrl(f"data:image/png;base64,{png}"))
    assert isinstance(embedded, QImage) and embedded.width() == 4


def test_partial_repaints_leave_the_screen_as_a_full_repaint_would(qtbot: QtBot, console: ConsoleWidget) -> None:
    # The view blits on scroll and repaints only changed regions; what is on screen must
    # still equal a fresh render of everything.
    cells = [
        "for i in range(40): print(i)",
        "1 + 1",
        "import time\nfor i in range(20):\n    print(f'\\r{i:3d} ' + '#' * i, end='', flush=True); time.sleep(0.02)",
    ]
    for code in cells:
        run(qtbot, console, code)
    console.view.flush()
    QApplication.processEvents()  # deliver the pending paint events
    shown = QGuiApplication.primaryScreen().grabWindow(console.winId()).toImage()
    fresh = console.grab().toImage().convertToFormat(shown.format())
    assert shown.size() == fresh.size()
    assert shown == fresh


def test_partial_repaints_with_a_table_scrolled_sideways(qtbot: QtBot, console: ConsoleWidget) -> None:
    console.resize(500, 600)
    run(qtbot, console, WIDE)
    view = console.view
    (block,) = [b for b in view.blocks() if isinstance(b, RichTextBlock)]
    QApplication.processEvents()
    top = view.block_top(block)
    assert top is not None
    wheel(view, view.metrics.gutter_width + 40, top + 10, dx=-360)  # repaints only the table's rows
    assert view.visible_x_range(block)[0] > 0
    QApplication.processEvents()
    scrolled = view.verticalScrollBar().value()
    run(qtbot, console, "for i in range(26): print(i)")  # new output below; the view scrolls (blits)
    view.flush()
    QApplication.processEvents()
    assert view.verticalScrollBar().value() > scrolled
    top = view.block_top(block)
    assert top is not None and top > -100  # the table's lower part and its strip are still on screen
    offset = view.visible_x_range(block)[0]
    wheel(view, view.metrics.gutter_width + 40, max(0, top) + 60, dx=120)  # back a little
    assert 0 < view.visible_x_range(block)[0] < offset
    QApplication.processEvents()
    shown = QGuiApplication.primaryScreen().grabWindow(console.winId()).toImage()
    fresh = console.grab().toImage().convertToFormat(shown.format())
    assert shown == fresh


def test_save_image_dialog_opens_without_a_nested_loop_and_reports_closing(
    qtbot: QtBot, console: ConsoleWidget, tmp_path: Path
) -> None:
    svg = "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='40'><rect width='40' height='40'/></svg>"
    run(qtbot, console, f"from IPython.display import SVG, display\ndisplay(SVG({svg!r}))")
    view = console.view
    (block,) = [b for b in view.blocks() if isinstance(b, SvgBlock)]
    view.scroll_to_bottom()
    top = view.block_top(block)
    assert top is not None
    menu = view.context_menu(view.metrics.gutter_width + 10, top + 10)
    with qtbot.waitSignal(view.interaction_finished, timeout=2000):  # closing the menu
        menu.popup(view.viewport().mapToGlobal(QPoint(20, 20)))
        menu.close()
    actions = {a.text(): a for a in menu.actions()}
    actions["Save Image As…"].trigger()  # returns at once: the dialog is open, not in a nested loop
    (dialog,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()]
    target = tmp_path / "saved.svg"
    dialog.selectFile(str(target))
    with qtbot.waitSignal(view.interaction_finished, timeout=2000):
        dialog.accept()
    assert target.read_text().startswith("<svg")
    assert not dialog.isVisible()
