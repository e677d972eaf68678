"""The main window around real kernels: status messages, settings, keys from the settings."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from conch.app.settings import Settings

from .conftest import close_window, focused, open_window, press, type_keys


def test_console_messages_reach_the_status_bar(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    tab.console.status_message.emit("hello from the console")
    assert window.statusBar().currentMessage() == "hello from the console"
    close_window(qtbot, window)


def test_shortcuts_come_from_settings_menus_show_them_and_keys_use_them(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {"new_tab": "Ctrl+Shift+N", "interrupt": "Ctrl+Shift+I"}}')
    window = open_window(qtbot, settings=Settings.load(path))
    (kernel_bar_item,) = [a for a in window.menuBar().actions() if a.text() == "&Kernel"]
    kernel_menu = {a.text().split("\t")[0]: a for a in kernel_bar_item.menu().actions()}
    assert kernel_menu["&Interrupt"].text().endswith("\tCtrl+Shift+I")
    assert not window.settings_banner.isVisible()
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)  # no longer bound to anything
    assert window.tabs.count() == 1
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.tabs.count() == 2
    close_window(qtbot, window)


def test_a_broken_settings_file_is_shown_until_dismissed_with_its_path_and_line(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{\n  "shortcuts": {\n    "interrupt": "Ctrl+Shift+I"\n    "quit": "Ctrl+Q"\n  }\n}\n')
    window = open_window(qtbot, settings=Settings.load(path))
    banner = window.settings_banner
    assert banner.isVisible() and banner.level == "warning"
    text = banner.label.text()
    assert str(path) in text and "line 4" in text and "defaults" in text
    assert banner.label.width() > 300  # a bar across the window, not squeezed beside a label
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
        type_keys(qtbot, "1+1")
        press(qtbot, Qt.Key.Key_Return)
    assert banner.isVisible()  # still there after the user has moved on
    (dismiss,) = banner.buttons()
    qtbot.mouseClick(dismiss, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()
    assert focused() is tab.console.editor  # the click did not take the keyboard away
    close_window(qtbot, window)


def test_unknown_shortcut_actions_are_named_in_the_banner(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {"nonsense": "F9"}, "confirm_exit": "sometimes"}')
    window = open_window(qtbot, settings=Settings.load(path))
    text = window.settings_banner.label.text()
    assert "nonsense" in text and "confirm_exit" in text
    close_window(qtbot, window)
