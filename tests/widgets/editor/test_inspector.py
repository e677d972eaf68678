"""Calltips (typing "(" or Shift+Tab) and the pager (obj?) against a real ipykernel."""
from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget

from .conftest import SHIFT, press, type_text


def test_typing_an_open_paren_after_print_shows_its_signature(qtbot: QtBot, console: ConsoleWidget) -> None:
    tip = console.inspector.tip
    type_text(qtbot, console, "print(")
    qtbot.waitUntil(tip.isVisible, timeout=10000)
    assert "Signature" in tip.full_text and "print(" in tip.full_text
    assert "\x1b" not in tip.text() and "color:" in tip.text()  # ANSI turned into colours
    assert console.editor.hasFocus() or console.editor.textCursor().position() == 6
    type_text(qtbot, console, "1)")  # the call is closed: the tip goes
    assert not tip.isVisible()


def test_shift_tab_shows_help_esc_closes_and_moving_away_closes(qtbot: QtBot, console: ConsoleWidget) -> None:
    tip = console.inspector.tip
    type_text(qtbot, console, "len")
    press(qtbot, console, Qt.Key.Key_Tab, SHIFT)  # Qt delivers this as Backtab
    qtbot.waitUntil(tip.isVisible, timeout=10000)
    assert "Return the number of items" in tip.full_text
    press(qtbot, console, Qt.Key.Key_Escape)
    assert not tip.isVisible()
    press(qtbot, console, Qt.Key.Key_Backtab, SHIFT)
    qtbot.waitUntil(tip.isVisible, timeout=10000)
    press(qtbot, console, Qt.Key.Key_Home)
    assert not tip.isVisible()


def test_no_tip_after_a_paren_that_follows_no_name(qtbot: QtBot, console: ConsoleWidget) -> None:
    type_text(qtbot, console, "x = (")
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute("pass")  # a round trip: an inspect reply would have come first
    assert not console.inspector.tip.isVisible()


def test_question_mark_opens_the_pager_and_esc_closes_it(qtbot: QtBot, console: ConsoleWidget) -> None:
    pager = console.pager
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_text(qtbot, console, "print?")
        press(qtbot, console, Qt.Key.Key_Return)
    qtbot.waitUntil(pager.isVisible, timeout=5000)
    text = pager.plain_text()
    assert "Signature:" in text and "Prints the values to a stream" in text and "\x1b" not in text
    assert console.view.height() > 50  # the transcript is still there above the pager
    press(qtbot, console, Qt.Key.Key_Escape)
    assert not pager.isVisible()


def test_shift_tab_twice_opens_the_whole_help_in_the_pager(qtbot: QtBot, console: ConsoleWidget) -> None:
    type_text(qtbot, console, "dict")
    press(qtbot, console, Qt.Key.Key_Backtab, SHIFT)
    qtbot.waitUntil(console.inspector.tip.isVisible, timeout=10000)
    press(qtbot, console, Qt.Key.Key_Backtab, SHIFT)
    assert console.pager.isVisible() and not console.inspector.tip.isVisible()
    assert "dict" in console.pager.plain_text()
