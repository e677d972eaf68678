"""Replies a kernel should not send, through a real ipykernel: malformed payloads, megabytes of
next input, of help and of history, a formula of 100 KB. Each time the cell finishes, the next
cell's output shows, and the UI never stops answering for more than 100 ms."""
from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq
from jupyter_client.session import Session
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.kernel_session import KernelSession
from conch.app.model.history import MAX_INPUT
from conch.app.model.terminal_text import MAX_COLUMN
from conch.widgets.blocks.latex_block import LatexBlock
from conch.widgets.latex_renderer import LatexRenderer

from .conftest import run

STALL_MS = 100
"""The longest the UI may go without answering (a 5 ms timer's longest gap)."""


class StallMeter:
    """The longest gap between ticks of a 5 ms timer: how long the event loop was kept busy."""

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._last = 0
        self.longest = 0

    def start(self) -> "StallMeter":
        # Everything the test process piled up before (a thousand tests' objects) is set aside
        # from the cyclic GC, as Conch sets its own startup heap aside: otherwise a full
        # collection of the test run's heap lands in the measurement.
        gc.collect()
        gc.freeze()
        self._clock.start()
        self._last = 0
        self.longest = 0
        self._timer.start()
        return self

    def stop(self) -> int:
        self._tick()
        self._timer.stop()
        gc.unfreeze()
        return self.longest

    def _tick(self) -> None:
        now = self._clock.elapsed()
        self.longest = max(self.longest, now - self._last)
        self._last = now


def run_watched(
    qtbot: QtBot, console: ConsoleWidget, code: str, until: Callable[[], bool] | None = None, timeout: int = 60_000
) -> int:
    """Run ``code`` (its execution_finished must come), wait for ``until``; the longest stall."""
    meter = StallMeter().start()
    try:
        run(qtbot, console, code, timeout=timeout)
        if until is not None:
            qtbot.waitUntil(until, timeout=timeout)
    finally:
        longest = meter.stop()
    return longest


class DecodeClock:
    """The longest time the transport spent reading one message off its socket and checking
    and decoding it (``Session.deserialize``): done on the GUI thread in one go per message,
    so tens of megabytes stall the UI there, whatever the console does. Tests of such
    messages allow it on top of :data:`STALL_MS` (a transport matter, reported separately)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.recv_ms = 0.0
        self.decode_ms = 0.0
        recv, decode = zmq.Socket.recv_multipart, Session.deserialize

        def timed_recv(sock: zmq.Socket[Any], *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return recv(sock, *args, **kwargs)
            finally:
                self.recv_ms = max(self.recv_ms, (time.perf_counter() - began) * 1000)

        def timed_decode(session: Session, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return decode(session, *args, **kwargs)
            finally:
                self.decode_ms = max(self.decode_ms, (time.perf_counter() - began) * 1000)

        monkeypatch.setattr(zmq.Socket, "recv_multipart", timed_recv)
        monkeypatch.setattr(Session, "deserialize", timed_decode)

    @property
    def allowance(self) -> int:
        return round(self.recv_ms + self.decode_ms)


@pytest.fixture
def decode_clock(monkeypatch: pytest.MonkeyPatch) -> DecodeClock:
    return DecodeClock(monkeypatch)


def assert_next_cell_runs(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "print('next')")
    assert console.outputs()[-1].text == "next\n"


def payload_cell(*payloads: str) -> str:
    """A cell that puts these payloads (Python literals) in its execute_reply, all of them
    (``single=False``: IPython would otherwise keep only the last of each source)."""
    return "pm = get_ipython().payload_manager\n" + "".join(f"pm.write_payload({p}, single=False)\n" for p in payloads)


# -- item 5: malformed payloads --------------------------------------------------------------------

MALFORMED = {
    "page data a string": payload_cell("{'source': 'page', 'data': 'str'}"),
    "page data a list, start a string": payload_cell("{'source': 'page', 'data': ['text/plain', 'x'], 'start': 'top'}"),
    "page text not text": payload_cell("{'source': 'page', 'data': {'text/plain': 5, 'text/html': [1, 2]}}"),
    "next input not text": payload_cell(
        "{'source': 'set_next_input', 'text': None}", "{'source': 'set_next_input', 'text': {'a': 1}, 'replace': 'yes'}"
    ),
    "no source, odd items": payload_cell("{'data': 1}", "{'source': 7}", "{'source': ['page']}"),
    "payload a string": "get_ipython().payload_manager._payload = 'garbage'",
    "payload a mapping": "get_ipython().payload_manager._payload = {'source': 'page', 'data': 'str'}",
}


@pytest.mark.parametrize("code", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_payloads_are_skipped_and_the_cell_finishes(qtbot: QtBot, console: ConsoleWidget, code: str) -> None:
    console.editor.set_code("draft")
    stall = run_watched(qtbot, console, code, timeout=15_000)
    assert console.editor.code() == "draft" and not console.pager.isVisible()
    assert_next_cell_runs(qtbot, console)
    assert stall <= STALL_MS


def test_good_payloads_after_a_bad_one_still_act(qtbot: QtBot, console: ConsoleWidget) -> None:
    code = payload_cell(
        "{'source': 'page', 'data': 'str'}",
        "{'source': 'set_next_input', 'text': 'x = 42', 'replace': True}",
        "{'source': 'page', 'data': {'text/plain': 'the help'}, 'start': 'top'}",
    )
    run_watched(qtbot, console, code, until=lambda: not console.pager.is_filling())
    assert console.editor.code() == "x = 42"
    assert console.pager.isVisible() and console.pager.plain_text() == "the help"


# -- item 5: megabytes of next input -----------------------------------------------------------------

def editor_settled(console: ConsoleWidget, expected_length: int) -> Callable[[], bool]:
    editor = console.editor
    return lambda: (
        not editor.is_filling() and not editor.highlighter.is_pending() and len(editor.toPlainText()) == expected_length
    )


def test_a_megabyte_of_next_input_goes_into_the_editor_without_a_stall(qtbot: QtBot, console: ConsoleWidget) -> None:
    text = "x = 1\n" * 150_000  # 900 KB, 150 000 lines
    expected = text.rstrip("\n")
    stall = run_watched(
        qtbot, console, "get_ipython().set_next_input('x = 1\\n' * 150_000)",
        until=editor_settled(console, len(expected)),
    )
    editor = console.editor
    assert editor.code() == editor.toPlainText() == expected
    assert editor.textCursor().position() == len(expected)  # at the end, as set_code promises
    assert editor.document().lastBlock().userState() >= 0  # highlighted to the last line
    assert_next_cell_runs(qtbot, console)
    assert stall <= STALL_MS
    # Replacing it with another megabyte (replace=True) is sliced too, and undoes in one step.
    stall = run_watched(
        qtbot, console, "get_ipython().set_next_input('y = 2\\n' * 150_000, replace=True)",
        until=lambda: editor_settled(console, len(expected))() and editor.toPlainText().startswith("y"),
    )
    assert editor.code() == expected.replace("x = 1", "y = 2")
    assert stall <= STALL_MS
    editor.document().undo()
    assert editor.toPlainText() == expected


def test_a_key_typed_while_a_big_input_goes_in_meets_all_of_it(qtbot: QtBot, console: ConsoleWidget) -> None:
    editor = console.editor
    run(qtbot, console, "get_ipython().set_next_input('x = 1\\n' * 150_000)")
    assert editor.is_filling()  # still going in
    qtbot.keyClick(editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "  # end")
    assert not editor.is_filling()
    assert editor.toPlainText().endswith("x = 1\nx = 1  # end") and editor.toPlainText().count("\n") == 149_999


def test_a_next_input_over_the_limit_is_not_put_in_the_editor(
    qtbot: QtBot, console: ConsoleWidget, decode_clock: DecodeClock
) -> None:
    console.editor.set_code("my draft")
    messages: list[str] = []
    console.status_message.connect(messages.append)
    stall = run_watched(qtbot, console, "get_ipython().set_next_input('x = 1\\n' * 3_500_000)")  # 21 MB
    assert console.editor.code() == "my draft"
    assert any("not put in the editor" in m and "21.0 MB" in m and f"({MAX_INPUT / 1e6:.1f} MB)" in m for m in messages), messages
    assert_next_cell_runs(qtbot, console)
    allowed = STALL_MS + decode_clock.allowance
    assert stall <= allowed, f"{stall} ms, of which {decode_clock.allowance} ms reading and decoding the reply"


def test_a_megabyte_on_one_line_is_not_put_in_the_editor(qtbot: QtBot, console: ConsoleWidget) -> None:
    messages: list[str] = []
    console.status_message.connect(messages.append)
    stall = run_watched(qtbot, console, "get_ipython().set_next_input('x = ' + '1' * 1_000_000)")
    assert console.editor.code() == ""
    assert any("a line of 1,000,004 characters" in m for m in messages)
    assert stall <= STALL_MS


def test_a_long_line_is_wrapped_anywhere_and_lexed_only_at_its_start(qtbot: QtBot, console: ConsoleWidget) -> None:
    text = "x = [" + ", ".join(map(str, range(15_000))) + "]"  # 90 KB on one line
    stall = run_watched(
        qtbot, console, "get_ipython().set_next_input('x = [' + ', '.join(map(str, range(15_000))) + ']')",
        until=editor_settled(console, len(text)),
    )
    assert console.editor.code() == text
    assert stall <= STALL_MS


# -- item 5: a big page --------------------------------------------------------------------------

BIG_PAGES = {
    "5 MB on one line": "{'source': 'page', 'data': {'text/plain': 'y' * 5_000_000}, 'start': 0}",
    "5 MB of coloured lines": (
        "{'source': 'page', 'data': {'text/plain': 'yy\\x1b[31mred\\x1b[0m word\\n' * 250_000}, 'start': 3}"
    ),
    "6 MB of HTML only": "{'source': 'page', 'data': {'text/html': '<p>hi &amp; <b>x</b></p>' * 250_000}}",
}


@pytest.mark.parametrize("payload", BIG_PAGES.values(), ids=BIG_PAGES.keys())
def test_a_big_page_shows_its_start_without_a_stall(qtbot: QtBot, console: ConsoleWidget, payload: str) -> None:
    pager = console.pager
    stall = run_watched(
        qtbot, console, payload_cell(payload), until=lambda: pager.isVisible() and not pager.is_filling()
    )
    text = pager.plain_text()
    assert 1_000 < len(text) < 250_000
    assert "more characters not shown)" in text.splitlines()[-1]
    assert_next_cell_runs(qtbot, console)
    assert stall <= STALL_MS


def test_a_small_page_shows_at_once_from_its_start_line(qtbot: QtBot, console: ConsoleWidget) -> None:
    pager = console.pager
    lines = "\\n".join(f"line {i}" for i in range(300))
    run(qtbot, console, payload_cell(f"{{'source': 'page', 'data': {{'text/plain': '{lines}'}}, 'start': 200}}"))
    assert pager.isVisible() and not pager.is_filling()  # no later turn needed
    assert pager.plain_text().splitlines() == [f"line {i}" for i in range(300)]
    assert pager.text.verticalScrollBar().value() > 0


# -- item 5: a big history reply --------------------------------------------------------------------

@pytest.fixture
def own_history(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The kernel keeps its history in a folder of the test's (not the user's ~/.ipython)."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))


@pytest.fixture
def second_console(qtbot: QtBot, kernel: KernelSession) -> Iterator[Callable[[], ConsoleWidget]]:
    """Opens another console on the same kernel (which asks for the kernel's history)."""
    sessions: list[KernelSession] = []

    def open_console() -> ConsoleWidget:
        session = KernelSession(kernel.kernel)
        sessions.append(session)
        widget = ConsoleWidget(session)
        qtbot.addWidget(widget)
        widget.resize(800, 600)
        widget.show()
        return widget

    yield open_console
    for session in sessions:
        with qtbot.waitSignal(session.closed, timeout=10_000):
            session.shutdown()


def test_a_big_history_reply_loads_without_a_stall(
    qtbot: QtBot,
    own_history: None,
    console: ConsoleWidget,
    second_console: Callable[[], ConsoleWidget],
    decode_clock: DecodeClock,
) -> None:
    # 1000 entries of 20 KB (20 MB) in the kernel's history database.
    run(qtbot, console, (
        "hm = get_ipython().history_manager\n"
        "for i in range(1000):\n"
        "    hm.store_inputs(10_000 + i, f'entry_{i} = 1\\n' + 'z = 1  # padding\\n' * 1200)\n"
        "hm.writeout_cache()"
    ))
    other = second_console()  # asks for the history at once; the reply takes a while
    meter = StallMeter().start()
    qtbot.waitUntil(lambda: len(other.kernel.history.entries) >= 1000, timeout=60_000)
    entries = other.kernel.history.entries
    assert sum(map(len, entries)) > 19_000_000
    assert entries[-1].startswith("entry_999 = 1\n")
    # Walking back shows the newest entry (20 KB) at once.
    other.editor.setFocus()
    qtbot.keyClick(other.editor, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: not other.editor.is_filling() and not other.editor.highlighter.is_pending(), timeout=10_000)
    assert other.editor.code().startswith("entry_999 = 1\n")
    stall = meter.stop()
    assert_next_cell_runs(qtbot, other)
    allowed = STALL_MS + decode_clock.allowance
    assert stall <= allowed, f"{stall} ms, of which {decode_clock.allowance} ms reading and decoding the reply"


# -- item 7: a 100 KB formula ---------------------------------------------------------------------

def test_a_huge_formula_shows_why_and_a_short_one_after_it_still_renders(qtbot: QtBot, console: ConsoleWidget) -> None:
    renderer = LatexRenderer.shared()
    code = (
        "from IPython.display import Latex, Math, display\n"
        "display(Latex('$' + 'x+' * 50_000 + '$'))\n"
        "display(Math('a^2 + b^2'))"
    )
    meter = StallMeter().start()
    run(qtbot, console, code)
    huge, short = [block for block in console.view.blocks() if isinstance(block, LatexBlock)]
    qtbot.waitUntil(lambda: isinstance(renderer.result(short.latex), QImage), timeout=15_000)
    stall = meter.stop()
    assert "(not typeset: too long to typeset (100,002 characters" in huge.shown_text()
    assert len(huge.shown_text()) < 3_000  # the start of its source, and why
    assert huge.text_between(huge.start(), huge.end()) == huge.latex  # copying takes all of it
    assert_next_cell_runs(qtbot, console)
    assert stall <= STALL_MS


def test_an_html_page_over_the_render_budget_shows_as_text_with_why(qtbot: QtBot, console: ConsoleWidget) -> None:
    pager = console.pager
    nested = "{'source': 'page', 'data': {'text/html': '<table><tr><td>' * 22 + 'deep'}}"
    stall = run_watched(qtbot, console, payload_cell(nested), until=lambda: pager.isVisible() and not pager.is_filling())
    lines = pager.plain_text().splitlines()
    assert "deep" in lines[0] and lines[-1].startswith("(an HTML page, shown as text: ") and "nest" in lines[-1]
    assert_next_cell_runs(qtbot, console)
    assert stall <= STALL_MS


# -- item 3: a cursor sent a billion columns right ---------------------------------------------------

def test_a_far_cursor_jump_costs_a_bounded_line(qtbot: QtBot, console: ConsoleWidget) -> None:
    stall = run_watched(qtbot, console, "for _ in range(5): print('\\x1b[999999999Cx')")
    (stream,) = console.outputs()
    lines = stream.text.splitlines()
    assert len(lines) == 5 and all(line.endswith("x") and len(line) <= MAX_COLUMN + 1 for line in lines)
    assert_next_cell_runs(qtbot, console)
    assert stall <= STALL_MS
