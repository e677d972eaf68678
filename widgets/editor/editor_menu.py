"""The input editor's context menu: the standard editing actions, then Run, Complete,
Inspect and Clear, each with its keys from the shortcut table."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from conch.widgets.console import ConsoleWidget


def install_editor_menu(console: "ConsoleWidget") -> None:
    """Right-click in the console's editor opens :func:`editor_menu` (without blocking)."""
    editor = console.editor
    editor.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show(position: QPoint) -> None:
        menu = editor_menu(console)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(editor.mapToGlobal(position))

    editor.customContextMenuRequested.connect(show)


def editor_menu(console: "ConsoleWidget") -> QMenu:
    """Undo … Select All as Qt offers them, then the console's own actions."""
    editor = console.editor
    menu = editor.createStandardContextMenu()
    menu.addSeparator()
    has_code = bool(editor.toPlainText().strip())

    def add(text: str, action: str, run: Callable[[], object], enabled: bool = True) -> None:
        keys = console.keymap.text(action)
        item = menu.addAction(f"{text}\t{keys}" if keys else text)
        item.setEnabled(enabled)
        item.triggered.connect(lambda _checked=False: run())

    add("&Run", "execute_now", console.enter.run_now, has_code)
    add("C&omplete", "complete", console.completer.complete, has_code)
    add("&Inspect", "inspect", console.inspector.inspect, has_code)
    menu.addSeparator()
    add("C&lear Transcript", "clear_transcript", console.kernel.transcript.clear)
    menu.aboutToHide.connect(editor.setFocus)
    return menu
