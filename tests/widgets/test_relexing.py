"""Highlighting cells again: never for a kernel_info_reply that changes nothing, and a few cells
per event-loop turn when the language does change."""
from __future__ import annotations

from pygments.lexers import BashLexer, PythonLexer
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.model.transcript import Transcript
from conch.widgets.transcript_view import TranscriptView


def input_blocks(view: TranscriptView) -> list[object]:
    return [b for b in view.blocks() if b.gutter.startswith("In [")]


def test_an_unsolicited_kernel_info_reply_keeps_every_highlighted_cell(qtbot: QtBot, console: ConsoleWidget) -> None:
    for i in range(30):
        console.kernel.transcript.add_cell(f"x{i} = {i}  # cell", f"old-{i}")
    console.view.flush()
    before = input_blocks(console.view)
    with qtbot.waitSignal(console.kernel.ready, timeout=10000):
        console.kernel.client.request("kernel_info_request", {})
    console.view.flush()
    after = input_blocks(console.view)
    assert len(after) == 30 and all(a is b for a, b in zip(before, after))


def test_a_new_language_highlights_the_transcript_again_over_many_turns(qtbot: QtBot) -> None:
    transcript = Transcript()
    view = TranscriptView(transcript, lexer=PythonLexer(stripnl=False, ensurenl=False))
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    for i in range(3000):
        transcript.add_cell(f"echo {i} | grep -v x  # {i}", f"m{i}")
    view.flush()
    first = input_blocks(view)
    layouts: list[int] = []
    view.updated.connect(lambda: layouts.append(1))
    view.set_lexer(BashLexer(stripnl=False, ensurenl=False))
    assert all(a is b for a, b in zip(first, input_blocks(view)))  # nothing done inside the call
    qtbot.waitUntil(lambda: not any(a is b for a, b in zip(first, input_blocks(view))), timeout=30000)
    assert len(layouts) >= 3  # spread over several turns
    echo = input_blocks(view)[-1]
    spans = echo.source.line_spans(0)  # type: ignore[attr-defined]
    assert spans[0][0] == "echo" and spans[0][1].fg is not None  # Bash colours now
