"""The transcript view's context menu and its Save Image As… dialog, neither of which
blocks in a nested event loop: each reports through ``done`` when it has closed."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QMessageBox, QWidget

from conch.widgets import image_export
from conch.widgets.blocks import Block

if TYPE_CHECKING:
    from conch.widgets.transcript_view import TranscriptView


def context_menu(view: TranscriptView, block: Block | None, done: Callable[[], None]) -> QMenu:
    """The menu for a right-click on ``block``: image actions over an image, then Copy,
    Select All and Find. ``done`` is called when the menu closes (and again when the Save
    dialog it may open closes)."""
    menu = QMenu(view)
    if block is not None and image_export.is_image(block):
        menu.addAction("Copy Image", lambda: image_export.copy_image(block))
        menu.addAction("Save Image As…", lambda: open_save_image_dialog(view, block, done))
        menu.addSeparator()
    copy = menu.addAction("Copy", view.copy)
    copy.setEnabled(bool(view.selected_text()))
    menu.addAction("Select All", view.select_all)
    menu.addAction("Find…", view.find_requested.emit)
    menu.aboutToHide.connect(done)
    return menu


def open_save_image_dialog(parent: QWidget, block: Block, done: Callable[[], None]) -> QFileDialog:
    """Open a window-modal dialog asking where to save ``block``'s image and return at once.
    The image is written when the user accepts; a failure is reported in a (non-blocking)
    message box. ``done`` is called once everything the dialog opened has closed."""
    suffix = image_export.default_suffix(block)
    dialog = QFileDialog(parent, "Save Image", "output" + suffix, image_export.file_filter(block))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(suffix.lstrip("."))

    def finished(result: int) -> None:
        dialog.deleteLater()
        paths = dialog.selectedFiles() if result == QDialog.DialogCode.Accepted.value else []
        if paths and not image_export.save_image(block, paths[0]):
            _warn(parent, f"Could not write {paths[0]}.", done)
        else:
            done()

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def _warn(parent: QWidget, text: str, done: Callable[[], None]) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Save Image", text, QMessageBox.StandardButton.Ok, parent)
    box.finished.connect(box.deleteLater)
    box.finished.connect(lambda _result: done())
    box.open()
