"""The scrollback limit in the view: trimming costs what it drops, painting never sees a stale
line, and a reader scrolled up keeps their place."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch.app.model.router import OutputRouter
from conch.app.model.style import Span
from conch.app.model.terminal_text import TerminalText
from conch.app.model.transcript import Transcript
from conch.widgets.blocks import TextBlock
from conch.widgets.theme import Metrics
from conch.widgets.transcript_view import TranscriptView


def stream(router: OutputRouter, parent: str, text: str) -> None:
    router.handle_iopub(
        {"header": {"msg_type": "stream"}, "parent_header": {"msg_id": parent}, "content": {"name": "stdout", "text": text}}
    )


def lines(start: int, count: int, width: int = 20) -> str:
    return "".join(f"{i:07d} " + "x" * width + "\n" for i in range(start, start + count))


def capped_view(qtbot: QtBot, max_lines: int) -> tuple[TranscriptView, Transcript, OutputRouter]:
    transcript = Transcript(max_lines=max_lines)
    view = TranscriptView(transcript)
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    transcript.add_cell("flood()", "m1")
    return view, transcript, OutputRouter(transcript)


def screen_equals_full_repaint(view: TranscriptView) -> bool:
    QApplication.processEvents()
    shown = QGuiApplication.primaryScreen().grabWindow(view.winId()).toImage()
    fresh = view.grab().toImage().convertToFormat(shown.format())
    return shown == fresh


def test_painting_between_a_trim_and_the_next_layout_never_reads_a_stale_line(qtbot: QtBot) -> None:
    view, transcript, router = capped_view(qtbot, max_lines=1000)
    for width in (80, 10):  # long lines (the block keeps a row table), then short ones
        for start in range(0, 5000, 100):
            stream(router, "m1", lines(start, 100, width=width))  # may trim the model at once...
            view.viewport().grab()  # ...and the view paints before it has laid out again
            if start % 300 == 0:
                view.flush()  # laid out with more lines than the next trim leaves
    view.viewport().repaint()
    assert screen_equals_full_repaint(view)
    assert transcript.stream_line_count() <= 1010
    output = transcript.outputs()[0]
    assert output.text.splitlines()[-1].startswith("0004999 ")


class CountingLines:
    """A line source that counts how often line lengths are asked for."""

    def __init__(self, text: TerminalText) -> None:
        self.text = text
        self.measured = 0

    @property
    def trimmed(self) -> int:
        return self.text.trimmed

    def take_changes(self) -> int | None:
        return self.text.take_changes()

    def line_count(self) -> int:
        return self.text.line_count()

    def line_text(self, i: int) -> str:
        return self.text.line_text(i)

    def line_spans(self, i: int) -> Sequence[Span]:
        return self.text.line_spans(i)

    def line_slice(self, i: int, start: int, end: int) -> Sequence[Span]:
        return self.text.line_slice(i, start, end)

    def line_length(self, i: int) -> int:
        self.measured += 1
        return self.text.line_length(i)


def test_a_trim_costs_what_it_drops_not_what_is_kept(qtbot: QtBot) -> None:
    text = TerminalText()
    source = CountingLines(text)
    block = TextBlock(source)
    metrics = Metrics()
    for wrapping in (False, True):  # with and without a row table
        width = 30 if wrapping else 4000
        text.feed(lines(0, 50_000))
        block.sync()
        block.layout(metrics, width)
        source.measured = 0
        text.drop_front(5_000)
        text.feed(lines(50_000, 100))
        block.sync()
        height = block.layout(metrics, width)
        assert source.measured <= 300, f"measured {source.measured} lines after dropping 5 000 of 50 000"
        fresh = TextBlock(text)
        fresh.sync()
        assert height == fresh.layout(metrics, width)  # the same rows as laid out from scratch
        text.drop_front(text.line_count())
        block.sync()


def test_a_reader_scrolled_up_keeps_the_same_line_in_view_while_old_lines_go(qtbot: QtBot) -> None:
    view, transcript, router = capped_view(qtbot, max_lines=6000)
    stream(router, "m1", lines(0, 6000))
    view.flush()
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() * 3 // 4)
    content = transcript.outputs()[0].content

    def top_line() -> str:
        block = view.block_at(200, 5)
        assert block is not None
        return content.line_text(block.hit(view.metrics, 200, 5 - (view.block_top(block) or 0)).line)

    shown = top_line()
    for start in range(6000, 9000, 500):
        stream(router, "m1", lines(start, 500))
        view.flush()
    assert content.trimmed >= 2500  # the front of the text, above the reader, is gone...
    assert top_line() == shown  # ...yet the reader's line has not moved
    assert bar.value() < bar.maximum()


def test_a_reader_at_the_bottom_follows_new_output_through_trims(qtbot: QtBot) -> None:
    view, transcript, router = capped_view(qtbot, max_lines=2000)
    for start in range(0, 8000, 1000):
        stream(router, "m1", lines(start, 1000))
        view.flush()
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    assert screen_equals_full_repaint(view)
