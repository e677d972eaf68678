"""History: Up/Down with prefix filtering, Ctrl+R, and survival across restarts (real ipykernel)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.kernel.status import KernelStatus

from .conftest import CTRL, press, type_text


def run_typed(qtbot: QtBot, console: ConsoleWidget, code: str) -> None:
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_text(qtbot, console, code)
        press(qtbot, console, Qt.Key.Key_Return)


def test_up_after_two_executions_walks_back_and_down_returns(qtbot: QtBot, console: ConsoleWidget) -> None:
    run_typed(qtbot, console, "first = 1")
    run_typed(qtbot, console, "second = 2")
    press(qtbot, console, Qt.Key.Key_Up)
    assert console.editor.code() == "second = 2"
    press(qtbot, console, Qt.Key.Key_Up)
    assert console.editor.code() == "first = 1"
    press(qtbot, console, Qt.Key.Key_Down)
    assert console.editor.code() == "second = 2"
    press(qtbot, console, Qt.Key.Key_Down)
    assert console.editor.code() == ""  # back to the (empty) draft


def test_up_is_filtered_by_the_text_before_the_cursor(qtbot: QtBot, console: ConsoleWidget) -> None:
    run_typed(qtbot, console, "alpha = 1")
    run_typed(qtbot, console, "beta = 2")
    run_typed(qtbot, console, "alpha += 1")
    run_typed(qtbot, console, "gamma = 3")
    type_text(qtbot, console, "al")
    press(qtbot, console, Qt.Key.Key_Up)
    assert console.editor.code() == "alpha += 1"
    press(qtbot, console, Qt.Key.Key_Up)
    assert console.editor.code() == "alpha = 1"
    press(qtbot, console, Qt.Key.Key_Down)
    press(qtbot, console, Qt.Key.Key_Down)
    assert console.editor.code() == "al"  # the draft comes back


def test_up_inside_a_multi_line_input_moves_the_cursor_first(qtbot: QtBot, console: ConsoleWidget) -> None:
    run_typed(qtbot, console, "older = 0")
    type_text(qtbot, console, "x = 1\ny = 2")
    press(qtbot, console, Qt.Key.Key_Up)
    assert console.editor.code() == "x = 1\ny = 2" and console.editor.cursor_on_first_line()
    press(qtbot, console, Qt.Key.Key_Home)
    press(qtbot, console, Qt.Key.Key_Up)
    assert console.editor.code() == "older = 0"


def test_ctrl_r_searches_incrementally_enter_keeps_esc_restores(qtbot: QtBot, console: ConsoleWidget) -> None:
    run_typed(qtbot, console, "import math")
    run_typed(qtbot, console, "value = math.pi")
    run_typed(qtbot, console, "print(value)")
    type_text(qtbot, console, "draft")
    bar = console.history_search
    press(qtbot, console, Qt.Key.Key_R, CTRL)
    assert bar.isVisible() and bar.field.hasFocus()
    qtbot.keyClicks(bar.field, "ma")
    assert console.editor.code() == "value = math.pi"
    qtbot.keyClick(bar.field, Qt.Key.Key_R, CTRL)  # next older match
    assert console.editor.code() == "import math"
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and console.editor.code() == "draft" and console.editor.hasFocus()
    press(qtbot, console, Qt.Key.Key_R, CTRL)
    qtbot.keyClicks(bar.field, "print")
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert not bar.isVisible() and console.editor.code() == "print(value)"
    assert console.kernel.transcript.entries[-1].code == "print(value)"  # type: ignore[union-attr]
    assert len(list(console.kernel.transcript.cells())) == 3  # Enter in the search did not run it


def test_history_survives_a_kernel_restart(qtbot: QtBot, console: ConsoleWidget) -> None:
    run_typed(qtbot, console, "before_restart = 1")
    console.kernel.restart()
    qtbot.waitUntil(lambda: console.kernel.status is KernelStatus.IDLE, timeout=30000)
    press(qtbot, console, Qt.Key.Key_Up)
    assert console.editor.code() == "before_restart = 1"


def test_history_is_loaded_from_the_kernel_on_connect(qtbot: QtBot, console: ConsoleWidget) -> None:
    # ipykernel keeps history in a database, shared by kernels of one profile: what one
    # session ran shows up in the next session's history_request.
    marker = "loaded_from_history = 42"
    run_typed(qtbot, console, marker)
    from conch import start_kernel

    second = start_kernel("python3")
    try:
        qtbot.waitUntil(lambda: marker in second.history.entries, timeout=30000)
    finally:
        second.shutdown()
        process = second.process
        assert process is not None
        qtbot.waitUntil(lambda: not process.is_alive(), timeout=5000)
