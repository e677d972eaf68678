"""ssh's questions: classifying them, the dialog a person answers, and the helper program."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from conch.app.ssh.prompt_dialog import PromptDialog
from conch.app.ssh.prompt_text import PromptKind, classify
from conch.app.ssh.prompts import Prompt, PromptServer
from conch.app.ssh.runtime import runtime_dir
from tests.app.ssh.helpers import MakeMaster, wait_failed, wait_ready
from tests.ssh_server import SshServer

HOST_KEY_TEXT = """The authenticity of host 'cluster.example.org (192.0.2.7)' can't be established.
ED25519 key fingerprint is SHA256:AmXEoN2ccNFe72dU23jP2dQD29oWEH/SYS92J3G0pWU.
This key is not known by any other names.
Are you sure you want to continue connecting (yes/no/[fingerprint])? """


def test_prompts_are_classified() -> None:
    host = classify(HOST_KEY_TEXT)
    assert host.kind is PromptKind.HOST_KEY and host.yes_no and not host.secret
    assert (host.host, host.address, host.key_type) == ("cluster.example.org", "192.0.2.7", "ED25519")
    assert host.fingerprint == "SHA256:AmXEoN2ccNFe72dU23jP2dQD29oWEH/SYS92J3G0pWU"
    assert classify("Please type 'yes', 'no' or the fingerprint: ").retry
    passphrase = classify("Enter passphrase for key '/home/ada/.ssh/id_ed25519': ")
    assert passphrase.kind is PromptKind.PASSPHRASE and passphrase.secret
    assert passphrase.key_path == "/home/ada/.ssh/id_ed25519"
    assert classify("Enter passphrase for ED25519 key '/k': ").key_path == "/k"
    assert classify("ada@host's password: ").kind is PromptKind.PASSWORD
    assert classify("(ada@host) Password: ").kind is PromptKind.PASSWORD
    assert classify("(ada@host) Verification code: ").kind is PromptKind.ONE_TIME_CODE
    assert classify("Enter PIN for ECDSA-SK key /k: ").kind is PromptKind.PIN
    assert classify("Allow use of key /k?", "confirm").kind is PromptKind.CONFIRM
    assert classify("Confirm user presence for key ED25519-SK", "none").kind is PromptKind.NOTICE
    other = classify("Something new: ")
    assert other.kind is PromptKind.OTHER and other.secret


def test_the_helper_without_conch_fails_cleanly(tmp_path: Path) -> None:
    helper = Path(sys.modules[PromptServer.__module__].__file__ or "").with_name("askpass.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCH_ASKPASS")}
    alone = subprocess.run([sys.executable, "-I", str(helper), "Password: "], env=env, capture_output=True, text=True, timeout=30)
    assert alone.returncode == 1 and alone.stdout == "" and "only runs under Conch" in alone.stderr
    env["CONCH_ASKPASS_SOCKET"] = str(tmp_path / "nothing-here")
    gone = subprocess.run([sys.executable, "-I", str(helper), "Password: "], env=env, capture_output=True, text=True, timeout=30)
    assert gone.returncode == 1 and gone.stdout == "" and "cannot reach Conch" in gone.stderr


def test_the_wrapper_is_private_and_executable(prompts: PromptServer) -> None:
    wrapper = prompts.wrapper
    assert wrapper.parent == runtime_dir() and os.stat(wrapper).st_mode & 0o777 == 0o700
    assert os.stat(runtime_dir()).st_mode & 0o777 == 0o700
    assert sys.executable in wrapper.read_text()


def test_a_person_types_the_passphrase_in_the_dialog(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    dialogs: list[PromptDialog] = []

    def show(prompt: Prompt) -> None:
        dialog = PromptDialog(prompt)  # deletes itself once closed
        dialogs.append(dialog)
        dialog.open()

    prompts.prompted.connect(show)
    master = connect(sshd.passphrase_alias)
    qtbot.waitUntil(lambda: len(dialogs) == 1 and dialogs[0].isVisible(), timeout=20000)
    dialog = dialogs[0]
    edit = dialog.answer_edit
    assert edit is not None and edit.echoMode() is QLineEdit.EchoMode.Password
    assert str(sshd.passphrase_key) in dialog.heading.text()
    qtbot.keyClicks(edit, "wrong")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(dialogs) == 2 and dialogs[1].isVisible(), timeout=20000)
    assert "try again" in dialogs[1].heading.text() and dialogs[1].prompt.attempt == 2
    assert dialogs[1].answer_edit is not None
    qtbot.keyClicks(dialogs[1].answer_edit, sshd.passphrase)
    qtbot.mouseClick(dialogs[1].ok_button, Qt.MouseButton.LeftButton)
    wait_ready(qtbot, master)


def test_the_host_key_dialog_shows_the_fingerprint_and_defaults_to_cancel(
    qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer
) -> None:
    sshd.forget_host_key()
    dialogs: list[PromptDialog] = []

    def show(prompt: Prompt) -> None:
        dialogs.append(PromptDialog(prompt))
        dialogs[-1].open()

    prompts.prompted.connect(show)
    master = connect()
    qtbot.waitUntil(lambda: len(dialogs) == 1 and dialogs[0].isVisible(), timeout=20000)
    dialog = dialogs[0]
    assert dialog.answer_edit is None and dialog.fingerprint is not None
    assert sshd.host_key_fingerprint() in dialog.fingerprint.text()
    assert "Are you sure you want to continue connecting" in dialog.ssh_text.text()
    assert dialog.cancel_button.isDefault() and dialog.ok_button.text() == "Connect"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert "did not accept it" in wait_failed(qtbot, master)

    again = connect()
    qtbot.waitUntil(lambda: len(dialogs) == 2 and dialogs[1].isVisible(), timeout=20000)
    qtbot.mouseClick(dialogs[1].ok_button, Qt.MouseButton.LeftButton)
    wait_ready(qtbot, again)
    assert sshd.knows_host_key()


def test_a_dialog_closes_when_ssh_stops_waiting(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    dialogs: list[PromptDialog] = []
    results: list[int] = []

    def show(prompt: Prompt) -> None:
        dialogs.append(PromptDialog(prompt))
        dialogs[-1].finished.connect(results.append)
        dialogs[-1].open()

    prompts.prompted.connect(show)
    master = connect(sshd.passphrase_alias)
    qtbot.waitUntil(lambda: len(dialogs) == 1 and dialogs[0].isVisible(), timeout=20000)
    prompt = dialogs[0].prompt
    master.stop()
    qtbot.waitUntil(lambda: results == [0], timeout=5000)
    assert prompt.outcome.value == "expired"
