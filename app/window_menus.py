"""The main window's menus. They show each action's keys from the shortcut table; the keys
themselves are decided by the window's key scope (``conch.widgets.key_dispatch``), the one
path every key takes, so a menu never competes with a console for a key."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from conch.app import window_edit, window_files
from conch.app.window_session import add_open_recent

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
    add_open_recent(window, file_menu)
    file_menu.addSeparator()
    add(file_menu, "&Save Session As Notebook…", "save_notebook", window.save_notebook)
    add(file_menu, "&Export as HTML…", "export_html", window.export_html)
    # -- Run File, Print, Export as PDF: conch.app.window_files --------------------------------
    add(file_menu, "Export as P&DF…", "export_pdf", lambda: window_files.export_pdf_dialog(window))
    add(file_menu, "&Print…", "print", lambda: window_files.print_session(window))
    add(file_menu, "R&un File…", "run_file", lambda: window_files.choose_and_run_file(window))
    window_files.install_drops(window)  # a .py dropped on the window runs in the current tab
    # -- end of Run File, Print, Export as PDF ---------------------------------------------------
    file_menu.addSeparator()
    add(file_menu, "&Rename Tab…", "rename_tab", window.rename_current_tab)
    add(file_menu, "&Close Tab", "close_tab", window.close_current_tab)
    file_menu.addSeparator()
    add(file_menu, "&Quit", "quit", window.close)

    _build_edit_menu(window, bar.addMenu("&Edit"))

    kernel_menu = bar.addMenu("&Kernel")
    add(kernel_menu, "&Interrupt", "interrupt", window.interrupt_kernel)
    add(kernel_menu, "&Restart", "restart", window.restart_kernel)
    add(kernel_menu, "Restart and &Clear", "restart_clear", lambda: window.restart_kernel(clear=True))

    view_menu = bar.addMenu("&View")
    _add_theme_menu(window, view_menu.addMenu("&Theme"))
    add(view_menu, "Zoom &In", "zoom_in", window.look.zoom_in)
    add(view_menu, "Zoom &Out", "zoom_out", window.look.zoom_out)
    add(view_menu, "&Actual Size", "zoom_reset", window.look.reset_zoom)
    view_menu.addSeparator()
    status = add(view_menu, "&Status Bar", "toggle_status_bar", lambda: None)
    status.setCheckable(True)
    status.setChecked(True)
    status.toggled.connect(window.look.show_status_bar)
    window.keys.bind("toggle_status_bar", lambda: (status.toggle(), True)[1])
    view_menu.addSeparator()
    add(view_menu, "&Next Tab", "next_tab", lambda: window.step_tab(1))
    add(view_menu, "&Previous Tab", "previous_tab", lambda: window.step_tab(-1))

    # -- Help: conch.widgets.about_dialog, shortcuts_dialog, problem_report -----------------------
    help_menu = bar.addMenu("&Help")
    add(help_menu, "&Keyboard Shortcuts", "keyboard_shortcuts", lambda: _help("show_shortcuts", window))
    add(help_menu, "&Report a Problem…", "report_problem", lambda: _help("show_problem_report", window))
    help_menu.addSeparator()
    about = add(help_menu, "&About Conch", "about", lambda: _help("show_about", window))
    about.setMenuRole(QAction.MenuRole.AboutRole)
    # -- end of Help ------------------------------------------------------------------------------


def _help(dialog: str, window: "MainWindow") -> object:
    """Open a Help dialog (imported when first asked for, not before the window shows)."""
    from conch.app import help_dialogs

    return getattr(help_dialogs, dialog)(window)


def add_action(
    window: "MainWindow", menu: QMenu, text: str, action: str, slot: Callable[[], object], *, bind: bool = True
) -> QAction:
    """A menu item that runs ``slot`` and shows the keys of shortcut-table ``action``; the window's
    key scope runs the same slot for those keys (unless ``bind`` is False: the console's own
    scope handles them, as for Clear)."""
    item = QAction(menu)
    item.setProperty("conch_text", text)
    item.setProperty("conch_action", action)
    _label(window, item)
    item.triggered.connect(lambda _checked=False: slot())
    menu.addAction(item)

    def by_key() -> bool:
        slot()
        return True

    if bind:
        window.keys.bind(action, by_key)
    return item


def refresh_menu_keys(window: "MainWindow") -> None:
    """Show the keys of the shortcut table again (after the preferences changed them)."""
    for item in window.menuBar().findChildren(QAction):
        if item.property("conch_action"):
            _label(window, item)


def _label(window: "MainWindow", item: QAction) -> None:
    keys = window.keymap.text(str(item.property("conch_action")))
    text = str(item.property("conch_text"))
    item.setText(f"{text}\t{keys}" if keys else text)


def _build_edit_menu(window: "MainWindow", menu: QMenu) -> None:
    """Undo … Select All on the focused text (its own standard keys), then Find, Clear and
    Preferences."""
    edits = (("undo", "&Undo", QKeySequence.StandardKey.Undo), ("redo", "&Redo", QKeySequence.StandardKey.Redo),
             ("cut", "Cu&t", QKeySequence.StandardKey.Cut), ("copy", "&Copy", QKeySequence.StandardKey.Copy),
             ("paste", "&Paste", QKeySequence.StandardKey.Paste),
             ("select_all", "Select &All", QKeySequence.StandardKey.SelectAll))
    items: dict[str, QAction] = {}
    for name, text, standard in edits:
        keys = QKeySequence(standard).toString(QKeySequence.SequenceFormat.NativeText)
        item = menu.addAction(f"{text}\t{keys}" if keys else text)
        item.triggered.connect(lambda _checked=False, n=name: window_edit.run_edit(window, n))
        items[name] = item
        if name in ("redo", "paste"):
            menu.addSeparator()

    def enable() -> None:
        for name, item in items.items():
            item.setEnabled(window_edit.can_edit(window, name))

    menu.aboutToShow.connect(enable)
    menu.aboutToHide.connect(lambda: [item.setEnabled(True) for item in items.values()])
    add_action(window, menu, "&Find…", "find", lambda: window_edit.find_in_current_tab(window))
    add_action(window, menu, "C&lear", "clear_transcript", lambda: window_edit.clear_current_tab(window), bind=False)
    menu.addSeparator()
    prefs = add_action(window, menu, "Pre&ferences…", "preferences", window.look.open_preferences)
    prefs.setMenuRole(QAction.MenuRole.PreferencesRole)


def _add_theme_menu(window: "MainWindow", menu: QMenu) -> None:
    """Follow the System / Light / Dark, one checked."""
    group = QActionGroup(menu)
    for choice, text in (("system", "Follow the &System"), ("light", "&Light"), ("dark", "&Dark")):
        item = menu.addAction(text)
        item.setCheckable(True)
        item.setData(choice)
        group.addAction(item)
        item.triggered.connect(lambda _checked=False, c=choice: window.look.choose_theme(c))
    menu.aboutToShow.connect(lambda: [i.setChecked(i.data() == window.settings.theme) for i in group.actions()])


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
