"""A window-modal dialog for one ssh question, opened with ``open()`` (never ``exec()``).

Secrets are typed hidden; an unknown host key is shown in OpenSSH's own words with its
fingerprint, and Cancel is the default there. If ssh stops waiting (the connection failed or
was stopped), the dialog closes by itself. Wire it with::

    prompts.prompted.connect(lambda prompt: PromptDialog(prompt, window).open())
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from conch.app.ssh.prompt_text import PromptKind
from conch.app.ssh.prompts import Prompt

MIN_WIDTH = 620


class PromptDialog(QDialog):
    """Shows ``prompt`` and answers it when closed: OK/Connect answers, Cancel/Escape cancels
    (a host key is then refused). Deletes itself once closed."""

    def __init__(self, prompt: Prompt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt = prompt
        info = prompt.info
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWindowTitle(f"{info.title} — {prompt.destination}")
        self.setMinimumWidth(MIN_WIDTH)
        layout = QVBoxLayout(self)
        self.heading = QLabel(self._heading())
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.ssh_text = QLabel(info.text.strip())
        self.ssh_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ssh_text.setTextFormat(Qt.TextFormat.PlainText)
        self.ssh_text.setWordWrap(True)
        if info.kind is PromptKind.HOST_KEY:
            self.ssh_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.ssh_text)
        self.fingerprint: QLabel | None = None
        if info.fingerprint:
            self.fingerprint = QLabel(f"{info.key_type} key fingerprint: <b>{info.fingerprint}</b>")
            self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.fingerprint)
        self.answer_edit: QLineEdit | None = None
        if not info.yes_no and info.kind is not PromptKind.NOTICE:
            self.answer_edit = QLineEdit()
            if info.secret:
                self.answer_edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.answer_edit.setAccessibleName(info.title)
            layout.addWidget(self.answer_edit)
        buttons = QDialogButtonBox()
        self.ok_button: QPushButton = buttons.addButton(self._ok_text(), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button: QPushButton = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        if info.kind is PromptKind.NOTICE:
            self.cancel_button.hide()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if info.kind is PromptKind.HOST_KEY:
            self.cancel_button.setDefault(True)
            self.cancel_button.setFocus()
        else:
            self.ok_button.setDefault(True)
        if self.answer_edit is not None:
            self.answer_edit.setFocus()
        self.finished.connect(self._answer)
        prompt.done.connect(self._settled)

    def _heading(self) -> str:
        info, where = self.prompt.info, self.prompt.destination
        again = " That was not right; try again." if self.prompt.attempt > 1 and info.secret else ""
        return {
            PromptKind.PASSPHRASE: f"Connecting to {where} needs the passphrase of the key {info.key_path}.{again}",
            PromptKind.PASSWORD: f"Connecting to {where} needs your password.{again}",
            PromptKind.ONE_TIME_CODE: f"Connecting to {where} needs a verification code.{again}",
            PromptKind.PIN: f"Connecting to {where} needs the PIN of your security key.{again}",
            PromptKind.HOST_KEY: (
                f"The host key of {where} is not in your known_hosts: ssh has not connected there before, or "
                "the host's name or address is new. Connect only if the fingerprint below is the server's "
                "(ask its administrator if unsure)."
            ),
            PromptKind.CONFIRM: f"ssh asks for {where}:",
            PromptKind.NOTICE: f"ssh says, for {where}:",
            PromptKind.OTHER: f"ssh asks, for {where}:",
        }[info.kind]

    def _ok_text(self) -> str:
        kind = self.prompt.kind
        if kind is PromptKind.HOST_KEY:
            return "Connect"
        if kind is PromptKind.CONFIRM:
            return "Yes"
        return "OK"

    def _answer(self, result: int) -> None:
        if self.prompt.is_done:
            return
        if result != QDialog.DialogCode.Accepted:
            if self.prompt.info.yes_no:
                self.prompt.reject()
            else:
                self.prompt.cancel()
        elif self.prompt.info.yes_no:
            self.prompt.accept()
        else:
            self.prompt.answer(self.answer_edit.text() if self.answer_edit is not None else "")
        if self.answer_edit is not None:
            self.answer_edit.clear()

    def _settled(self) -> None:
        """ssh got its answer elsewhere or stopped waiting: nothing left to ask."""
        if self.isVisible():
            self.reject()
