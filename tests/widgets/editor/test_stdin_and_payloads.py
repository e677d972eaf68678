"""input()/getpass() in the transcript, %load and exit payloads (real ipykernel)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget

from .conftest import CTRL, press, type_text


def test_input_shows_an_inline_field_with_the_prompt_and_takes_focus(qtbot: QtBot, console: ConsoleWidget) -> None:
    field = console.stdin_field
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("name = input('Your name: '); print('Hello', name)")
        qtbot.waitUntil(lambda: field.isVisible() and field.field.hasFocus(), timeout=10000)
        assert field.prompt.text() == "Your name: "
        assert field.field.echoMode() == QLineEdit.EchoMode.Normal
        # The field sits inside the transcript, below the last block, left of nothing else.
        assert field.parentWidget() is console.view.viewport()
        qtbot.keyClicks(field.field, "Ada")
        qtbot.keyClick(field.field, Qt.Key.Key_Return)
    assert not field.isVisible() and console.editor.hasFocus()
    assert "Your name: Ada\nHello Ada\n" in console.transcript_text()


def test_getpass_masks_the_field_and_never_echoes_the_password(qtbot: QtBot, console: ConsoleWidget) -> None:
    field = console.stdin_field
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("import getpass; secret = getpass.getpass('Password: '); print(len(secret))")
        qtbot.waitUntil(lambda: field.isVisible() and field.field.hasFocus(), timeout=10000)
        assert field.field.echoMode() == QLineEdit.EchoMode.Password
        qtbot.keyClicks(field.field, "hunter2")
        qtbot.keyClick(field.field, Qt.Key.Key_Return)
    text = console.transcript_text()
    assert "hunter2" not in text and "Password: " in text and "7\n" in text


def test_ctrl_c_while_waiting_for_input_interrupts_the_kernel(qtbot: QtBot, console: ConsoleWidget) -> None:
    field = console.stdin_field
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("input('never answered: ')")
        qtbot.waitUntil(lambda: field.isVisible() and field.field.hasFocus(), timeout=10000)
        qtbot.keyClick(field.field, Qt.Key.Key_C, CTRL)
    assert any(o.kind == "error" and "KeyboardInterrupt" in o.text for o in console.outputs())
    assert not field.isVisible() and console.editor.hasFocus()
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("print('still alive')")
    assert console.outputs()[-1].text == "still alive\n"


def test_load_fills_the_editor_through_set_next_input(qtbot: QtBot, console: ConsoleWidget, tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text("def loaded():\n    return 'from a file'\n")
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_text(qtbot, console, f"%load {script}")
        press(qtbot, console, Qt.Key.Key_Return)
    assert console.editor.code() == f"# %load {script}\ndef loaded():\n    return 'from a file'"
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        qtbot.keyClick(console.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("loaded()")
    assert console.outputs()[-1].text == "'from a file'"


def test_exit_asks_the_console_to_close(qtbot: QtBot, console: ConsoleWidget) -> None:
    with qtbot.waitSignal(console.exit_requested, timeout=30000) as request:
        type_text(qtbot, console, "exit")
        press(qtbot, console, Qt.Key.Key_Return)
    assert request.args == [False]
