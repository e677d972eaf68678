"""The Help menu's dialogs on a window: Keyboard Shortcuts, Report a Problem…, About Conch.
Each opens without blocking (``open()``), once per window: asking again raises the open one."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog

from conch.widgets.about_dialog import AboutDialog
from conch.widgets.problem_report import ProblemReportDialog, TabFacts, issue_tracker_url, report_text
from conch.widgets.shortcuts_dialog import ShortcutsDialog
from conch.widgets.status_look import look

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow
    from conch.widgets.kernel_tab import KernelTab

D = TypeVar("D", bound=QDialog)


def current_kernel_info(window: "MainWindow") -> dict[str, Any] | None:
    """The current tab's ``kernel_info`` reply content, None before it answered (or no tab)."""
    tab = window.current_tab()
    session = tab.session if tab is not None else None
    info = session.client.kernel_info if session is not None else None
    return dict(info) if info else None


def show_about(window: "MainWindow") -> AboutDialog:
    """Help ▸ About Conch; the kernel line follows the current tab (and its kernel starting)."""
    dialog = _reuse(window, AboutDialog)
    if dialog is not None:
        return dialog
    dialog = AboutDialog(current_kernel_info(window), window)

    def refresh(*_: object) -> None:
        dialog.set_kernel_info(current_kernel_info(window))

    window.tabs.currentChanged.connect(refresh)
    for tab in window.tab_list():
        tab.state_changed.connect(refresh)
    dialog.finished.connect(lambda _result: _disconnect(window, refresh))
    return _open(window, dialog)


def show_shortcuts(window: "MainWindow") -> ShortcutsDialog:
    """Help ▸ Keyboard Shortcuts, with the keys the settings give now."""
    dialog = _reuse(window, ShortcutsDialog)
    if dialog is not None:
        return dialog
    return _open(window, ShortcutsDialog(window.settings.shortcuts, window))


def tab_facts(tab: "KernelTab") -> TabFacts:
    """What a problem report says about ``tab``: how its kernel is reached, what it is, its state."""
    session = tab.session
    state = look(tab.status).word
    if session is None:
        return TabFacts("not connected", tab.kernel_name, state)
    kernel = session.kernel
    if type(kernel).__name__ == "ServerKernel":
        kind = "on a Jupyter server"
    elif kernel.owned:
        kind = "local, launched by Conch"
    else:
        kind = "started elsewhere (connection file)"
    if kernel.console_count > 1:
        kind += f", shared by {kernel.console_count} tabs"
    info = session.client.kernel_info
    implementation = info.get("implementation") if info else None
    name = f"{implementation} ({kernel.kernel_name or 'no kernelspec'})" if implementation else (kernel.kernel_name or "kernel")
    return TabFacts(kind, name, state)


def problem_report(window: "MainWindow") -> str:
    """The report text for ``window`` as it is now."""
    return report_text(
        current_kernel_info(window),
        [tab_facts(tab) for tab in window.tab_list()],
        list(window.settings.problems),
        QGuiApplication.platformName(),
    )


def show_problem_report(window: "MainWindow") -> ProblemReportDialog:
    """Help ▸ Report a Problem…"""
    dialog = _reuse(window, ProblemReportDialog)
    if dialog is not None:
        return dialog
    return _open(window, ProblemReportDialog(problem_report(window), window, issue_tracker_url()))


def _reuse(window: "MainWindow", kind: type[D]) -> D | None:
    for dialog in window.findChildren(kind):
        if dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
    return None


def _open(window: "MainWindow", dialog: D) -> D:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(lambda _result: window.focus_editor())
    dialog.open()
    return dialog


def _disconnect(window: "MainWindow", refresh: Any) -> None:
    for signal in [window.tabs.currentChanged] + [tab.state_changed for tab in window.tab_list()]:
        try:
            signal.disconnect(refresh)
        except (RuntimeError, TypeError):
            pass  # already gone (a tab closed meanwhile)
