"""Ctrl+C, Ctrl+L and user-defined shortcuts in the editor (real ipykernel)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.kernel_session import KernelSession
from conch.app.settings import Settings

from .conftest import CTRL, press, type_text


def test_ctrl_c_without_a_selection_interrupts_the_running_cell(qtbot: QtBot, console: ConsoleWidget) -> None:
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("import time\nwhile True: time.sleep(0.01)")
        qtbot.waitUntil(lambda: console.kernel.running_for is not None, timeout=10000)
        press(qtbot, console, Qt.Key.Key_C, CTRL)
    (error,) = console.outputs()
    assert "KeyboardInterrupt" in error.text


def test_ctrl_c_with_a_selection_copies_it(qtbot: QtBot, console: ConsoleWidget) -> None:
    said: list[str] = []
    console.status_message.connect(said.append)
    type_text(qtbot, console, "copy me")
    console.editor.selectAll()
    press(qtbot, console, Qt.Key.Key_C, CTRL)
    assert QGuiApplication.clipboard().text() == "copy me"
    assert not any("Interrupt" in text for text in said)  # copied, not interrupted


def test_ctrl_l_clears_the_transcript_and_standard_editing_keys_work(qtbot: QtBot, console: ConsoleWidget) -> None:
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("print('old output')")
    press(qtbot, console, Qt.Key.Key_L, CTRL)
    assert console.transcript_text() == "" and console.outputs() == []
    type_text(qtbot, console, "abc def")
    press(qtbot, console, Qt.Key.Key_Z, CTRL)  # undo
    assert console.editor.code() != "abc def"
    press(qtbot, console, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # redo
    assert console.editor.code() == "abc def"
    press(qtbot, console, Qt.Key.Key_Left, CTRL)  # word move
    type_text(qtbot, console, "X")
    assert console.editor.code() == "abc Xdef"


def test_ctrl_l_while_a_cell_runs_keeps_it_and_shows_what_it_prints_next(qtbot: QtBot, console: ConsoleWidget) -> None:
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("print('old output')")
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("import time\nprint('first', flush=True)\ntime.sleep(0.5)\nprint('second')")
        qtbot.waitUntil(lambda: len(console.outputs()) == 2, timeout=10000)
        press(qtbot, console, Qt.Key.Key_L, CTRL)
        assert console.outputs() == []
        assert console.transcript_text().startswith("In [*]: import time")  # the running cell stays
    assert [output.text for output in console.outputs()] == ["second\n"]
    assert "old output" not in console.transcript_text()


def test_a_user_shortcut_replaces_the_default(qtbot: QtBot, kernel: KernelSession, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {"execute_now": "Ctrl+J", "clear_transcript": []}}')
    console = ConsoleWidget(kernel, settings=Settings.load(path))
    qtbot.addWidget(console)
    console.show()
    type_text(qtbot, console, "for i in range(2):")
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        press(qtbot, console, Qt.Key.Key_J, CTRL)
    assert console.outputs()[0].kind == "error"  # run at once, incomplete as it was
    press(qtbot, console, Qt.Key.Key_L, CTRL)  # unbound now: an ordinary key
    assert console.outputs() != []
    type_text(qtbot, console, "1")
    press(qtbot, console, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # no longer bound
    assert len(list(console.kernel.transcript.cells())) == 1
