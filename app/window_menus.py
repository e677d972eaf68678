"""The main window's menus. They show each action's keys from the shortcut table; the keys
themselves are decided by the window's key scope (``conch.widgets.key_dispatch``), the one
path every key takes, so a menu never competes with a console for a key."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow


def build_menus(window: "MainWindow") -> None:
    bar = window.menuBar()

    def add(menu: QMenu, text: str, action: str, slot: Callable[[], object]) -> QAction:
        return add_action(window, menu, text, action, slot)

    file_menu = bar.addMenu("&File")
    add(file_menu, "&New Tab", "new_tab", lambda: window.new_tab(window.current_kernel_name()))
    kernels = file_menu.addMenu("New Tab &With")
    kernels.aboutToShow.connect(lambda: _list_kernelspecs(window, kernels))
    add(file_menu, "New Tab on This &Kernel", "new_tab_same_kernel", window.new_tab_on_current_kernel)
    add(file_menu, "C&onnect to Existing Kernel…", "connect_existing", window.pick_existing_kernel)
    add(file_menu, "Connect to &Server…", "connect_server", window.connect_to_server)
    add(file_menu, "Connect over SS&H…", "connect_ssh", window.connect_over_ssh)
    file_menu.addSeparator()
    add(file_menu, "&Save Session As Notebook…", "save_notebook", window.save_notebook)
    add(file_menu, "&Export as HTML…", "export_html", window.export_html)
    file_menu.addSeparator()
    add(file_menu, "&Rename Tab…", "rename_tab", window.rename_current_tab)
    add(file_menu, "&Close Tab", "close_tab", window.close_current_tab)
    file_menu.addSeparator()
    add(file_menu, "&Quit", "quit", window.close)

    kernel_menu = bar.addMenu("&Kernel")
    add(kernel_menu, "&Interrupt", "interrupt", window.interrupt_kernel)
    add(kernel_menu, "&Restart", "restart", window.restart_kernel)
    add(kernel_menu, "Restart and &Clear", "restart_clear", lambda: window.restart_kernel(clear=True))

    view_menu = bar.addMenu("&View")
    add(view_menu, "&Next Tab", "next_tab", lambda: window.step_tab(1))
    add(view_menu, "&Previous Tab", "previous_tab", lambda: window.step_tab(-1))


def add_action(window: "MainWindow", menu: QMenu, text: str, action: str, slot: Callable[[], object]) -> QAction:
    """A menu item that runs ``slot`` and shows the keys of shortcut-table ``action``; the window's
    key scope runs the same slot for those keys."""
    keys = window.keymap.text(action)
    item = QAction(f"{text}\t{keys}" if keys else text, menu)
    item.triggered.connect(lambda _checked=False: slot())
    menu.addAction(item)

    def by_key() -> bool:
        slot()
        return True

    window.keys.bind(action, by_key)
    return item


def _list_kernelspecs(window: "MainWindow", menu: QMenu) -> None:
    """Fill the submenu with the installed kernelspecs (read when it opens, so new installs show)."""
    from conch.app.kernel.launcher import kernelspecs

    menu.clear()
    try:
        kernels, broken = kernelspecs()
    except Exception as error:  # noqa: BLE001 - a broken kernelspec folder must not break the menu
        menu.addAction(f"Cannot list kernels: {error}").setEnabled(False)
        return
    if not kernels and not broken:
        menu.addAction("No kernels installed").setEnabled(False)
    for name, display_name in sorted(kernels.items(), key=lambda item: item[1].lower()):
        action = menu.addAction(f"{display_name}  ({name})" if display_name != name else name)
        action.triggered.connect(lambda _checked=False, n=name: window.new_tab(n))
    for name, why in sorted(broken.items()):  # shown, greyed, with the reason: never silently missing
        action = menu.addAction(f"{name} (broken kernelspec)")
        action.setEnabled(False)
        action.setToolTip(why)
    menu.setToolTipsVisible(True)
