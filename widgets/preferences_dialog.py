"""Edit ▸ Preferences: the settings file as a dialog (appearance, console, shortcuts).

OK and Apply write the settings file (``Settings.save``: the file stays hand-editable) and
emit :attr:`PreferencesDialog.applied` with the new settings; Cancel and Escape write nothing.
While shortcuts conflict, or a file cannot be written, the dialog says why and stays open.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFontComboBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from conch.app.settings import (
    AUTO_RESTART_RANGE,
    FONT_SIZE_RANGE,
    SCROLLBACK_RANGE,
    Settings,
    SettingsSaveError,
)
from conch.widgets.shortcut_table import ShortcutTable

THEME_CHOICES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))


class PreferencesDialog(QDialog):
    """A non-modal dialog editing ``settings`` and saving them to ``path``; :meth:`open` shows it."""

    applied = Signal(object)
    """The new :class:`~conch.app.settings.Settings`, after they were saved (OK or Apply)."""

    def __init__(self, parent: QWidget | None, settings: Settings, path: Path, kernelspecs: dict[str, str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setModal(False)
        self.setAccessibleName("Preferences")
        self._settings = settings
        self._path = path
        self._family_touched = False

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Preference sections")
        self.tabs.addTab(self._appearance_page(settings), "&Appearance")
        self.tabs.addTab(self._console_page(settings, kernelspecs), "&Console")
        self.shortcuts = ShortcutTable(settings.shortcuts, self)
        self.tabs.addTab(self.shortcuts, "&Shortcuts")

        self.message = QLabel(self)
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Why the preferences cannot be saved")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        Button = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(Button.Ok | Button.Apply | Button.Cancel, self)
        self.ok_button = self.buttons.button(Button.Ok)
        self.apply_button = self.buttons.button(Button.Apply)
        self.cancel_button = self.buttons.button(Button.Cancel)
        self.ok_button.setAccessibleName("Save the preferences and close")
        self.apply_button.setAccessibleName("Save the preferences")
        self.cancel_button.setAccessibleName("Close without saving")
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        self.buttons.clicked.connect(self._on_clicked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.shortcuts.changed.connect(self._update_buttons)
        self._update_buttons()
        self.resize(680, 520)

    def open(self) -> None:
        """Show the dialog without blocking any window (``QDialog.open`` would make it window
        modal: the console stays usable while preferences are open)."""
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.show()
        self.raise_()
        self.activateWindow()

    # -- pages -----------------------------------------------------------------------------------
    def _appearance_page(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.system_font = QCheckBox("Use the system's fixed-width font", page)
        self.system_font.setAccessibleName("Use the system's fixed-width font")
        self.system_font.setChecked(settings.font_family is None)
        self.font_family = QFontComboBox(page)
        self.font_family.setFontFilters(QFontComboBox.FontFilter.MonospacedFonts)
        self.font_family.setAccessibleName("Font family")
        self.font_family.setCurrentFont(
            QFont(settings.font_family) if settings.font_family
            else QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        )
        self.font_family.setEnabled(settings.font_family is not None)
        self.font_family.currentFontChanged.connect(self._on_family_changed)
        self.system_font.toggled.connect(lambda on: self.font_family.setEnabled(not on))
        self.font_size = QDoubleSpinBox(page)
        self.font_size.setAccessibleName("Font size in points")
        self.font_size.setRange(*FONT_SIZE_RANGE)
        self.font_size.setDecimals(1)
        self.font_size.setSingleStep(0.5)
        self.font_size.setSuffix(" pt")
        self.font_size.setValue(settings.font_size)
        self.theme = QComboBox(page)
        self.theme.setAccessibleName("Theme")
        for value, text in THEME_CHOICES:
            self.theme.addItem(text, value)
        self.theme.setCurrentIndex(max(self.theme.findData(settings.theme), 0))
        form.addRow(self.system_font)
        form.addRow("Font &family:", self.font_family)
        form.addRow("Font si&ze:", self.font_size)
        form.addRow("&Theme:", self.theme)
        return page

    def _console_page(self, settings: Settings, kernelspecs: dict[str, str]) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.scrollback = QSpinBox(page)
        self.scrollback.setAccessibleName("Scrollback lines kept per tab")
        self.scrollback.setRange(*SCROLLBACK_RANGE)
        self.scrollback.setSingleStep(1000)
        self.scrollback.setGroupSeparatorShown(True)
        self.scrollback.setSuffix(" lines")
        self.scrollback.setValue(settings.scrollback_lines)
        self.confirm_exit = QCheckBox("Ask before “exit” closes a tab", page)
        self.confirm_exit.setAccessibleName("Ask before exit closes a tab")
        self.confirm_exit.setChecked(settings.confirm_exit)
        self.confirm_close = QCheckBox("Ask before closing a tab or quitting while code runs", page)
        self.confirm_close.setAccessibleName("Ask before closing a tab or quitting while code runs")
        self.confirm_close.setChecked(settings.confirm_close)
        self.auto_restart = QSpinBox(page)
        self.auto_restart.setAccessibleName("Automatic restarts of a kernel that died")
        self.auto_restart.setRange(*AUTO_RESTART_RANGE)
        self.auto_restart.setSpecialValueText("Never")
        self.auto_restart.setSuffix(" times")
        self.auto_restart.setValue(settings.auto_restart)
        self.default_kernel = QComboBox(page)
        self.default_kernel.setAccessibleName("Default kernel")
        for name, display in sorted(kernelspecs.items(), key=lambda item: item[1].lower()):
            self.default_kernel.addItem(f"{display} ({name})" if display != name else name, name)
        if self.default_kernel.findData(settings.default_kernel) < 0:
            self.default_kernel.addItem(f"{settings.default_kernel} (not installed)", settings.default_kernel)
        self.default_kernel.setCurrentIndex(self.default_kernel.findData(settings.default_kernel))
        form.addRow("Scroll&back:", self.scrollback)
        form.addRow(self.confirm_exit)
        form.addRow(self.confirm_close)
        form.addRow("Automatic &restarts:", self.auto_restart)
        form.addRow("Default &kernel:", self.default_kernel)
        return page

    # -- reading the inputs ----------------------------------------------------------------------
    def settings(self) -> Settings:
        """The settings as the dialog shows them (keys it does not show kept as they were)."""
        if self.system_font.isChecked():
            family = None
        elif self._family_touched or self._settings.font_family is None:
            family = self.font_family.currentFont().family()
        else:
            family = self._settings.font_family  # kept even if this machine lacks the font
        return dataclasses.replace(
            self._settings,
            shortcuts=self.shortcuts.keys(),
            font_family=family,
            font_size=self.font_size.value(),
            theme=str(self.theme.currentData()),
            scrollback_lines=self.scrollback.value(),
            confirm_exit=self.confirm_exit.isChecked(),
            confirm_close=self.confirm_close.isChecked(),
            auto_restart=self.auto_restart.value(),
            default_kernel=str(self.default_kernel.currentData()),
            problems=[],
        )

    def problem(self) -> str | None:
        """Why OK and Apply are refused now, or None."""
        problem = self.shortcuts.problem()
        return f"Shortcuts need fixing before saving:\n{problem}" if problem else None

    # -- saving ----------------------------------------------------------------------------------
    def apply(self) -> bool:
        """Save the settings and emit :attr:`applied`; False (and the reason shown) if they
        cannot be saved."""
        problem = self.problem()
        if problem is not None:
            self._show_message(problem)
            return False
        settings = self.settings()
        try:
            settings.save(self._path)
        except SettingsSaveError as error:
            self._show_message(str(error))
            return False
        self._settings = settings
        self._family_touched = False
        self._show_message(None)
        self.applied.emit(settings)
        return True

    def _on_ok(self) -> None:
        if self.apply():
            self.accept()

    def _on_clicked(self, button: QAbstractButton) -> None:
        if button is self.apply_button:
            self.apply()

    def _on_family_changed(self) -> None:
        self._family_touched = True

    def _update_buttons(self) -> None:
        problem = self.problem()
        self.ok_button.setEnabled(problem is None)
        self.apply_button.setEnabled(problem is None)
        self._show_message(problem)

    def _show_message(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))
