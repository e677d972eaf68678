"""Many kernels in tabs: parallel runs, a second tab on one kernel, tab handling, closing, quitting."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from conch.app.main_window import MainWindow
from conch.app.kernel.status import KernelStatus

from ..conftest import pid_exists
from .conftest import answer, close_window, open_window, pid_of, running, session_of, wait_idle


def test_two_kernels_in_two_tabs_run_at_the_same_time(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=2)
    first, second = window.tab_list()
    assert pid_of(first) != pid_of(second)
    code = "import time; t0 = time.time(); time.sleep(1.5); print('done')"
    for tab in (first, second):
        assert tab.console is not None
        tab.console.execute(code)
    qtbot.waitUntil(lambda: running(first) and running(second), timeout=10000)
    qtbot.waitUntil(lambda: not session_of(first).is_busy() and not session_of(second).is_busy(), timeout=30000)
    for tab in (first, second):
        assert [o.text for o in session_of(tab).transcript.outputs()] == ["done\n"]
        duration = session_of(tab).last_duration
        assert duration is not None and 1.4 <= duration < 10
    # Ran side by side: the later start is before the earlier end.
    starts = []
    for tab in (first, second):
        assert tab.console is not None
        with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
            tab.console.execute("print(t0)")
        starts.append(float(session_of(tab).transcript.outputs()[-1].text))
    assert abs(starts[0] - starts[1]) < 1.5
    close_window(qtbot, window)


def test_second_tab_on_the_same_kernel_sees_the_first_tabs_output_marked_foreign(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    first = window.current_tab()
    assert first is not None and first.console is not None
    second = window.new_tab_on_current_kernel()
    assert second is not None
    wait_idle(qtbot, second)
    assert pid_of(first) == pid_of(second) and window.tabs.count() == 2
    with qtbot.waitSignal(first.console.execution_finished, timeout=30000):
        first.console.execute("shared = 'from the first tab'; print(shared)")
    mirrored = session_of(second).transcript
    qtbot.waitUntil(lambda: any(o.text == "from the first tab\n" for o in mirrored.outputs()), timeout=10000)
    (cell,) = list(mirrored.cells())
    assert cell.foreign and cell.code.startswith("shared =")
    assert second.console is not None
    with qtbot.waitSignal(second.console.execution_finished, timeout=30000):
        second.console.execute("print(shared.upper())")  # one namespace: one kernel
    assert session_of(second).transcript.outputs()[-1].text == "FROM THE FIRST TAB\n"
    # Closing one tab leaves the kernel to the other; closing the last shuts it down.
    pid = pid_of(first)
    window.tabs.setCurrentWidget(first)
    window.close_current_tab()
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
    assert pid_exists(pid) and second.status is KernelStatus.IDLE
    with qtbot.waitSignal(second.console.execution_finished, timeout=30000):
        second.console.execute("print('still here')")
    window.close_current_tab()
    qtbot.waitUntil(lambda: not pid_exists(pid), timeout=5000)
    close_window(qtbot, window)


def test_quitting_shuts_every_launched_kernel_down_within_two_seconds(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=3)
    pids = [pid_of(tab) for tab in window.tab_list()]
    assert all(pid_exists(pid) for pid in pids)
    with qtbot.waitSignal(window.all_kernels_closed, timeout=2000):
        window.close()
    assert not any(pid_exists(pid) for pid in pids)


def window_running_a_long_cell(qtbot: QtBot) -> tuple[MainWindow, int]:
    """A window whose one tab is running a 30 s cell; and the kernel's PID."""
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    tab.console.execute("import time; time.sleep(30)")
    qtbot.waitUntil(lambda: running(tab), timeout=10000)
    return window, pid_of(tab)


def test_closing_a_busy_tab_asks_first(qtbot: QtBot) -> None:
    window, pid = window_running_a_long_cell(qtbot)
    window.close_current_tab()
    question = window.question
    assert question is not None and question.isVisible() and "running code" in question.text()
    answer(qtbot, question, "Cancel")
    assert window.tabs.count() == 1 and pid_exists(pid)
    window.close_current_tab()
    answer(qtbot, window.question, "Close Tab")
    qtbot.waitUntil(lambda: window.tabs.count() == 0 and not pid_exists(pid), timeout=5000)
    close_window(qtbot, window)


def test_quitting_while_a_kernel_is_busy_asks_first(qtbot: QtBot) -> None:
    window, pid = window_running_a_long_cell(qtbot)
    window.close()
    assert window.isVisible() and window.question is not None and window.question.isVisible()
    with qtbot.waitSignal(window.all_kernels_closed, timeout=3000):
        answer(qtbot, window.question, "Quit")  # the button says what it does
    assert not pid_exists(pid)


def test_rename_by_double_click_reorder_and_ctrl_page_keys(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=2)
    first, second = window.tab_list()
    bar = window.tabs.tabBar()
    qtbot.mouseDClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(0).center())
    editor = bar.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.selectAll()
    qtbot.keyClicks(editor, "analysis")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert window.tabs.tabText(0) == "analysis" and first.title() == "analysis"
    assert window.tabs.isMovable()
    bar.moveTab(0, 1)  # what a drag does
    assert window.tabs.widget(1) is first and window.tabs.tabText(1) == "analysis"
    window.tabs.setCurrentIndex(0)
    assert first.console is not None
    qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.current_tab() is first
    qtbot.keyClick(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.current_tab() is second
    assert bar.tabAt(QPoint(2, 2)) == 0
    close_window(qtbot, window)


def test_new_tab_with_lists_kernelspecs_by_display_name(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    file_menu = window.menuBar().actions()[0].menu()
    submenu = next(a.menu() for a in file_menu.actions() if a.text() == "New Tab &With")
    submenu.aboutToShow.emit()
    entries = [a.text() for a in submenu.actions()]
    assert any(text.startswith("Python 3") and "(python3)" in text for text in entries)
    python = next(a for a in submenu.actions() if "(python3)" in a.text())
    python.trigger()
    qtbot.waitUntil(lambda: window.tabs.count() == 2, timeout=5000)
    new = window.tab_list()[1]
    wait_idle(qtbot, new)
    assert session_of(new).kernel.kernel_name == "python3"
    close_window(qtbot, window)


def test_new_tab_with_shows_a_broken_kernelspec_greyed_with_its_reason(qtbot: QtBot, kernelspecs: Path) -> None:
    (kernelspecs / "mangled").mkdir()
    (kernelspecs / "mangled" / "kernel.json").write_text('{"argv": ["python", ')
    window = open_window(qtbot)
    file_menu = window.menuBar().actions()[0].menu()
    submenu = next(a.menu() for a in file_menu.actions() if a.text() == "New Tab &With")
    submenu.aboutToShow.emit()
    (broken,) = [a for a in submenu.actions() if a.text().startswith("mangled")]
    assert not broken.isEnabled() and "kernel.json" in broken.toolTip()
    assert any("(python3)" in a.text() and a.isEnabled() for a in submenu.actions())
    close_window(qtbot, window)


def test_status_bar_shows_the_running_time_and_the_last_duration(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    tab.console.execute("import time; time.sleep(1.2)")
    qtbot.waitUntil(lambda: "running 0.5" in window.kernel_state.text() or "running 0.6" in window.kernel_state.text(), timeout=10000)
    qtbot.waitUntil(lambda: "last run took" in window.kernel_state.text(), timeout=10000)
    took = re.search(r"last run took (\d+\.\d+) s", window.kernel_state.text())
    assert took is not None and 1.1 <= float(took.group(1)) < 5
    assert "idle" in window.kernel_state.text()
    close_window(qtbot, window)
