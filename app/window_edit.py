"""Edit menu actions (Undo, Redo, Cut, Copy, Paste, Select All) on whatever has the keyboard
focus in the window: the input editor, the transcript, a find or stdin field. The keys of
these actions are the focused widget's own (standard keys): the menu only offers them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow

EDITS = ("undo", "redo", "cut", "copy", "paste", "select_all")
_TEXT_METHODS = {"undo": "undo", "redo": "redo", "cut": "cut", "copy": "copy", "paste": "paste", "select_all": "selectAll"}


def edit_target(window: "MainWindow") -> QWidget | None:
    """The widget Edit actions work on: the focused one in the window (the transcript for its
    viewport), else the current tab's input editor."""
    from conch.widgets.transcript_view import TranscriptView  # with the first console, not before the window

    focus = QApplication.focusWidget()
    widget = focus
    while widget is not None and not isinstance(widget, (TranscriptView, QLineEdit, QPlainTextEdit, QTextEdit)):
        widget = widget.parentWidget()
    if widget is not None and widget.window() is window:
        return widget
    tab = window.current_tab()
    return tab.console.editor if tab is not None and tab.console is not None else None


def can_edit(window: "MainWindow", action: str) -> bool:
    """Whether ``action`` would do something now (the menu greys it out otherwise)."""
    from conch.widgets.transcript_view import TranscriptView

    target = edit_target(window)
    if isinstance(target, TranscriptView):
        return action == "select_all" or (action == "copy" and bool(target.selected_text()))
    if isinstance(target, QLineEdit):
        checks = {"undo": target.isUndoAvailable(), "redo": target.isRedoAvailable(),
                  "cut": target.hasSelectedText() and not target.isReadOnly(), "copy": target.hasSelectedText(),
                  "paste": not target.isReadOnly(), "select_all": True}
        return checks[action]
    if isinstance(target, (QPlainTextEdit, QTextEdit)):
        document, selected = target.document(), target.textCursor().hasSelection()
        checks = {"undo": document.isUndoAvailable(), "redo": document.isRedoAvailable(),
                  "cut": selected and not target.isReadOnly(), "copy": selected,
                  "paste": not target.isReadOnly(), "select_all": True}
        return checks[action]
    return False


def run_edit(window: "MainWindow", action: str) -> None:
    """Do ``action`` on the edit target, as its own key would."""
    from conch.widgets.transcript_view import TranscriptView

    target = edit_target(window)
    if isinstance(target, TranscriptView):
        if action == "copy":
            target.copy()
        elif action == "select_all":
            target.select_all()
        return
    if target is not None:
        getattr(target, _TEXT_METHODS[action])()


def find_in_current_tab(window: "MainWindow") -> None:
    """Edit ▸ Find: the current console's find bar."""
    tab = window.current_tab()
    if tab is not None and tab.console is not None:
        tab.console.find_bar.open_bar()


def clear_current_tab(window: "MainWindow") -> None:
    """Edit ▸ Clear: empty the current console's transcript (running cells stay)."""
    tab = window.current_tab()
    if tab is not None and tab.console is not None:
        tab.console.kernel.transcript.clear()
        tab.focus_editor()
