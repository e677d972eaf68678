"""The memory of the session: geometry and tabs across a restart of the window, the offer to
reopen them (new kernels, never the old ones), and File ▸ Open Recent. Real kernels, real keys."""
from __future__ import annotations

from pathlib import Path

from jupyter_client.manager import KernelManager
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget
from pytestqt.qtbot import QtBot

from conch.app.main_window import MainWindow
from conch.app.recent_servers import RECENT_HOSTS_FILE, RecentServer, remember
from conch.app.session_memory import SessionState, TabRecord, load_session, save_session
from conch.app.settings import config_dir
from conch.app.window_session import fit_on_screen, offer_last_session
from conch.widgets.kernel_tab import KernelTab
from conch.widgets.server_dialog import ServerDialog
from conch.widgets.ssh_dialog import SshDialog

from .conftest import close_window, focused, open_window, pid_of, press, session_of, type_keys, wait_idle


def new_window(qtbot: QtBot) -> MainWindow:
    """A window as the app makes one: size and place from the session file, then shown."""
    window = MainWindow("python3")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def click(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Click the session banner's button ``text`` with the mouse."""
    (button,) = [b for b in window.session_banner.buttons() if b.text() == text]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def result_of(tab: KernelTab, qtbot: QtBot, code: str) -> str:
    """Type ``code`` and Enter in ``tab`` (which has the focus); the text of its result."""
    console = tab.console
    assert console is not None and focused() is console.editor
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        type_keys(qtbot, code)
        press(qtbot, Qt.Key.Key_Return)
    return str(session_of(tab).transcript.outputs()[-1].data["text/plain"])


def on_a_screen(widget: QWidget) -> bool:
    frame = widget.frameGeometry()
    return any(s.availableGeometry().intersected(frame).width() >= 48 and
               s.availableGeometry().intersected(frame).height() >= 48 for s in QGuiApplication.screens())


def test_geometry_and_tabs_restore_across_a_restart_of_the_window(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=2)
    window.tabs.setCurrentIndex(1)
    window.rename_current_tab()
    type_keys(qtbot, "analysis")
    press(qtbot, Qt.Key.Key_Return)
    first, second = window.tab_list()
    assert second.custom_title == "analysis"
    window.tabs.setCurrentIndex(0)
    shared = window.new_tab_on_current_kernel()  # a second console on the first kernel: not a third kernel
    assert shared is not None
    wait_idle(qtbot, shared)
    window.move(31, 27)
    window.resize(640, 470)
    qtbot.waitUntil(lambda: window.size().width() == 640)
    geometry = window.geometry()
    old_pids = {pid_of(first), pid_of(second)}
    close_window(qtbot, window)
    assert [(t.kind, t.kernel_name, t.title) for t in load_session().tabs] == [
        ("local", "python3", None), ("local", "python3", "analysis")
    ]

    window = new_window(qtbot)
    assert window.geometry() == geometry
    assert not window.session_banner.isVisible()  # only the app (or a test) asks for the offer
    tab = window.new_tab()  # what `conch` opens anyway
    assert offer_last_session(window)
    banner = window.session_banner
    assert banner.isVisible() and banner.level == "info"
    text = banner.label.text()
    assert "2 tabs" in text and "Python 3" in text and "analysis" in text, text
    assert [b.text() for b in banner.buttons()] == ["Reopen", "Dismiss"]
    wait_idle(qtbot, tab)
    assert result_of(tab, qtbot, "1+1") == "2"  # the banner takes no keys
    assert banner.isVisible()

    click(qtbot, window, "Reopen")
    assert not banner.isVisible()
    assert window.tabs.count() == 3
    reopened = window.tab_list()[1:]
    for new in reopened:
        wait_idle(qtbot, new)
    assert [t.kernel_name for t in reopened] == ["python3", "python3"]
    assert [t.custom_title for t in reopened] == [None, "analysis"]
    assert window.tabs.tabText(2) == "analysis"
    new_pids = {pid_of(t) for t in reopened}
    assert len(new_pids) == 2 and not new_pids & old_pids and pid_of(tab) not in new_pids
    current = window.current_tab()
    assert current is reopened[1]
    assert result_of(current, qtbot, "21*2") == "42"  # the click left the keyboard with the editor
    assert load_session().tabs == []  # offered once
    close_window(qtbot, window)
    assert len(load_session().tabs) == 3


def test_a_window_that_was_on_a_screen_now_gone_comes_back_on_a_visible_one(qtbot: QtBot) -> None:
    window = new_window(qtbot)
    screen = QGuiApplication.primaryScreen().availableGeometry()
    window.resize(400, 300)
    assert on_a_screen(window) and not fit_on_screen(window)  # visible: left where it is
    window.move(screen.right() + 3000, screen.bottom() + 2000)  # on a monitor unplugged since
    qtbot.waitUntil(lambda: window.pos().x() > screen.right())
    assert not on_a_screen(window)
    save_session(SessionState(geometry=bytes(window.saveGeometry().data())))
    window.hide()

    restored = new_window(qtbot)  # (Qt's restoreGeometry may clamp it too: fit_on_screen is checked below)
    assert on_a_screen(restored), restored.frameGeometry()
    assert restored.size().width() <= 400

    window.move(screen.right() + 3000, -5000)
    assert fit_on_screen(window) and on_a_screen(window)
    assert screen.contains(window.frameGeometry().center())
    window.resize(screen.width() * 3, screen.height() * 3)
    window.move(QPoint(-screen.width() * 6, 0))
    assert fit_on_screen(window) and on_a_screen(window)
    assert window.frameGeometry().width() <= screen.width()  # shrunk to fit


def test_dismiss_forgets_the_offer_until_there_are_tabs_again(qtbot: QtBot) -> None:
    save_session(SessionState(tabs=[TabRecord("local", "python3", title="scratch"),
                                    TabRecord("connection_file", "python3", path="/nowhere/kernel-9.json")]))
    window = new_window(qtbot)
    assert offer_last_session(window)
    text = window.session_banner.label.text()
    assert "2 tabs: scratch, python3 (from kernel-9.json)" in text and "Open Recent" in text
    click(qtbot, window, "Dismiss")
    assert not window.session_banner.isVisible() and window.tabs.count() == 0
    assert load_session().tabs == []
    close_window(qtbot, window)

    window = open_window(qtbot, tabs=1)
    assert not offer_last_session(window) and not window.session_banner.isVisible()
    close_window(qtbot, window)
    window = new_window(qtbot)
    assert offer_last_session(window)  # there were tabs again
    assert "1 tab: Python 3" in window.session_banner.label.text()
    click(qtbot, window, "Dismiss")
    close_window(qtbot, window)


def test_only_connection_file_tabs_are_not_offered(qtbot: QtBot) -> None:
    save_session(SessionState(tabs=[TabRecord("connection_file", "python3", path="/nowhere/kernel-9.json")]))
    window = new_window(qtbot)
    assert not offer_last_session(window) and not window.session_banner.isVisible()
    close_window(qtbot, window)


def recent_menu(window: MainWindow) -> list[str]:
    menu = window.findChild(QMenu, "open_recent_menu")
    assert isinstance(menu, QMenu)
    menu.aboutToShow.emit()
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def trigger(window: MainWindow, start: str) -> None:
    menu = window.findChild(QMenu, "open_recent_menu")
    assert isinstance(menu, QMenu)
    (action,) = [a for a in menu.actions() if a.text().startswith(start)]
    assert action.isEnabled()
    action.trigger()


def test_open_recent_attaches_to_a_connection_file_used_before(qtbot: QtBot, foreign_kernel: KernelManager) -> None:
    path = Path(foreign_kernel.connection_file)
    window = open_window(qtbot, tabs=0)
    assert recent_menu(window) == ["No recent items", "&Clear Recent"]
    tab = window.new_tab(connection_file=path)
    wait_idle(qtbot, tab)
    close_window(qtbot, window)  # leaves the foreign kernel running
    assert foreign_kernel.is_alive()

    window = new_window(qtbot)
    assert not offer_last_session(window)  # someone else's kernel: never reopened by itself
    assert recent_menu(window)[:1] == [f"Kernel: {path}"]
    trigger(window, "Kernel: ")
    tab = window.current_tab()
    assert tab is not None
    wait_idle(qtbot, tab)
    assert session_of(tab).kernel.connection_file == path and not session_of(tab).kernel.owned
    assert result_of(tab, qtbot, "1+1") == "2"
    close_window(qtbot, window)
    assert foreign_kernel.is_alive()


def test_open_recent_opens_the_connect_dialogs_on_recent_servers_and_hosts_and_clears(qtbot: QtBot) -> None:
    remember(config_dir(), RecentServer("https://hub.example.org/user/ada/"))
    remember(config_dir(), RecentServer("http://localhost:8888/"))
    remember(config_dir(), RecentServer("lab"), RECENT_HOSTS_FILE)
    window = new_window(qtbot)
    assert recent_menu(window) == [
        "Server: http://localhost:8888/", "Server: https://hub.example.org/user/ada/", "SSH: lab", "&Clear Recent"
    ]
    trigger(window, "Server: https://hub")
    (dialog,) = window.findChildren(ServerDialog)
    assert dialog.isVisible() and dialog.url.currentText() == "https://hub.example.org/user/ada/"
    dialog.reject()
    trigger(window, "SSH: lab")
    (ssh,) = window.findChildren(SshDialog)
    assert ssh.isVisible() and ssh.host.currentText() == "lab"
    ssh.reject()
    trigger(window, "&Clear Recent")
    assert recent_menu(window) == ["No recent items", "&Clear Recent"]
    close_window(qtbot, window)
