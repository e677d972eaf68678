"""Enter, Shift+Enter and Ctrl+Enter in the editor, decided by a real ipykernel."""
from __future__ import annotations

import os
import signal

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget

from .conftest import CTRL, SHIFT, kernel_round_trip, press, type_text


def test_multi_line_def_gets_the_kernels_indent_and_runs_when_complete(qtbot: QtBot, console: ConsoleWidget) -> None:
    console.editor.setFocus()
    type_text(qtbot, console, "def add(a, b):")
    press(qtbot, console, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: console.editor.code() == "def add(a, b):\n    ", timeout=5000)
    assert list(console.kernel.transcript.cells()) == []
    type_text(qtbot, console, "return a + b")
    press(qtbot, console, Qt.Key.Key_Return)  # still incomplete: a blank line ends the block
    qtbot.waitUntil(lambda: console.editor.code() == "def add(a, b):\n    return a + b\n    ", timeout=5000)
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        press(qtbot, console, Qt.Key.Key_Backspace)  # the whole indent level at once
        press(qtbot, console, Qt.Key.Key_Return)
    assert console.editor.code() == ""
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_text(qtbot, console, "add(2, 3)")
        press(qtbot, console, Qt.Key.Key_Return)
    assert [o.text for o in console.outputs()] == ["5"]
    assert "def add(a, b):\n" in console.transcript_text()


def test_invalid_code_runs_and_the_kernel_reports_the_error(qtbot: QtBot, console: ConsoleWidget) -> None:
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_text(qtbot, console, "1 +* 2")
        press(qtbot, console, Qt.Key.Key_Return)
    (error,) = console.outputs()
    assert error.kind == "error" and "SyntaxError" in error.text


def test_shift_enter_runs_incomplete_code_at_once(qtbot: QtBot, console: ConsoleWidget) -> None:
    type_text(qtbot, console, "for i in range(2):")
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        press(qtbot, console, Qt.Key.Key_Return, SHIFT)
    assert console.outputs()[0].kind == "error"  # the kernel was asked to run it as it was


def test_ctrl_enter_always_inserts_a_new_line_keeping_the_indent(qtbot: QtBot, console: ConsoleWidget) -> None:
    type_text(qtbot, console, "    x = 1")
    press(qtbot, console, Qt.Key.Key_Return, CTRL)
    assert console.editor.code() == "    x = 1\n    "
    assert list(console.kernel.transcript.cells()) == []


def test_keys_typed_while_enter_waits_for_the_kernel_are_replayed_in_order(qtbot: QtBot, console: ConsoleWidget) -> None:
    finished: list[str] = []
    console.execution_finished.connect(finished.append)
    # All typed before the event loop runs, so every key arrives while is_complete is pending.
    type_text(qtbot, console, "a = 1")
    press(qtbot, console, Qt.Key.Key_Return)
    type_text(qtbot, console, "b = a + 1")
    press(qtbot, console, Qt.Key.Key_Return)
    type_text(qtbot, console, "print(b)")
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=30000)
    assert [cell.code for cell in console.kernel.transcript.cells()] == ["a = 1", "b = a + 1"]
    assert console.editor.code() == "print(b)"


def test_enter_while_a_cell_runs_is_decided_when_the_kernel_is_free(qtbot: QtBot, console: ConsoleWidget) -> None:
    console.execute("import time; time.sleep(1.5)")
    type_text(qtbot, console, "print('after')")
    press(qtbot, console, Qt.Key.Key_Return)
    type_text(qtbot, console, "x = 1")  # typing goes on; it stays for the next prompt
    assert console.prompt.text() == "queued" and console.editor.code() == "print('after')\nx = 1"
    qtbot.waitUntil(lambda: len(console.outputs()) == 1, timeout=30000)
    assert console.outputs()[0].text == "after\n"
    assert console.editor.code() == "x = 1"
    qtbot.waitUntil(lambda: console.prompt.text().startswith("In ["), timeout=10000)


def test_esc_turns_a_queued_enter_into_a_plain_new_line(qtbot: QtBot, console: ConsoleWidget) -> None:
    console.execute("import time; time.sleep(1)")
    type_text(qtbot, console, "y = 2")
    press(qtbot, console, Qt.Key.Key_Return)
    assert console.enter.queued
    press(qtbot, console, Qt.Key.Key_Escape)
    assert not console.enter.queued
    qtbot.waitUntil(lambda: not console.is_busy(), timeout=30000)
    kernel_round_trip(qtbot, console)
    assert console.editor.code() == "y = 2\n"
    assert [cell.code for cell in console.kernel.transcript.cells()] == ["import time; time.sleep(1)"]


def test_no_answer_within_a_second_means_a_new_line_and_a_message(qtbot: QtBot, console: ConsoleWidget) -> None:
    process = console.kernel.process
    assert process is not None and process.pid is not None
    type_text(qtbot, console, "x = 1")
    os.kill(process.pid, signal.SIGSTOP)  # a kernel that looks idle but does not answer
    try:
        with qtbot.waitSignal(console.status_message, timeout=3000) as message:
            press(qtbot, console, Qt.Key.Key_Return)
            type_text(qtbot, console, "y")  # typed during the wait: kept, after the new line
        assert "did not say within 1 s" in message.args[0] and "Shift+Enter" in message.args[0]
        assert console.editor.code() == "x = 1\ny"
    finally:
        os.kill(process.pid, signal.SIGCONT)
    assert list(console.kernel.transcript.cells()) == []
