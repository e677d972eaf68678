"""The main window: one tab per console, menus, and a status bar."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabBar, QTabWidget, QVBoxLayout, QWidget

from conch.app.kernel.status import KernelStatus
from conch.app.kernel_life import Lifecycle
from conch.app.session_memory import TabRecord, server_record
from conch.app.settings import Settings
from conch.app import window_session
from conch.app.window_look import WindowLook
from conch.app.window_menus import build_menus
from conch.widgets.connection_picker import ConnectionPicker
from conch.widgets.kernel_banner import KernelBanner
from conch.widgets.kernel_tab import KernelTab
from conch.widgets.key_dispatch import KeyDispatcher
from conch.widgets.keymap import KeyMap
from conch.widgets.status_look import state_icon
from conch.widgets.tab_renamer import TabRenamer
from conch.widgets.tab_titles import number_tabs

if TYPE_CHECKING:
    from conch.app.kernel.launcher import LocalKernelProcess
    from conch.app.kernel.server_api import ServerApi
    from conch.app.kernel.server_url import ServerAddress
    from conch.app.kernel_session import Kernel
    from conch.widgets.preferences_dialog import PreferencesDialog
    from conch.widgets.server_dialog import ServerDialog
    from conch.widgets.ssh_dialog import SshDialog

_CLOCK_MS = 100


class MainWindow(QMainWindow):
    """Holds the console tabs. Kernels start after the window is shown, never blocking it."""

    all_kernels_closed = Signal()
    """After the window closed: every tab's kernel has been shut down (or left, if not ours)."""

    def __init__(self, kernel_name: str = "python3", settings: Settings | None = None) -> None:
        super().__init__()
        self._closing: set[KernelTab] = set()
        self._quitting = False
        self.kernel_name = kernel_name
        self.settings = settings or Settings.load()
        self.question: QMessageBox | None = None
        """The confirmation currently asked (closing a busy tab, quitting, ``exit``), if any."""
        self._server_apis: dict[tuple[str, str | None, str | None], "ServerApi"] = {}
        self._kept: list["Kernel"] = []  # launched kernels left running by exit(keep_kernel=True)
        self.keymap = KeyMap(self.settings.shortcuts)
        self.keys = KeyDispatcher.instance().scope(self, self.keymap)
        """The window's actions (new tab, close tab, quit, interrupt...), wherever the focus is in it."""
        self.setWindowTitle("Conch")
        self.setWindowIcon(QIcon(str(files("conch.resources") / "conch.svg")))
        self.resize(960, 720)
        self.tabs = QTabWidget(self)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.request_close_tab)
        self.tabs.currentChanged.connect(self._on_current_changed)
        self.tabs.tabBarDoubleClicked.connect(self.rename_tab)
        self.settings_banner = KernelBanner(self)
        """Problems in the settings file, shown until the user dismisses them."""
        self.settings_banner.acted.connect(self.focus_editor)
        self.session_banner = KernelBanner(self)
        """The last session's tabs, offered again (``conch.app.window_session``)."""
        self.session_banner.acted.connect(self.focus_editor)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.settings_banner)
        layout.addWidget(self.session_banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._show_settings_problems()
        self.kernel_state = QLabel(self)
        self.statusBar().addPermanentWidget(self.kernel_state)
        self._clock = QTimer(self)  # the running cell's elapsed time
        self._clock.setInterval(_CLOCK_MS)
        self._clock.timeout.connect(self._show_status)
        self.look = WindowLook(self)
        """The window's theme, zoom and status bar, and the preferences taking effect."""
        self.preferences: "PreferencesDialog | None" = None
        """The Preferences dialog last opened (Edit ▸ Preferences)."""
        build_menus(self)
        window_session.restore_window(self)

    # -- opening tabs --------------------------------------------------------------------------
    def new_tab(
        self,
        kernel_name: str | None = None,
        *,
        launched: "tuple[LocalKernelProcess, dict[str, Any]] | None" = None,
        kernel: "Kernel | None" = None,
        connection_file: Path | None = None,
        origin: "TabRecord | None" = None,
    ) -> KernelTab:
        """Open a tab and connect its console on the next event-loop turn: to a new kernel of
        ``kernel_name``, to ``launched`` (already booting), to ``kernel`` (another tab's), or to
        the kernel of ``connection_file``."""
        tab = KernelTab(
            kernel_name or self.kernel_name, self, launched=launched, kernel=kernel,
            connection_file=connection_file, settings=self.settings, origin=origin,
        )
        window_session.watch_tab(tab)
        self.look.adopt(tab)
        index = self.tabs.addTab(tab, tab.title())
        self.tabs.setCurrentIndex(index)
        tab.state_changed.connect(lambda: self._on_tab_state(tab))
        tab.status_message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        tab.status_retracted.connect(self._retract_status)
        tab.exit_requested.connect(lambda keep: self.confirm_exit(tab, keep))
        tab.close_requested.connect(lambda: self._close_tab_now(tab))
        QTimer.singleShot(0, tab.start)
        self._on_tab_state(tab)
        return tab

    def new_server_tab(
        self,
        address: "ServerAddress",
        kernel_name: str | None = None,
        *,
        kernel_id: str | None = None,
        spec_display_name: str | None = None,
        ca_file: str | None = None,
    ) -> KernelTab:
        """A tab on a kernel on a Jupyter server: a new one of ``kernel_name``, or the running
        kernel ``kernel_id``. Returns at once; the tab says what happens (connecting, refused...).
        Raises ValueError for a ``ca_file`` that holds no certificate."""
        from conch.app.kernel.server_api import ServerApi
        from conch.app.server_kernel import ServerKernel

        key = (address.base_url, address.token, ca_file)
        api = self._server_apis.get(key)
        if api is None:
            api = self._server_apis[key] = ServerApi(address, ca_file, parent=self)
        if kernel_id:
            kernel = ServerKernel.attach_to(api, kernel_id, kernel_name or "")
        else:
            kernel = ServerKernel.start(api, kernel_name or "python3", spec_display_name)
        return self.new_tab(kernel.kernel_name or "kernel", kernel=kernel, origin=server_record(address.base_url, ca_file))

    def new_ssh_tab(
        self, host: str, options: "Sequence[str]" = (), kernel_name: str | None = None, *, existing: str | None = None
    ) -> KernelTab:
        """A tab on a kernel on ``host`` over SSH: a new one of ``kernel_name`` on a Jupyter
        server there, or ``existing`` (a connection file there, or a kernel id). Returns at once;
        ssh's questions come up in dialogs; the tab says what happens."""
        from conch.app.embedding import ssh_kernel

        kernel = ssh_kernel(host, options, kernel_name=kernel_name or "python3", existing=existing)
        origin = TabRecord("ssh", host=host, ssh_options=tuple(options))
        return self.new_tab(kernel.kernel_name or "kernel", kernel=kernel, origin=origin)

    def new_tab_on_current_kernel(self) -> KernelTab | None:
        """Another console on the current tab's kernel; each shows the other's executions."""
        tab = self.current_tab()
        session = tab.session if tab is not None else None
        if session is None or session.kernel.state is Lifecycle.CLOSED:
            self.statusBar().showMessage("This tab has no kernel to share.", 8000)
            return None
        return self.new_tab(tab.kernel_name if tab else None, kernel=session.kernel, origin=tab.origin if tab else None)

    def connect_to_server(self) -> "ServerDialog":
        """Show the Connect to Server dialog (without blocking); its choice opens a tab."""
        from conch.app.window_dialogs import open_server_dialog

        return open_server_dialog(self)

    def connect_over_ssh(self) -> "SshDialog":
        """Show the Connect over SSH dialog (without blocking); its choice opens a tab."""
        from conch.app.window_dialogs import open_ssh_dialog

        return open_ssh_dialog(self)

    def save_notebook(self) -> None:
        """Ask where to save the current tab's session as a Jupyter notebook."""
        from conch.app.session_export import ask_and_export

        ask_and_export(self, "notebook")

    def export_html(self) -> None:
        """Ask where to save the current tab's session as one HTML page."""
        from conch.app.session_export import ask_and_export

        ask_and_export(self, "html")

    def pick_existing_kernel(self) -> ConnectionPicker:
        """Show the connection-file picker (without blocking); the pick opens a tab."""
        picker = ConnectionPicker(self)
        picker.chosen.connect(lambda path: self.new_tab(connection_file=path))
        picker.open()
        return picker

    def current_tab(self) -> KernelTab | None:
        return self.tab_at(self.tabs.currentIndex())

    def tab_at(self, index: int) -> KernelTab | None:
        tab = self.tabs.widget(index)
        return tab if isinstance(tab, KernelTab) else None

    def current_kernel_name(self) -> str:
        tab = self.current_tab()
        session = tab.session if tab is not None else None
        if session is not None and session.kernel.owned:
            return session.kernel.kernel_name
        return self.kernel_name

    def tab_list(self) -> list[KernelTab]:
        return [t for t in map(self.tab_at, range(self.tabs.count())) if t is not None]

    def step_tab(self, delta: int) -> None:
        if self.tabs.count():
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + delta) % self.tabs.count())

    def rename_current_tab(self) -> None:
        self.rename_tab(self.tabs.currentIndex())

    def rename_tab(self, index: int) -> None:
        """An in-place editor over the tab's title; Enter keeps, Esc cancels, empty resets."""
        tab = self.tab_at(index)
        if tab is None:
            return

        def done(text: str | None) -> None:
            if text is not None:
                tab.custom_title = text.strip() or None
                self._on_tab_state(tab)
            self.focus_editor()

        TabRenamer(self.tabs.tabBar(), index, tab.custom_title or tab.title(), done, self.keymap)

    def focus_editor(self) -> None:
        """Give the keyboard to the current tab's input editor (after a bar, dialog or tab closes)."""
        tab = self.current_tab()
        if tab is not None:
            if not self.isActiveWindow() and self.isVisible():
                self.activateWindow()  # a closed dialog may leave no window active
            tab.focus_editor()

    # -- closing -------------------------------------------------------------------------------
    def close_current_tab(self) -> None:
        self.request_close_tab(self.tabs.currentIndex())

    def request_close_tab(self, index: int) -> None:
        """Close a tab; if that would stop a kernel Conch launched while it runs code, ask first."""
        tab = self.tab_at(index)
        if tab is None:
            return
        session = tab.session
        stops_kernel = session is not None and session.kernel.owned and session.kernel.console_count == 1
        if stops_kernel and session is not None and session.running_code() and self.settings.confirm_close:
            self._ask(
                "Close Tab",
                f"“{tab.title()}” is running code. Close the tab and shut its kernel down?",
                "Close Tab",
                lambda: self._close_tab_now(tab),
            )
            return
        self._close_tab_now(tab)

    def _close_tab_now(self, tab: KernelTab, keep_kernel: bool = False) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        session = tab.session
        if keep_kernel and session is not None and session.kernel.owned and session.kernel.console_count == 1:
            self._kept.append(session.kernel)  # still ours to end when Conch quits
            hint = session.kernel.reattach_hint()
            self.statusBar().showMessage(f"The kernel keeps running until Conch quits{'; ' + hint if hint else ''}.", 15000)
        self.tabs.removeTab(index)
        self._closing.add(tab)
        tab.closed.connect(lambda: self._on_tab_closed(tab))
        tab.shutdown(keep_kernel=keep_kernel)
        self._refresh_titles()
        self._show_status()
        self.focus_editor()

    def _on_tab_closed(self, tab: KernelTab) -> None:
        self._closing.discard(tab)
        tab.deleteLater()
        if not self._closing and not self.isVisible():
            self.all_kernels_closed.emit()

    def confirm_exit(self, tab: KernelTab, keep_kernel: bool = False) -> QMessageBox | None:
        """The user ran ``exit`` in ``tab``: ask (without blocking, unless the settings say not
        to ask) before closing the tab, then shut its kernel down cleanly, or with
        ``keep_kernel`` leave it running. Returns the question asked, if any."""
        session = tab.session
        name = tab.title()
        if keep_kernel:
            text = f"Close “{name}” and leave its kernel running?"
        elif session is not None and session.kernel.exit_expected:
            text = f"The kernel of “{name}” is ending, as the code asked (exit). Close the tab?"
        elif session is None or (session.kernel.owned and session.kernel.console_count == 1):
            text = f"Close “{name}” and shut its kernel down?"
        else:
            text = f"Close “{name}”? Its kernel keeps running for the other tabs or programs using it."
        if not self.settings.confirm_exit:
            self._close_tab_now(tab, keep_kernel=keep_kernel)
            return None
        return self._ask("Exit", text, "Close Tab", lambda: self._close_tab_now(tab, keep_kernel=keep_kernel))

    def _ask(self, title: str, text: str, yes: str, on_yes: Callable[[], object]) -> QMessageBox:
        """A non-blocking question with a button named for what it does, and Cancel."""
        question = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self)
        accept = question.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        question.setDefaultButton(accept)

        def answered() -> None:
            if question.clickedButton() is accept:
                on_yes()
            else:
                self.focus_editor()

        question.finished.connect(lambda _result: answered())
        question.open()
        self.question = question
        return question

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Hide at once; the kernels shut down in parallel, then ``all_kernels_closed``.
        If kernels Conch launched are running code, ask first."""
        busy = [t for t in self.tab_list() if t.session is not None and t.session.kernel.owned and t.running_code]
        if busy and not self._quitting and self.settings.confirm_close:
            event.ignore()
            names = ", ".join(t.title() for t in busy)
            self._ask("Quit", f"Still running code: {names}. Quit and shut all kernels down?", "Quit", self.quit_now)
            return
        window_session.remember_window(self)  # before the tabs go
        super().closeEvent(event)
        self._clock.stop()
        for tab in self.tab_list():
            self._close_tab_now(tab)
        for kernel in self._kept:
            kernel.shutdown_unattended()
        self._kept.clear()
        if not self._closing:
            QTimer.singleShot(0, self.all_kernels_closed.emit)

    def quit_now(self) -> None:
        """Quit without asking, even with kernels running code: the Quit confirmation, a quit signal."""
        self._quitting = True
        self.close()

    # -- kernel commands -----------------------------------------------------------------------
    def interrupt_kernel(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.interrupt()

    def restart_kernel(self, clear: bool = False) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.restart(clear=clear)

    # -- status --------------------------------------------------------------------------------
    def _on_tab_state(self, tab: KernelTab) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.tabs.setTabIcon(index, state_icon(tab.status, self.look.theme))
        self._refresh_titles()
        self._show_status()

    def _refresh_titles(self) -> None:
        """Number kernels of one kind and tabs on one kernel, so every tab can be told apart."""
        tabs = self.tab_list()
        number_tabs(tabs)
        bar = self.tabs.tabBar()
        for index, tab in enumerate(tabs):
            self.tabs.setTabText(index, tab.title())
            self.tabs.setTabToolTip(index, tab.tooltip())
            close = bar.tabButton(index, QTabBar.ButtonPosition.RightSide) or bar.tabButton(index, QTabBar.ButtonPosition.LeftSide)
            if close is not None:
                close.setAccessibleName(f"Close {tab.title()}")

    def _on_current_changed(self, _index: int) -> None:
        self._show_status()
        self.focus_editor()

    def _retract_status(self, text: str) -> None:
        if self.statusBar().currentMessage() == text:
            self.statusBar().clearMessage()

    def _show_settings_problems(self) -> None:
        problems = self.settings.problems
        if problems:
            text = "Settings: " + "\n".join(problems) + "\nFix the file; until then the defaults are used."
            self.settings_banner.show_message(text, "warning", [("Dismiss", self.settings_banner.clear)])

    def _show_status(self) -> None:
        tab = self.current_tab()
        self.kernel_state.setText(tab.status_text() if tab is not None else "no kernel")
        busy = tab is not None and tab.status is KernelStatus.BUSY
        if busy and not self._clock.isActive():
            self._clock.start()
        elif not busy:
            self._clock.stop()
