"""Tabs on one kernel: the prompt shows the kernel's next number, and tabs can be told apart."""
from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from .conftest import close_window, open_window, pid_of, press, session_of, type_keys, wait_idle

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def run_typed(qtbot: QtBot, console, code: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_keys(qtbot, code)
        press(qtbot, Qt.Key.Key_Return)


def test_a_second_tab_shows_the_kernels_next_prompt_number_and_follows_the_other_tab(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    first = window.current_tab()
    assert first is not None and first.console is not None
    for code in ("a = 1", "b = 2", "c = 3"):
        run_typed(qtbot, first.console, code)
    assert first.console.prompt.text() == "In [4]:"
    press(qtbot, Qt.Key.Key_T, CTRL | SHIFT)
    second = window.current_tab()
    assert second is not None and second is not first
    wait_idle(qtbot, second)
    assert second.console is not None
    qtbot.waitUntil(lambda: second.console.prompt.text() == "In [4]:", timeout=10000)
    # The first tab runs two cells: the second tab's prompt follows without running anything.
    window.tabs.setCurrentWidget(first)
    run_typed(qtbot, first.console, "d = 4")
    run_typed(qtbot, first.console, "e = 5")
    qtbot.waitUntil(lambda: second.console.prompt.text() == "In [6]:", timeout=10000)
    window.tabs.setCurrentWidget(second)
    run_typed(qtbot, second.console, "print(a + e)")
    (mine,) = [cell for cell in session_of(second).transcript.cells() if not cell.foreign]
    assert mine.execution_count == 6 and second.console.prompt.text() == "In [7]:"
    qtbot.waitUntil(lambda: first.console.prompt.text() == "In [7]:", timeout=10000)
    qtbot.waitUntil(lambda: not first.running_code, timeout=10000)  # its copy of the cell ends on idle
    close_window(qtbot, window)


def test_tabs_on_one_kernel_are_marked_shared_and_numbered(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    first = window.current_tab()
    assert first is not None
    name = session_of(first).kernel.display_name
    assert window.tabs.tabText(0) == name
    press(qtbot, Qt.Key.Key_T, CTRL | SHIFT)
    second = window.current_tab()
    assert second is not None
    wait_idle(qtbot, second)
    assert window.tabs.tabText(0) == f"⇄ {name}" and window.tabs.tabText(1) == f"⇄ {name} (2)"
    tooltip = window.tabs.tabToolTip(1)
    assert str(pid_of(first)) in tooltip and "Shared by 2 tabs" in tooltip and "Connection file: " in tooltip
    # Another kernel of the same kind is numbered, not shared.
    press(qtbot, Qt.Key.Key_T, CTRL)
    third = window.current_tab()
    assert third is not None
    wait_idle(qtbot, third)
    assert window.tabs.tabText(2) == f"{name} #2"
    # Closing the first tab leaves the second alone on its kernel: no longer shared.
    window.tabs.setCurrentWidget(first)
    press(qtbot, Qt.Key.Key_W, CTRL)
    qtbot.waitUntil(lambda: window.tabs.count() == 2, timeout=5000)
    assert [window.tabs.tabText(i) for i in range(2)] == [name, f"{name} #2"]
    close_window(qtbot, window)
