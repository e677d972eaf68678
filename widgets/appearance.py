"""The application's theme: light, dark, or the system's colour scheme, followed live."""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from conch.app.look.palette import DARK, LIGHT, PALETTES
from conch.widgets.theme import Theme

THEME_CHOICES = ("system", *PALETTES)
"""What a user can pick: follow the system, or one of the themes by name."""


class Appearance(QObject):
    """Which theme consoles are painted with. One per application (:meth:`shared`); a console
    given no theme of its own follows it, and so does the main window around the consoles.

    With the choice "system" it follows the desktop's colour scheme (Qt's
    ``QStyleHints.colorScheme``), switching when the desktop switches."""

    changed = Signal(object)
    """The theme changed (carries the new :class:`Theme`)."""

    _shared: "Appearance | None" = None

    @classmethod
    def shared(cls) -> "Appearance":
        if cls._shared is None:
            cls._shared = Appearance(QGuiApplication.instance())
        return cls._shared

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.choice = "system"
        hints = QGuiApplication.styleHints()
        self._system = hints.colorScheme()
        hints.colorSchemeChanged.connect(self._on_system_scheme)
        self.theme = self._resolve()
        self._styles_application = False
        self._dark_palette = False

    def style_application(self) -> None:
        """Colour the whole application (menus, dialogs) with the theme from now on: what the
        Conch window does; an application embedding a console keeps its own palette."""
        self._styles_application = True
        self._apply_palette()

    def _apply_palette(self) -> None:
        app = QApplication.instance()
        if not self._styles_application or not isinstance(app, QApplication):
            return
        if self.theme.dark or self._dark_palette:  # a new palette repolishes every widget: only when needed
            app.setPalette(self.theme.qt_palette() if self.theme.dark else app.style().standardPalette())
            self._dark_palette = self.theme.dark

    def set_choice(self, choice: str) -> None:
        """Use theme ``choice`` ("system", "light", "dark"; an unknown name means "system")."""
        self.choice = choice if choice in THEME_CHOICES else "system"
        self._update()

    def _on_system_scheme(self, scheme: Qt.ColorScheme) -> None:
        self._system = scheme
        self._update()

    def _resolve(self) -> Theme:
        if self.choice in PALETTES:
            return Theme.named(self.choice)
        return Theme.named(DARK.name if self._system == Qt.ColorScheme.Dark else LIGHT.name)

    def _update(self) -> None:
        theme = self._resolve()
        if theme is not self.theme:
            self.theme = theme
            self._apply_palette()
            self.changed.emit(theme)
