"""Every button a person can reach in the window and its dialogs has a name a screen reader
can say: its own text in words, or an accessible name."""
from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QMenuBar, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from conch.app import help_dialogs
from tests.app.conftest import close_window, open_window


def unnamed(root: QWidget) -> list[str]:
    found = []
    for button in root.findChildren(QAbstractButton):
        if isinstance(button.parentWidget(), (QLineEdit, QTableWidget, QMenuBar)):
            continue  # Qt's own: a line edit's clear button, a table's corner, the menu overflow
        text = button.text().replace("&", "")
        if not button.accessibleName().strip() and not re.search(r"[A-Za-z]{2}", text):
            found.append(f"{type(button).__name__} {text!r} in {type(button.parentWidget()).__name__}")
    return found


def test_every_button_has_a_name(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.tab_list()[0]
    assert tab.console is not None
    tab.console.find_bar.open_bar()
    tab.banner.show_message("A problem", "error", [("Restart", lambda: None), ("Dismiss", lambda: None)])
    dialogs = [
        window.look.open_preferences(), window.connect_to_server(), window.connect_over_ssh(),
        window.pick_existing_kernel(), help_dialogs.show_about(window), help_dialogs.show_shortcuts(window),
        help_dialogs.show_problem_report(window),
    ]
    roots = [window, *dialogs]
    problems = [problem for root in roots for problem in unnamed(root)]
    assert problems == [], "\n".join(problems)
    for dialog in dialogs:
        dialog.close()
    QApplication.processEvents()
    close_window(qtbot, window)
