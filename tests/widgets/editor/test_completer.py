"""Tab completion against a real ipykernel."""
from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget

from .conftest import kernel_round_trip, press, type_text


def test_import_o_tab_lists_modules_with_types_and_filters_as_you_type(qtbot: QtBot, console: ConsoleWidget) -> None:
    # IPython gives up inferring types after 400 ms and says "<unknown>" (seen on a loaded CI
    # machine); the test is about showing the types the kernel sends, so give it time.
    with qtbot.waitSignal(console.execution_finished, timeout=20000):
        console.execute("get_ipython().Completer.jedi_compute_type_timeout = 20000")
    cells = list(console.kernel.transcript.cells())
    popup = console.completer.popup
    type_text(qtbot, console, "import o")
    press(qtbot, console, Qt.Key.Key_Tab)
    qtbot.waitUntil(popup.isVisible, timeout=10000)
    texts = [c.text for c in popup.items()]
    assert "os" in texts and "operator" in texts
    assert {c.type for c in popup.items()} == {"module"}
    assert console.editor.code() == "import o"  # several matches: nothing inserted yet
    type_text(qtbot, console, "s")
    assert [c.text for c in popup.items()][0] == "os" and "operator" not in [c.text for c in popup.items()]
    press(qtbot, console, Qt.Key.Key_Return)
    assert not popup.isVisible() and console.editor.code() == "import os"
    assert list(console.kernel.transcript.cells()) == cells  # Enter accepted the completion, it did not run


def test_arrow_keys_pick_and_tab_accepts_and_esc_closes(qtbot: QtBot, console: ConsoleWidget) -> None:
    popup = console.completer.popup
    type_text(qtbot, console, "import o")
    press(qtbot, console, Qt.Key.Key_Tab)
    qtbot.waitUntil(popup.isVisible, timeout=10000)
    second = popup.items()[1].text
    press(qtbot, console, Qt.Key.Key_Down)
    press(qtbot, console, Qt.Key.Key_Tab)
    assert console.editor.code() == f"import {second}"
    type_text(qtbot, console, "; import o")
    press(qtbot, console, Qt.Key.Key_Tab)
    qtbot.waitUntil(popup.isVisible, timeout=10000)
    press(qtbot, console, Qt.Key.Key_Escape)
    assert not popup.isVisible() and console.editor.code() == f"import {second}; import o"


def test_a_single_match_is_inserted_directly(qtbot: QtBot, console: ConsoleWidget) -> None:
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("only_completion_target = 1")
    type_text(qtbot, console, "only_completion_ta")
    press(qtbot, console, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: console.editor.code() == "only_completion_target", timeout=10000)
    assert not console.completer.popup.isVisible()


def test_common_prefix_is_inserted_before_the_list_opens(qtbot: QtBot, console: ConsoleWidget) -> None:
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("alpha_one = 1; alpha_two = 2")
    type_text(qtbot, console, "alp")
    press(qtbot, console, Qt.Key.Key_Tab)
    qtbot.waitUntil(console.completer.popup.isVisible, timeout=10000)
    assert console.editor.code() == "alpha_"
    assert [c.text for c in console.completer.popup.items()] == ["alpha_one", "alpha_two"]


def test_reply_for_an_outdated_cursor_is_discarded(qtbot: QtBot, console: ConsoleWidget) -> None:
    type_text(qtbot, console, "import jso")
    press(qtbot, console, Qt.Key.Key_Tab)
    type_text(qtbot, console, "n, s")  # typed before the reply can arrive
    kernel_round_trip(qtbot, console)
    assert console.editor.code() == "import json, s"
    assert not console.completer.popup.isVisible()


def test_tab_at_line_start_indents(qtbot: QtBot, console: ConsoleWidget) -> None:
    type_text(qtbot, console, "if True:")
    qtbot.keyClick(console.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, console, Qt.Key.Key_Tab)
    assert console.editor.code() == "if True:\n    "
    press(qtbot, console, Qt.Key.Key_Space)
    press(qtbot, console, Qt.Key.Key_Tab)  # to the next multiple of four
    assert console.editor.code() == "if True:\n        "
    press(qtbot, console, Qt.Key.Key_Backspace)  # back to the previous stop
    assert console.editor.code() == "if True:\n    "
