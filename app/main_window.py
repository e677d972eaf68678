"""The main window: one tab per console, menus, and a status bar."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

from conch.app.settings import Settings
from conch.app.window_menus import build_menus
from conch.widgets.connection_picker import ConnectionPicker
from conch.widgets.kernel_tab import KernelTab
from conch.widgets.tab_icons import state_icon
from conch.widgets.tab_renamer import TabRenamer

if TYPE_CHECKING:
    from conch.app.kernel.launcher import LocalKernelProcess
    from conch.app.running_kernel import RunningKernel

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
        self.setWindowTitle("Conch")
        self.setWindowIcon(QIcon(str(files("conch.resources") / "conch.svg")))
        self.resize(960, 720)
        self.tabs = QTabWidget(self)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.request_close_tab)
        self.tabs.currentChanged.connect(lambda _: self._show_status())
        self.tabs.tabBarDoubleClicked.connect(self.rename_tab)
        self.setCentralWidget(self.tabs)
        self.kernel_state = QLabel(self)
        self.statusBar().addPermanentWidget(self.kernel_state)
        self._clock = QTimer(self)  # the running cell's elapsed time
        self._clock.setInterval(_CLOCK_MS)
        self._clock.timeout.connect(self._show_status)
        build_menus(self)  # a broken settings file is reported by each console once its kernel answers

    # -- opening tabs --------------------------------------------------------------------------
    def new_tab(
        self,
        kernel_name: str | None = None,
        *,
        launched: "tuple[LocalKernelProcess, dict[str, Any]] | None" = None,
        kernel: "RunningKernel | None" = None,
        connection_file: Path | None = None,
    ) -> KernelTab:
        """Open a tab and connect its console on the next event-loop turn: to a new kernel of
        ``kernel_name``, to ``launched`` (already booting), to ``kernel`` (another tab's), or to
        the kernel of ``connection_file``."""
        tab = KernelTab(
            kernel_name or self.kernel_name, self, launched=launched, kernel=kernel,
            connection_file=connection_file, settings=self.settings,
        )
        index = self.tabs.addTab(tab, tab.title())
        self.tabs.setCurrentIndex(index)
        tab.state_changed.connect(lambda: self._on_tab_state(tab))
        tab.status_message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        tab.exit_requested.connect(lambda: self.confirm_exit(tab))
        tab.close_requested.connect(lambda: self._close_tab_now(tab))
        QTimer.singleShot(0, tab.start)
        self._on_tab_state(tab)
        return tab

    def new_tab_on_current_kernel(self) -> KernelTab | None:
        """Another console on the current tab's kernel; each shows the other's executions."""
        tab = self.current_tab()
        session = tab.session if tab is not None else None
        if session is None or session.kernel.state == "closed":
            self.statusBar().showMessage("This tab has no kernel to share.", 8000)
            return None
        return self.new_tab(tab.kernel_name if tab else None, kernel=session.kernel)

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

        TabRenamer(self.tabs.tabBar(), index, tab.custom_title or tab.title(), done)

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
        if stops_kernel and session is not None and (session.is_busy() or session.status == "busy"):
            self._ask(
                "Close Tab",
                f"“{tab.title()}” is running code. Close the tab and shut its kernel down?",
                lambda: self._close_tab_now(tab),
            )
            return
        self._close_tab_now(tab)

    def _close_tab_now(self, tab: KernelTab) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        self.tabs.removeTab(index)
        self._closing.add(tab)
        tab.closed.connect(lambda: self._on_tab_closed(tab))
        tab.shutdown()
        self._show_status()

    def _on_tab_closed(self, tab: KernelTab) -> None:
        self._closing.discard(tab)
        tab.deleteLater()
        if not self._closing and not self.isVisible():
            self.all_kernels_closed.emit()

    def confirm_exit(self, tab: KernelTab) -> QMessageBox:
        """The kernel in ``tab`` asked to exit: ask (without blocking) before closing the tab."""
        return self._ask(
            "Close Tab",
            f"The kernel “{tab.title()}” asked to exit. Close this tab and shut the kernel down?",
            lambda: self._close_tab_now(tab),
        )

    def _ask(self, title: str, text: str, on_yes: Callable[[], object]) -> QMessageBox:
        question = QMessageBox(
            QMessageBox.Icon.Question, title, text,
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel, self,
        )
        question.setDefaultButton(QMessageBox.StandardButton.Close)
        question.finished.connect(lambda button: on_yes() if button == QMessageBox.StandardButton.Close else None)
        question.open()
        self.question = question
        return question

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Hide at once; the kernels shut down in parallel, then ``all_kernels_closed``.
        If kernels Conch launched are running code, ask first."""
        busy = [t for t in self.tab_list() if t.session is not None and t.session.kernel.owned and t.status == "busy"]
        if busy and not self._quitting:
            event.ignore()
            names = ", ".join(t.title() for t in busy)
            self._ask("Quit", f"Still running code: {names}. Quit and shut all kernels down?", self._quit_now)
            return
        super().closeEvent(event)
        self._clock.stop()
        for tab in self.tab_list():
            self._close_tab_now(tab)
        if not self._closing:
            QTimer.singleShot(0, self.all_kernels_closed.emit)

    def _quit_now(self) -> None:
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
            self.tabs.setTabText(index, tab.title())
            self.tabs.setTabIcon(index, state_icon(tab.status))
            self.tabs.setTabToolTip(index, tab.status_text())
        self._show_status()

    def _show_status(self) -> None:
        tab = self.current_tab()
        self.kernel_state.setText(tab.status_text() if tab is not None else "no kernel")
        busy = tab is not None and tab.status == "busy"
        if busy and not self._clock.isActive():
            self._clock.start()
        elif not busy:
            self._clock.stop()
