"""`exit` and `quit` in a tab: asked first, then a clean shutdown; never a "death"."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch.app.kernel.status import KernelStatus
from conch.app.kernel_life import Lifecycle
from conch.app.settings import Settings

from ..conftest import pid_exists
from .conftest import answer, close_window, open_window, pid_of, press, session_of, type_keys, wait_focus, wait_idle

RETURN = Qt.Key.Key_Return


def run_typed(qtbot: QtBot, window, code: str) -> None:  # type: ignore[no-untyped-def]
    tab = window.current_tab()
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
        type_keys(qtbot, code)
        press(qtbot, RETURN)


def test_exit_asks_first_and_cancel_keeps_the_kernel_and_its_variables(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    pid = pid_of(tab)
    run_typed(qtbot, window, "a = 5")
    type_keys(qtbot, "exit")
    press(qtbot, RETURN)
    qtbot.waitUntil(lambda: window.question is not None and window.question.isVisible(), timeout=10000)
    assert "shut its kernel down" in window.question.text()
    press(qtbot, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # keys in the dialog stay there
    assert window.tabs.count() == 1 and pid_exists(pid)
    answer(qtbot, window.question, "Cancel")
    wait_focus(qtbot, tab.console.editor)
    run_typed(qtbot, window, "print(a)")
    session = session_of(tab)
    assert session.transcript.outputs()[-1].text == "5\n"
    assert pid_of(tab) == pid and session.kernel.auto_restarts == 0
    assert "died" not in tab.console.transcript_text() and not tab.banner.isVisible()
    close_window(qtbot, window)


def test_exit_confirmed_closes_the_tab_and_shuts_the_kernel_down(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=2)
    first, second = window.tab_list()
    pid = pid_of(second)
    type_keys(qtbot, "quit()")
    press(qtbot, RETURN)
    qtbot.waitUntil(lambda: window.question is not None and window.question.isVisible(), timeout=10000)
    answer(qtbot, window.question, "Close Tab")
    qtbot.waitUntil(lambda: window.tabs.count() == 1 and not pid_exists(pid), timeout=5000)
    assert window.current_tab() is first
    wait_focus(qtbot, first.console.editor)
    close_window(qtbot, window)


def test_exit_without_confirmation_when_the_settings_say_so(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"confirm_exit": false}')
    window = open_window(qtbot, settings=Settings.load(path))
    tab = window.current_tab()
    assert tab is not None
    pid = pid_of(tab)
    type_keys(qtbot, "exit")
    press(qtbot, RETURN)
    qtbot.waitUntil(lambda: window.tabs.count() == 0 and not pid_exists(pid), timeout=5000)
    assert window.question is None
    close_window(qtbot, window)


def test_exit_keep_kernel_detaches_and_the_other_tab_keeps_the_kernel(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    first = window.current_tab()
    assert first is not None
    run_typed(qtbot, window, "kept = 'yes'")
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    second = window.current_tab()
    assert second is not None and second is not first
    wait_idle(qtbot, second)
    pid = pid_of(first)
    type_keys(qtbot, "exit(keep_kernel=True)")
    press(qtbot, RETURN)
    qtbot.waitUntil(lambda: window.question is not None and window.question.isVisible(), timeout=10000)
    assert "leave its kernel running" in window.question.text()
    answer(qtbot, window.question, "Close Tab")
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
    assert window.current_tab() is first and pid_exists(pid)
    wait_focus(qtbot, first.console.editor)
    run_typed(qtbot, window, "print(kept)")
    assert session_of(first).transcript.outputs()[-1].text == "yes\n"
    close_window(qtbot, window)


def test_exit_keep_kernel_on_the_last_tab_leaves_the_kernel_until_conch_quits(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=2)
    pid = pid_of(window.tab_list()[1])
    type_keys(qtbot, "exit(True)")
    press(qtbot, RETURN)
    qtbot.waitUntil(lambda: window.question is not None and window.question.isVisible(), timeout=10000)
    answer(qtbot, window.question, "Close Tab")
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
    assert pid_exists(pid)
    assert "Connect to Existing Kernel reconnects (kernel-" in window.statusBar().currentMessage()
    close_window(qtbot, window)
    qtbot.waitUntil(lambda: not pid_exists(pid), timeout=5000)


def test_exit_from_inside_code_is_reported_as_an_exit_not_a_death(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    pid = pid_of(tab)
    type_keys(qtbot, "if True: exit()")  # not a bare `exit`: the kernel itself ends
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.question is not None and window.question.isVisible(), timeout=10000)
    assert "is ending" in window.question.text()
    qtbot.waitUntil(lambda: not pid_exists(pid) and tab.status is KernelStatus.DEAD, timeout=10000)
    answer(qtbot, window.question, "Cancel")
    session = session_of(tab)
    assert session.exited_on_request and session.kernel.auto_restarts == 0
    assert "(exited)" in window.tabs.tabText(0) and tab.console.prompt.text() == "exited"
    assert tab.banner.level == "info" and "asked to" in tab.banner.label.text()
    assert "died" not in tab.console.transcript_text()
    QApplication.processEvents()  # an automatic restart would be under way by now
    assert tab.status is KernelStatus.DEAD and session.kernel.state is Lifecycle.DEAD
    restart = next(b for b in tab.banner.buttons() if b.text() == "Restart")
    qtbot.mouseClick(restart, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, tab)
    wait_focus(qtbot, tab.console.editor)
    run_typed(qtbot, window, "print('back')")
    assert session.transcript.outputs()[-1].text == "back\n"
    close_window(qtbot, window)
