"""One bad output never stops a console: a block that fails to build, sync, lay out or paint is
shown as its text and why, everything else goes on; output from outside any cell shares one
finished entry; a kernel that never publishes idle still finishes its cells (real ipykernel)."""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.model.transcript import CellState, OutsideOutput
from conch.widgets.blocks import Block, ImageBlock, RenderRefused, TextBlock
from conch.widgets.blocks.failed_block import BlankBlock, FailedBlock
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.blocks.svg_block import SvgBlock
from conch.widgets.theme import Metrics, Theme
from conch.app.kernel.status import KernelStatus

from .conftest import run

PNG = (  # 1×1, valid
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='20'><rect width='40' height='20'/></svg>"


def failed_blocks(console: ConsoleWidget) -> list[FailedBlock]:
    return [b for b in console.view.blocks() if isinstance(b, FailedBlock)]


def block_text(block: Block) -> str:
    return block.text_between(block.start(), block.end())


def still_works(qtbot: QtBot, console: ConsoleWidget, word: str = "next") -> None:
    """The next cell runs, shows its output and finishes; the view paints."""
    run(qtbot, console, f"print({word!r})")
    assert f"{word}\n" in console.transcript_text()
    assert any(isinstance(b, TextBlock) and block_text(b).strip() == word for b in console.view.blocks())
    assert not console.view.grab().isNull()
    assert not console.is_busy()


@pytest.mark.parametrize(
    "metadata",
    [
        "{'height': 1e10}",
        "{'height': 10**400}",
        "{'height': float('inf')}",
        "{'height': float('nan'), 'width': float('-inf')}",
        "{'height': -20, 'width': 0}",
        "{'height': 'tall', 'width': [3]}",
    ],
)
def test_absurd_image_sizes_never_stop_the_console(qtbot: QtBot, console: ConsoleWidget, metadata: str) -> None:
    run(qtbot, console, f"display({{'image/png': {PNG!r}, 'text/plain': 'dot'}}, metadata={{'image/png': {metadata}}}, raw=True)")
    assert not console.view.grab().isNull()
    (image,) = [b for b in console.view.blocks() if isinstance(b, ImageBlock)]
    top = console.view.block_top(image)
    assert top is not None and image.natural_size() == (1.0, 1.0)  # the metadata was not believed
    still_works(qtbot, console)


def test_undecodable_image_data_shows_why_and_the_console_goes_on(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "display({'image/png': 'abc', 'text/plain': 'x'}, raw=True)")
    console.view.grab()
    (image,) = [b for b in console.view.blocks() if isinstance(b, ImageBlock)]
    assert image.error and block_text(image) == "x"
    still_works(qtbot, console)


def raiser(error: Exception) -> Callable[..., None]:
    """A method that raises ``error``: a stand-in for a block's unknown bug."""

    def method(*_args: object, **_kwargs: object) -> None:
        raise error

    return method


def test_a_block_that_raises_in_layout_becomes_its_text_and_reason(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RichTextBlock, "layout", raiser(ValueError("width went negative\n   at row 3")))
    run(qtbot, console, "from IPython.display import HTML\nHTML('<b>bold</b>')")
    (failed,) = failed_blocks(console)
    assert failed.reason == "ValueError: width went negative at row 3"
    assert block_text(failed) == "<IPython.core.display.HTML object>\ncould not render: ValueError: width went negative at row 3"
    assert failed.gutter.startswith("Out[")  # still the cell's result
    still_works(qtbot, console)
    run(qtbot, console, "HTML('<i>again</i>')")  # the next broken one too, and the console goes on
    assert len(failed_blocks(console)) == 2
    still_works(qtbot, console, "after")


def test_a_block_over_its_render_budget_says_why(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RichTextBlock, "layout", raiser(RenderRefused("tables nested 60 deep (limit 20)")))
    run(qtbot, console, "from IPython.display import HTML\ndisplay(HTML('<table><tr><td>x</td></tr></table>'))")
    (failed,) = failed_blocks(console)
    assert failed.reason == "tables nested 60 deep (limit 20)"
    assert block_text(failed).endswith("\ncould not render: tables nested 60 deep (limit 20)")
    still_works(qtbot, console)


def test_a_block_that_raises_while_built_or_synced(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SvgBlock, "__init__", raiser(OverflowError("cannot convert float infinity to integer")))
    run(qtbot, console, f"from IPython.display import SVG\ndisplay(SVG({SVG!r}))")
    monkeypatch.setattr(RichTextBlock, "sync", raiser(KeyError("row")))
    run(qtbot, console, "from IPython.display import Markdown\ndisplay(Markdown('*hi*'))")
    reasons = [b.reason for b in failed_blocks(console)]
    assert reasons == ["OverflowError: cannot convert float infinity to integer", "KeyError: 'row'"]
    still_works(qtbot, console)


def test_a_block_that_raises_while_painting_is_replaced_and_the_rest_is_painted(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_paint(self: Block, painter: QPainter, *_args: object, **_kwargs: object) -> None:
        painter.save()  # and never restored: the painter is left in a state the rest must not inherit
        painter.translate(5000, 5000)
        painter.setClipRect(QRect(0, 0, 1, 1))
        raise RuntimeError("paint bug")

    monkeypatch.setattr(SvgBlock, "paint", broken_paint)
    run(qtbot, console, f"from IPython.display import SVG\ndisplay(SVG({SVG!r}))\nprint('below')")
    console.view.grab()  # paints: the SVG block raises, the stream below it is still painted
    qtbot.waitUntil(lambda: len(failed_blocks(console)) == 1, timeout=5000)
    (failed,) = failed_blocks(console)
    assert failed.reason == "RuntimeError: paint bug"
    image = console.view.viewport().grab().toImage()
    (below,) = [b for b in console.view.blocks() if isinstance(b, TextBlock) and block_text(b).strip() == "below"]
    assert has_ink(image, console.view.block_top(below), console.view.metrics.line_height)
    assert has_ink(image, console.view.block_top(failed), console.view.metrics.line_height)
    still_works(qtbot, console)


def has_ink(image: QImage, top: int | None, height: int) -> bool:
    """Some pixel in the rows [top, top + height) differs from the background."""
    assert top is not None
    background = Theme().background.rgb()
    return any(
        image.pixel(x, y) != background
        for y in range(max(0, top), min(image.height(), top + height))
        for x in range(0, image.width(), 2)
    )


def test_a_block_that_raises_on_relayout_after_a_resize(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(qtbot, console, "from IPython.display import HTML\ndisplay(HTML('<p>fine at first</p>'))")
    assert failed_blocks(console) == []
    monkeypatch.setattr(RichTextBlock, "layout", raiser(ZeroDivisionError("zero columns")))
    console.resize(500, 400)
    qtbot.waitUntil(lambda: len(failed_blocks(console)) == 1, timeout=5000)
    assert not console.view.grab().isNull()
    still_works(qtbot, console)


def test_each_distinct_failure_is_logged_once(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    message = f"unique {uuid.uuid4()}"
    monkeypatch.setattr(RichTextBlock, "layout", raiser(RuntimeError(message)))
    with caplog.at_level(logging.WARNING, logger="conch.widgets.blocks.failed_block"):
        run(qtbot, console, "from IPython.display import HTML\nfor i in range(3): display(HTML(f'<b>{i}</b>'))")
        for _ in range(3):
            console.view.grab()
            console.resize(console.width() - 10, console.height())
            qtbot.wait(40)
        run(qtbot, console, "display(HTML('<b>more</b>'))")
    assert len(failed_blocks(console)) == 4
    assert len([r for r in caplog.records if message in r.getMessage()]) == 1


def test_a_failing_fallback_leaves_an_empty_line_not_a_stuck_view(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = TextBlock.layout

    def layout(self: TextBlock, metrics: Metrics, width: int) -> int:
        if isinstance(self, FailedBlock) and "poison" in block_text(self):
            raise RuntimeError("fallback bug")
        return original(self, metrics, width)

    monkeypatch.setattr(TextBlock, "layout", layout)
    monkeypatch.setattr(RichTextBlock, "layout", raiser(RuntimeError("first bug")))
    run(qtbot, console, "display({'text/html': '<b>x</b>', 'text/plain': 'fine'}, raw=True)\n"
                        "display({'text/html': '<b>y</b>', 'text/plain': 'poison'}, raw=True)")
    assert [block_text(b) for b in failed_blocks(console)] == ["fine\ncould not render: RuntimeError: first bug"]
    assert any(isinstance(b, BlankBlock) for b in console.view.blocks())
    still_works(qtbot, console)


# -- output from outside any cell -----------------------------------------------------------------

SEND_STRAY = (
    "ip = get_ipython()\n"
    "for i in range({n}):\n"
    "    ip.kernel.session.send(ip.kernel.iopub_socket, 'stream', {{'name': 'stdout', 'text': 'stray\\n'}}, parent={{}})\n"
)


def test_output_without_a_parent_shares_one_finished_entry(qtbot: QtBot, console: ConsoleWidget) -> None:
    transcript = console.kernel.transcript
    run(qtbot, console, SEND_STRAY.format(n=3))
    qtbot.waitUntil(lambda: any(isinstance(e, OutsideOutput) for e in transcript.entries), timeout=5000)
    (outside,) = [e for e in transcript.entries if isinstance(e, OutsideOutput)]
    qtbot.waitUntil(lambda: outside.outputs and outside.outputs[0].text == "stray\n" * 3, timeout=5000)
    assert outside.finished and len(outside.outputs) == 1
    run(qtbot, console, SEND_STRAY.format(n=2))  # after a real cell: a new entry
    outsides = [e for e in transcript.entries if isinstance(e, OutsideOutput)]
    qtbot.waitUntil(lambda: len(outsides[-1].outputs) == 1 and outsides[-1].outputs[0].text == "stray\n" * 2)
    assert len(outsides) == 2
    text = console.transcript_text()
    assert "In [*]" not in text and text.count("— output from outside any cell\n") == 2
    assert all(e.finished for e in transcript.cells())
    console.view.flush()
    headers = [b for b in console.view.blocks() if block_text(b) == "— output from outside any cell"]
    assert len(headers) == 2 and not any(b.gutter for b in headers)
    still_works(qtbot, console)


# -- a kernel that never publishes its idle status ------------------------------------------------


def test_a_kernel_that_never_sends_idle_still_finishes_its_cells(qtbot: QtBot, console: ConsoleWidget) -> None:
    kernel = console.kernel
    started = time.monotonic()
    run(qtbot, console, "get_ipython().kernel._publish_status = lambda *args, **kwargs: None", timeout=8000)
    assert time.monotonic() - started < 6
    assert not console.is_busy() and kernel.status is KernelStatus.IDLE
    for word in ("next", "and next"):
        started = time.monotonic()
        still_works(qtbot, console, word)
        assert time.monotonic() - started < 6
    cells = list(kernel.transcript.cells())
    assert [c.state for c in cells[-3:]] == [CellState.OK] * 3
    assert "In [*]" not in console.transcript_text()
    run(qtbot, console, "import time; time.sleep(1.5); print('slept')", timeout=8000)  # reply at its end
    assert "slept\n" in console.transcript_text()


def test_a_block_whose_scroll_anchor_raises_costs_the_readers_place_only(
    qtbot: QtBot, console: ConsoleWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(qtbot, console, "for i in range(200): print(i)")
    console.view.verticalScrollBar().setValue(0)  # scrolled up: each layout keeps the reader's line
    monkeypatch.setattr(TextBlock, "anchor_at", raiser(IndexError("row table")))
    still_works(qtbot, console)
