"""Keys a person types are never lost: focus comes back to the editor, and one dispatch path
decides every shortcut (real key presses on whatever has the focus)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from conch.app.settings import Settings
from conch.app.kernel.status import KernelStatus

from .conftest import close_window, focused, open_window, press, session_of, type_keys, wait_idle

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def current_console(window):  # type: ignore[no-untyped-def]
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    return tab.console


def test_the_editor_has_the_focus_when_a_tab_opens(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    assert focused() is current_console(window).editor
    close_window(qtbot, window)


def test_typing_after_find_and_escape_goes_to_the_editor(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = current_console(window)
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert console.find_bar.isVisible() and focused() is console.find_bar.field
    type_keys(qtbot, "needle")
    press(qtbot, Qt.Key.Key_Escape)
    assert not console.find_bar.isVisible()
    type_keys(qtbot, "x = 1")
    assert console.editor.code() == "x = 1" and focused() is console.editor
    close_window(qtbot, window)


def test_typing_after_closing_a_tab_goes_to_the_remaining_tabs_editor(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=2)
    first, second = window.tab_list()
    assert window.current_tab() is second
    press(qtbot, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
    type_keys(qtbot, "y")
    assert first.console is not None and first.console.editor.code() == "y"
    close_window(qtbot, window)


def test_switching_tabs_puts_the_focus_in_the_shown_editor(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=2)
    first, second = window.tab_list()
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    assert window.current_tab() is first and first.console is not None and focused() is first.console.editor
    close_window(qtbot, window)


def click_in_transcript_after(qtbot: QtBot, window, code: str):  # type: ignore[no-untyped-def]
    """Run ``code`` as typed, then click in the transcript (it takes the focus)."""
    console = current_console(window)
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_keys(qtbot, code)
        press(qtbot, Qt.Key.Key_Return)
    console.view.flush()
    qtbot.mouseClick(console.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(150, 20))
    assert focused() is console.view
    return console


def test_typing_after_clicking_in_the_transcript_goes_to_the_editor(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = click_in_transcript_after(qtbot, window, "print('some output')")
    type_keys(qtbot, "abc")
    assert console.editor.code() == "abc" and focused() is console.editor
    close_window(qtbot, window)


def test_ctrl_c_in_the_transcript_copies_its_selection(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = click_in_transcript_after(qtbot, window, "print('copy me')")
    press(qtbot, Qt.Key.Key_A, CTRL)
    press(qtbot, Qt.Key.Key_C, CTRL)
    from PySide6.QtGui import QGuiApplication

    assert "copy me" in QGuiApplication.clipboard().text()
    assert not console.is_busy() and session_of(window.current_tab()).status is KernelStatus.IDLE
    close_window(qtbot, window)


def test_window_keys_work_from_the_find_bar_and_the_transcript(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = current_console(window)
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert isinstance(focused(), QLineEdit)
    press(qtbot, Qt.Key.Key_T, CTRL)  # a new tab, even from the find field
    assert window.tabs.count() == 2
    new = window.current_tab()
    assert new is not None
    wait_idle(qtbot, new)
    assert new.console is not None and focused() is new.console.editor
    assert not console.find_bar.isHidden()  # the other tab's bar stays as it was
    close_window(qtbot, window)


def test_escape_in_the_transcript_returns_to_the_editor(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = current_console(window)
    qtbot.mouseClick(console.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(150, 20))
    assert focused() is console.view
    press(qtbot, Qt.Key.Key_Escape)
    assert focused() is console.editor
    close_window(qtbot, window)


def test_closing_the_pager_with_escape_returns_to_the_editor(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = current_console(window)
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_keys(qtbot, "len?")
        press(qtbot, Qt.Key.Key_Return)
    assert console.pager.isVisible()
    console.pager.text.setFocus()
    press(qtbot, Qt.Key.Key_Escape)
    assert not console.pager.isVisible() and focused() is console.editor
    close_window(qtbot, window)


def test_a_key_bound_twice_is_decided_by_where_the_focus_is(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {"find": "Ctrl+R"}}')  # also history search's key
    window = open_window(qtbot, settings=Settings.load(path))
    console = current_console(window)
    press(qtbot, Qt.Key.Key_R, CTRL)  # in the editor: its own action wins
    assert console.history_search.isVisible() and not console.find_bar.isVisible()
    press(qtbot, Qt.Key.Key_Escape)
    assert focused() is console.editor
    qtbot.mouseClick(console.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(150, 20))
    press(qtbot, Qt.Key.Key_R, CTRL)  # in the transcript: the console's find
    assert console.find_bar.isVisible()
    close_window(qtbot, window)


def test_shift_tab_twice_opens_the_pager_without_leaving_the_tip_over_it(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = current_console(window)
    type_keys(qtbot, "print")
    press(qtbot, Qt.Key.Key_Tab, SHIFT)
    qtbot.waitUntil(lambda: console.inspector.tip.isVisible(), timeout=10000)
    press(qtbot, Qt.Key.Key_Tab, SHIFT)
    qtbot.waitUntil(lambda: console.pager.isVisible(), timeout=10000)
    assert not console.inspector.tip.isVisible()
    close_window(qtbot, window)


def test_enter_on_an_empty_prompt_of_a_new_tab_runs_nothing(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    press(qtbot, Qt.Key.Key_T, CTRL)
    tab = window.current_tab()
    assert tab is not None
    wait_idle(qtbot, tab)
    console = current_console(window)
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return, SHIFT)
    type_keys(qtbot, "   ")
    press(qtbot, Qt.Key.Key_Return)
    assert console.editor.code() == "" and console.prompt.text() == "In [1]:"
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_keys(qtbot, "1+1")
        press(qtbot, Qt.Key.Key_Return)
    cells = list(session_of(tab).transcript.cells())
    assert [(c.code, c.execution_count) for c in cells] == [("1+1", 1)]
    assert not console.is_busy() and console.prompt.text() == "In [2]:"
    close_window(qtbot, window)


def test_enter_on_an_empty_prompt_while_a_cell_runs_adds_nothing(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    console = current_console(window)
    finished: list[str] = []
    console.execution_finished.connect(finished.append)
    type_keys(qtbot, "import time; time.sleep(1)")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: console.is_busy(), timeout=10000)
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=30000)
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_keys(qtbot, "2+2")
        press(qtbot, Qt.Key.Key_Return)
    assert [c.code for c in console.kernel.transcript.cells()] == ["import time; time.sleep(1)", "2+2"]
    assert len(finished) == 2 and not console.is_busy()
    close_window(qtbot, window)
