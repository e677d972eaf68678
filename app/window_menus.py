"""The main window's menus; every shortcut comes from the settings' shortcut table."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow


def build_menus(window: "MainWindow") -> None:
    keys = window.settings.shortcuts
    bar = window.menuBar()

    file_menu = bar.addMenu("&File")
    add_action(file_menu, "&New Tab", keys["new_tab"], lambda: window.new_tab(window.current_kernel_name()))
    kernels = file_menu.addMenu("New Tab &With")
    kernels.aboutToShow.connect(lambda: _list_kernelspecs(window, kernels))
    add_action(file_menu, "New Tab on This &Kernel", keys["new_tab_same_kernel"], window.new_tab_on_current_kernel)
    add_action(file_menu, "C&onnect to Existing Kernel…", keys["connect_existing"], window.pick_existing_kernel)
    file_menu.addSeparator()
    add_action(file_menu, "&Rename Tab…", keys["rename_tab"], window.rename_current_tab)
    add_action(file_menu, "&Close Tab", keys["close_tab"], window.close_current_tab)
    file_menu.addSeparator()
    add_action(file_menu, "&Quit", keys["quit"], window.close)

    kernel_menu = bar.addMenu("&Kernel")
    add_action(kernel_menu, "&Interrupt", keys["interrupt"], window.interrupt_kernel)
    add_action(kernel_menu, "&Restart", keys["restart"], window.restart_kernel)
    add_action(kernel_menu, "Restart and &Clear", keys["restart_clear"], lambda: window.restart_kernel(clear=True))

    view_menu = bar.addMenu("&View")
    add_action(view_menu, "&Next Tab", keys["next_tab"], lambda: window.step_tab(1))
    add_action(view_menu, "&Previous Tab", keys["previous_tab"], lambda: window.step_tab(-1))


def add_action(menu: QMenu, text: str, keys: tuple[str, ...], slot: Callable[[], object]) -> QAction:
    action = QAction(text, menu)
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    return action


def _list_kernelspecs(window: "MainWindow", menu: QMenu) -> None:
    """Fill the submenu with the installed kernelspecs (read when it opens, so new installs show)."""
    from conch.app.kernel.launcher import installed_kernels

    menu.clear()
    try:
        kernels = installed_kernels()
    except Exception as error:  # noqa: BLE001 - a broken kernelspec folder must not break the menu
        menu.addAction(f"Cannot list kernels: {error}").setEnabled(False)
        return
    if not kernels:
        menu.addAction("No kernels installed").setEnabled(False)
    for name, display_name in sorted(kernels.items(), key=lambda item: item[1].lower()):
        action = menu.addAction(f"{display_name}  ({name})" if display_name != name else name)
        action.triggered.connect(lambda _checked=False, n=name: window.new_tab(n))
