"""How a main window looks: the application theme (View ▸ Theme), the window's zoom, the
status bar, and the settings from Edit ▸ Preferences taking effect in every tab."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from conch.app.session_memory import load_session, update_session
from conch.app.settings import Settings, SettingsSaveError, settings_path
from conch.widgets.appearance import Appearance
from conch.widgets.console_look import clamp_zoom, zoom_factor
from conch.widgets.status_look import state_icon
from conch.widgets.theme import Theme

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow
    from conch.widgets.kernel_tab import KernelTab
    from conch.widgets.preferences_dialog import PreferencesDialog

log = logging.getLogger(__name__)


class WindowLook(QObject):
    """The window's theme (the application's, see :class:`Appearance`) and zoom: every tab of
    a window shows the same zoom, and a tab opened later takes it too."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)  # a child: the application's signals stop reaching it with the window
        self._window = window
        self.zoom = clamp_zoom(load_session().zoom)
        """The zoom step of every tab (remembered in the session file for the next start)."""
        appearance = Appearance.shared()
        appearance.set_choice(window.settings.theme)
        appearance.style_application()
        appearance.changed.connect(self._apply_theme)
        self._apply_theme(appearance.theme)

    @property
    def theme(self) -> Theme:
        return Appearance.shared().theme

    # -- theme ---------------------------------------------------------------------------------
    def choose_theme(self, choice: str) -> None:
        """View ▸ Theme: use ``choice`` ("system", "light", "dark") and remember it in the
        settings file."""
        window = self._window
        settings = _replace(window.settings, theme=choice)
        try:
            settings.save()
        except SettingsSaveError as error:
            window.statusBar().showMessage(f"The theme is used now but not saved: {error}", 15000)
        self.apply_settings(settings)

    def _apply_theme(self, theme: Theme) -> None:
        """The window around the consoles in ``theme``: menus, tabs, dialogs, banners."""
        window = self._window
        window.setStyleSheet(theme.stylesheet())
        for index, tab in enumerate(window.tab_list()):
            window.tabs.setTabIcon(index, state_icon(tab.status, theme))

    # -- zoom ----------------------------------------------------------------------------------
    def set_zoom(self, step: int) -> None:
        """Show every tab of the window at zoom ``step`` (0: the font size of the settings)."""
        step = clamp_zoom(step)
        changed = step != self.zoom
        self.zoom = step
        for tab in self._window.tab_list():
            tab.set_zoom(step)
        if changed:
            self._window.statusBar().showMessage(f"Zoom {round(zoom_factor(step) * 100)}%", 3000)
            update_session(zoom=step)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom + 1)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom - 1)

    def reset_zoom(self) -> None:
        self.set_zoom(0)

    def adopt(self, tab: "KernelTab") -> None:
        """A new tab: at the window's zoom; its Ctrl+wheel zooms the whole window."""
        tab.set_zoom(self.zoom)
        tab.zoom_requested.connect(self.set_zoom)

    # -- status bar ----------------------------------------------------------------------------
    def show_status_bar(self, shown: bool) -> None:
        self._window.statusBar().setVisible(shown)

    # -- preferences ---------------------------------------------------------------------------
    def open_preferences(self) -> "PreferencesDialog":
        """Edit ▸ Preferences: a dialog on the settings file; what it saves applies at once."""
        from conch.app.kernel.launcher import kernelspecs
        from conch.widgets.preferences_dialog import PreferencesDialog

        window = self._window
        try:
            specs, _broken = kernelspecs()
        except Exception as error:  # noqa: BLE001 - a broken kernelspec folder must not stop the dialog
            log.warning("cannot list kernelspecs: %s", error)
            specs = {}
        dialog = PreferencesDialog(window, window.settings, settings_path(), dict(specs))
        dialog.applied.connect(self.apply_settings)
        dialog.finished.connect(lambda _result: window.focus_editor())
        dialog.open()
        window.preferences = dialog
        return dialog

    def apply_settings(self, settings: Settings) -> None:
        """New settings take effect in the window and all its tabs: theme, font, keys,
        scrollback, automatic restarts."""
        window = self._window
        window.settings = settings
        window.keymap.set_keys(settings.shortcuts)
        from conch.app.window_menus import refresh_menu_keys

        refresh_menu_keys(window)
        for tab in window.tab_list():
            tab.apply_settings(settings)
        Appearance.shared().set_choice(settings.theme)


def _replace(settings: Settings, **changes: object) -> Settings:
    from dataclasses import replace

    return replace(settings, problems=[], **changes)
