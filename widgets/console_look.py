"""A console's theme and font size: applied to every part of it at once."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QWheelEvent

from conch.widgets.appearance import Appearance
from conch.widgets.theme import Metrics, Theme, default_font

if TYPE_CHECKING:
    from conch.widgets.console import ConsoleWidget

ZOOM_LEVELS = (0.5, 0.67, 0.75, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
"""Sizes relative to the chosen font size, as browsers offer them; step 0 is 1.0."""
_NORMAL = ZOOM_LEVELS.index(1.0)


def zoom_factor(step: int) -> float:
    """The size factor of zoom ``step`` (0 is the chosen size; clamped to the levels)."""
    return ZOOM_LEVELS[clamp_zoom(step) + _NORMAL]


def clamp_zoom(step: int) -> int:
    return max(-_NORMAL, min(len(ZOOM_LEVELS) - 1 - _NORMAL, step))


class ConsoleLook(QObject):
    """The colours and font of one console. With no theme of its own, the console follows
    the application's (:class:`Appearance`), switching live with it. Zooming scales the text
    of the transcript and editor, and images, SVG and formulas with it."""

    zoom_changed = Signal(int)
    """The zoom step changed (0 is the chosen font size)."""

    def __init__(self, console: "ConsoleWidget", theme: Theme | None, font: QFont | None = None) -> None:
        super().__init__(console)
        self._console = console
        self.follows_application = theme is None
        self.theme = theme or Appearance.shared().theme
        self.font = font or default_font()
        """The font at zoom step 0."""
        self.zoom = 0
        self._wheel = 0  # Ctrl+wheel angle not yet turned into a zoom step (touchpads send bits)
        if self.follows_application:
            Appearance.shared().changed.connect(self.set_theme)

    def watch_wheel(self, *surfaces: QObject) -> None:
        """Ctrl+wheel over ``surfaces`` (the transcript's and the editor's viewports) zooms."""
        for surface in surfaces:
            surface.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self._wheel += event.angleDelta().y()
                steps = int(self._wheel / 120)
                if steps:
                    self._wheel -= steps * 120
                    self.set_zoom(self.zoom + steps)
                return True  # never scrolls while Ctrl is held
        return False

    def metrics(self) -> Metrics:
        return Metrics(self.font, zoom_factor(self.zoom))

    def set_theme(self, theme: Theme) -> None:
        """Paint the console with ``theme`` (its transcript, editor, popups and bars)."""
        self.theme = theme
        self.apply_theme()

    def set_zoom(self, step: int) -> None:
        """Show the console at zoom ``step`` (clamped to :data:`ZOOM_LEVELS`)."""
        step = clamp_zoom(step)
        if step != self.zoom:
            self.zoom = step
            self.apply_metrics(self.metrics())
            self.zoom_changed.emit(step)

    def set_font(self, font: QFont) -> None:
        """Use ``font`` at zoom step 0 (the preferences' family and size)."""
        self.font = font
        self.apply_metrics(self.metrics())

    def apply_theme(self) -> None:
        console, theme = self._console, self.theme
        console.view.set_theme(theme)
        console.pager.set_look(theme, console.view.metrics)
        console.inspector.tip.set_look(theme, console.view.metrics)
        console.completer.popup.theme = theme
        console.editor.highlighter.set_code_style(theme.code_style)
        console.setStyleSheet(theme.stylesheet())
        palette = console.palette()
        palette.setColor(console.backgroundRole(), theme.background)
        console.setPalette(palette)
        console.refresh_prompt()

    def apply_metrics(self, metrics: Metrics) -> None:
        console = self._console
        console.view.set_metrics(metrics)
        console.editor.set_metrics(metrics)
        console.stdin_field.set_metrics(metrics)
        console.pager.set_look(self.theme, metrics)
        console.inspector.tip.set_look(self.theme, metrics)
        console.prompt.setFont(metrics.font)
        console.prompt.setFixedWidth(metrics.gutter_width)
