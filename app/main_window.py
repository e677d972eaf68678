"""The main window: one tab per kernel session, menus and a status bar."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QTimer, Signal
from importlib.resources import files

from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox, QTabWidget

from conch.app.settings import Settings
from conch.widgets.kernel_tab import KernelTab

if TYPE_CHECKING:
    from conch.app.kernel.launcher import LocalKernelProcess


class MainWindow(QMainWindow):
    """Holds the console tabs. Kernels start after the window is shown, never blocking it."""

    all_kernels_closed = Signal()
    """After the window closed: every tab's kernel has been shut down."""

    def __init__(self, kernel_name: str = "python3", settings: Settings | None = None) -> None:
        super().__init__()
        self._closing: set[KernelTab] = set()
        self.kernel_name = kernel_name
        self.settings = settings or Settings.load()
        self.setWindowTitle("Conch")
        self.setWindowIcon(QIcon(str(files("conch.resources") / "conch.svg")))
        self.resize(960, 720)
        self.tabs = QTabWidget(self)
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(lambda _: self._show_status())
        self.setCentralWidget(self.tabs)
        self.kernel_state = QLabel(self)
        self.statusBar().addPermanentWidget(self.kernel_state)
        self._build_menus()
        self._exit_question: QMessageBox | None = None
        for problem in self.settings.problems:
            self.statusBar().showMessage(f"Settings: {problem}", 15000)

    def _build_menus(self) -> None:
        keys = self.settings.shortcuts
        file_menu = self.menuBar().addMenu("&File")
        _add(file_menu, "&New Tab", keys["new_tab"], self.new_tab)
        _add(file_menu, "&Close Tab", keys["close_tab"], self.close_current_tab)
        file_menu.addSeparator()
        _add(file_menu, "&Quit", keys["quit"], self.close)
        kernel_menu = self.menuBar().addMenu("&Kernel")
        _add(kernel_menu, "&Interrupt", keys["interrupt"], self.interrupt_kernel)
        _add(kernel_menu, "&Restart", keys["restart"], self.restart_kernel)

    # -- tabs ----------------------------------------------------------------------------------
    def new_tab(
        self,
        kernel_name: str | None = None,
        *,
        launched: "tuple[LocalKernelProcess, dict[str, Any]] | None" = None,
    ) -> KernelTab:
        """Open a tab and connect its kernel on the next event-loop turn (launching it
        unless ``launched`` gives a process that is already booting)."""
        tab = KernelTab(kernel_name or self.kernel_name, self, launched=launched, settings=self.settings)
        index = self.tabs.addTab(tab, tab.title())
        self.tabs.setCurrentIndex(index)
        tab.state_changed.connect(lambda: self._on_tab_state(tab))
        tab.status_message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        tab.exit_requested.connect(lambda: self.confirm_exit(tab))
        QTimer.singleShot(0, tab.start)
        return tab

    def current_tab(self) -> KernelTab | None:
        tab = self.tabs.currentWidget()
        return tab if isinstance(tab, KernelTab) else None

    def close_current_tab(self) -> None:
        if self.tabs.count():
            self.close_tab(self.tabs.currentIndex())

    def close_tab(self, index: int) -> None:
        tab = self.tabs.widget(index)
        self.tabs.removeTab(index)
        if isinstance(tab, KernelTab):
            self._closing.add(tab)
            tab.closed.connect(lambda: self._on_tab_closed(tab))
            tab.shutdown()
        else:
            tab.deleteLater()
        self._show_status()

    def _on_tab_closed(self, tab: KernelTab) -> None:
        self._closing.discard(tab)
        tab.deleteLater()
        if not self._closing and not self.isVisible():
            self.all_kernels_closed.emit()

    def confirm_exit(self, tab: KernelTab) -> QMessageBox:
        """The kernel in ``tab`` asked to exit: ask (without blocking) before closing the tab."""
        question = QMessageBox(
            QMessageBox.Icon.Question,
            "Close Tab",
            f"The kernel “{tab.title()}” asked to exit. Close this tab and shut the kernel down?",
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            self,
        )
        question.setDefaultButton(QMessageBox.StandardButton.Close)

        def answered(button: int) -> None:
            index = self.tabs.indexOf(tab)
            if button == QMessageBox.StandardButton.Close and index >= 0:
                self.close_tab(index)

        question.finished.connect(answered)
        question.open()
        self._exit_question = question
        return question

    def interrupt_kernel(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.interrupt()

    def restart_kernel(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.restart()

    def _on_tab_state(self, tab: KernelTab) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.tabs.setTabText(index, tab.title())
        self._show_status()

    def _show_status(self) -> None:
        tab = self.current_tab()
        self.kernel_state.setText(tab.status_text() if tab is not None else "no kernel")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Hide at once; the kernels shut down in parallel, then ``all_kernels_closed``."""
        super().closeEvent(event)
        while self.tabs.count():
            self.close_tab(0)
        if not self._closing:
            QTimer.singleShot(0, self.all_kernels_closed.emit)


def _add(menu: QMenu, text: str, keys: tuple[str, ...], slot: Callable[[], object]) -> QAction:
    action = QAction(text, menu)
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    return action
