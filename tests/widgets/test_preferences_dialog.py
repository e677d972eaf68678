"""Edit ▸ Preferences: values typed into the real inputs reach the settings file and ``applied``."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from conch.app.settings import Settings
from conch.app.shortcuts import BY_ACTION
from conch.widgets.console import ConsoleWidget
from conch.widgets.preferences_dialog import PreferencesDialog

KERNELSPECS = {"python3": "Python 3 (ipykernel)", "ir": "R"}
CTRL = Qt.KeyboardModifier.ControlModifier


def open_dialog(qtbot: QtBot, path: Path, settings: Settings | None = None) -> tuple[PreferencesDialog, list[Settings]]:
    dialog = PreferencesDialog(None, settings or Settings(), path, KERNELSPECS)
    qtbot.addWidget(dialog)
    applied: list[Settings] = []
    dialog.applied.connect(applied.append)
    dialog.open()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog, applied


def focus(qtbot: QtBot, widget: QWidget) -> QWidget:
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and (
        QApplication.focusWidget() is widget or widget.isAncestorOf(QApplication.focusWidget())))
    focused = QApplication.focusWidget()
    assert focused is not None
    return focused


def retype(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Select what the focused input holds and type ``text`` over it, as a user does."""
    focused = focus(qtbot, widget)
    qtbot.keyClick(focused, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(focused, text)


def click(qtbot: QtBot, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_values_typed_in_are_saved_and_applied_on_ok(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    dialog, applied = open_dialog(qtbot, path)
    assert dialog.isVisible() and not dialog.isModal()
    retype(qtbot, dialog.font_size, "14.5")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # leaves the size: it is read
    focused = focus(qtbot, dialog.theme)
    qtbot.keyClick(focused, Qt.Key.Key_Down)  # Follow the system -> Light
    qtbot.keyClick(focused, Qt.Key.Key_Down)  # -> Dark
    dialog.tabs.setCurrentIndex(1)
    retype(qtbot, dialog.scrollback, "5000")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.confirm_exit
    qtbot.keyClick(dialog.confirm_exit, Qt.Key.Key_Space)
    retype(qtbot, dialog.auto_restart, "0")
    assert dialog.auto_restart.value() == 0
    focused = focus(qtbot, dialog.default_kernel)
    assert dialog.default_kernel.currentData() == "python3"
    qtbot.keyClick(focused, Qt.Key.Key_Up)  # by display name: "Python 3 (ipykernel)" is first already
    qtbot.keyClick(focused, Qt.Key.Key_Down)  # -> "R (ir)"
    assert path.exists() is False and applied == []
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    (settings,) = applied
    expected = Settings(font_size=14.5, theme="dark", scrollback_lines=5000, confirm_exit=False,
                        auto_restart=0, default_kernel="ir")
    assert settings == expected
    assert json.loads(path.read_text()) == {
        "font_size": 14.5, "theme": "dark", "scrollback_lines": 5000, "confirm_exit": False,
        "auto_restart": 0, "default_kernel": "ir",
    }
    assert Settings.load(path) == expected


def test_a_shortcut_typed_into_a_conflict_is_shown_and_refused(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    dialog, applied = open_dialog(qtbot, path)
    dialog.tabs.setCurrentWidget(dialog.shortcuts)
    table = dialog.shortcuts
    table.select_action("find")
    retype(qtbot, table.keys_edit, "Ctrl+T")
    qtbot.waitUntil(dialog.message.isVisible)
    text = dialog.message.text()
    assert "Ctrl+T" in text and BY_ACTION["find"].description in text and BY_ACTION["new_tab"].description in text
    assert dialog.message.property("role") == "error"
    rows = {table.table.item(row, 0).data(Qt.ItemDataRole.UserRole): row for row in range(table.table.rowCount())}
    marked = {action for action, row in rows.items() if not table.table.item(row, 0).icon().isNull()}
    assert marked == {"find", "new_tab"}
    assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible() and applied == [] and not path.exists()
    assert dialog.apply() is False and applied == [] and not path.exists()
    # Text that is not a key is refused as well
    retype(qtbot, table.keys_edit, "Ctrl+Frob")
    qtbot.waitUntil(lambda: "not a key" in dialog.message.text())
    assert not dialog.ok_button.isEnabled()
    # Fixed: the marks and the message go, and Apply saves (the dialog stays open)
    retype(qtbot, table.keys_edit, "Ctrl+Shift+F, F3")
    qtbot.waitUntil(lambda: not dialog.message.isVisible())
    assert all(table.table.item(row, 0).icon().isNull() for row in rows.values())
    click(qtbot, dialog.apply_button)
    assert dialog.isVisible()
    (settings,) = applied
    assert settings.shortcuts["find"] == ("Ctrl+Shift+F", "F3")
    assert json.loads(path.read_text()) == {"shortcuts": {"find": ["Ctrl+Shift+F", "F3"]}}
    # Reset to default (the selected row) takes the override out of the file again
    click(qtbot, table.reset_button)
    assert table.keys_edit.text() == "Ctrl+F"
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert applied[-1].shortcuts["find"] == ("Ctrl+F",) and json.loads(path.read_text()) == {"shortcuts": {}}


def test_reset_all_restores_every_default(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings()
    settings.shortcuts["quit"] = ("Ctrl+W",)  # conflicts with close_tab
    dialog, applied = open_dialog(qtbot, tmp_path / "settings.json", settings)
    assert not dialog.ok_button.isEnabled() and "Ctrl+W" in dialog.message.text()
    dialog.tabs.setCurrentWidget(dialog.shortcuts)
    click(qtbot, dialog.shortcuts.reset_all_button)
    assert dialog.ok_button.isEnabled() and not dialog.message.isVisible()
    click(qtbot, dialog.ok_button)
    assert applied[-1] == Settings()


def test_escape_and_cancel_write_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    dialog, applied = open_dialog(qtbot, path)
    retype(qtbot, dialog.font_size, "20")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.result() == dialog.DialogCode.Rejected
    dialog, applied2 = open_dialog(qtbot, path)
    dialog.tabs.setCurrentIndex(1)
    focused = focus(qtbot, dialog.confirm_close)
    qtbot.keyClick(focused, Qt.Key.Key_Space)
    assert not dialog.confirm_close.isChecked()
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert not path.exists() and applied == applied2 == []


def test_a_file_that_cannot_be_saved_is_reported_and_nothing_is_applied(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"theme": "dark",,}')
    dialog, applied = open_dialog(qtbot, path)
    retype(qtbot, dialog.font_size, "12")
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible() and applied == []
    assert str(path) in dialog.message.text() and "not overwritten" in dialog.message.text()
    assert path.read_text() == '{"theme": "dark",,}'


def test_unknown_kernel_and_font_are_kept_and_every_input_is_named(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings(default_kernel="julia-1.10", font_family="No Such Mono Font", ca_file="/ca.pem")
    dialog, applied = open_dialog(qtbot, tmp_path / "settings.json", settings)
    assert dialog.default_kernel.currentText() == "julia-1.10 (not installed)"
    assert not dialog.system_font.isChecked() and dialog.font_family.isEnabled()
    click(qtbot, dialog.ok_button)
    assert applied == [settings]
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QTabBar, QTableWidget

    def internal(widget: QWidget) -> bool:  # a part of another input (a combo's line edit, ...)
        parent = widget.parentWidget()
        while parent is not None and parent is not dialog:
            if isinstance(parent, (QComboBox, QAbstractSpinBox, QLineEdit, QTabBar, QTableWidget)):
                return True
            parent = parent.parentWidget()
        return False

    kinds = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QTableWidget)
    inputs = [w for kind in kinds for w in dialog.findChildren(kind) if not internal(w)]
    unnamed = [f"{type(w).__name__} {getattr(w, 'text', lambda: '')()}" for w in inputs if not w.accessibleName()]
    assert len(inputs) == 16 and unnamed == []  # 3 check boxes, 3 combos, 3 spin boxes, 5 buttons, keys, table


def test_a_running_console_takes_new_scrollback_and_restart_settings(qtbot: QtBot, console: ConsoleWidget) -> None:
    from conch.app.running_kernel import AUTO_RESTART_LIMIT, RunningKernel

    from .conftest import run

    kernel = console.kernel.kernel
    assert isinstance(kernel, RunningKernel) and kernel.auto_restart_limit == AUTO_RESTART_LIMIT
    run(qtbot, console, "print('\\n'.join(map(str, range(3000))))")
    transcript = console.kernel.transcript
    assert transcript.stream_line_count() >= 3000
    console.apply_settings(Settings(scrollback_lines=1000, auto_restart=1))
    assert transcript.max_lines == 1000 and transcript.stream_line_count() == 1000
    assert kernel.auto_restart_limit == 1
