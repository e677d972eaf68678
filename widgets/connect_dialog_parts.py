"""What File ▸ Connect to Server… and Connect over SSH… share: a message line, two lists side
by side (what can be started, what runs), and Start Kernel / Attach / Close buttons."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QVBoxLayout, QWidget


def set_role(widget: QWidget, role: str) -> None:
    """Give ``widget`` a stylesheet role ("error", "muted", "" for none) and restyle it now."""
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ConnectParts:
    """The shared widgets of a Connect dialog, laid out by the dialog (composition, not a base
    class): :attr:`message`, :attr:`left` and :attr:`right` lists in :attr:`lists` (their
    columns take more widgets), and :attr:`buttons` with Start Kernel and Attach, both off
    until something is picked (Attach follows the right list's current item)."""

    def __init__(self, dialog: QDialog, left_title: str, right_title: str) -> None:
        self.message = QLabel(dialog)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.left = QListWidget(dialog)
        self.right = QListWidget(dialog)
        self.left_column, self.right_column = QVBoxLayout(), QVBoxLayout()
        self.left_column.addWidget(QLabel(left_title, dialog))
        self.left_column.addWidget(self.left, 1)
        self.right_column.addWidget(QLabel(right_title, dialog))
        self.right_column.addWidget(self.right, 1)
        self.lists = QHBoxLayout()
        self.lists.addLayout(self.left_column, 1)
        self.lists.addLayout(self.right_column, 1)
        self.buttons = QDialogButtonBox(dialog)
        self.start_button = self.buttons.addButton("Start Kernel", QDialogButtonBox.ButtonRole.AcceptRole)
        self.attach_button = self.buttons.addButton("Attach", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(dialog.reject)
        self.start_button.setEnabled(False)
        self.attach_button.setEnabled(False)
        self.right.currentItemChanged.connect(lambda *_: self.attach_button.setEnabled(self.right.currentItem() is not None))

    def say(self, text: str, *, error: bool = False) -> None:
        """Show ``text`` in the message line (in the error colour if ``error``)."""
        self.message.setText(text)
        set_role(self.message, "error" if error else "")
