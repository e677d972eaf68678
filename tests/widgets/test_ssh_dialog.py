"""File ▸ Connect over SSH…, driven with keys against a real sshd on 127.0.0.1: the host key
question comes up with its fingerprint, a kernel is started there, and a raw kernel attached."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch.app.ssh.prompt_dialog import PromptDialog
from conch.app.ssh_hosts import SshHosts
from conch.widgets.ssh_dialog import SshDialog
from tests.app.ssh.conftest import sshd  # noqa: F401 - fixture
from tests.ssh_server import SshServer

from ..app.conftest import close_window, open_window, wait_idle

SHOTS = Path("/tmp/conch_shots")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCH_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def key(qtbot: QtBot, which: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, which, modifiers)


def open_ssh_dialog(qtbot: QtBot, window: object) -> SshDialog:
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(SshDialog)), timeout=5000)  # type: ignore[attr-defined]
    dialog = next(d for d in window.findChildren(SshDialog) if d.isVisible())  # type: ignore[attr-defined]
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() in (dialog.host, dialog.host.lineEdit()), timeout=5000)
    return dialog


def test_an_unknown_host_key_is_asked_then_a_kernel_starts_there(
    qtbot: QtBot, sshd: SshServer, config: Path  # noqa: F811
) -> None:
    sshd.forget_host_key()
    window = open_window(qtbot, tabs=0)
    dialog = open_ssh_dialog(qtbot, window)
    qtbot.keyClicks(QApplication.focusWidget(), sshd.host_alias)
    key(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), " ".join(sshd.ssh_options()))
    key(qtbot, Qt.Key.Key_Return)  # Connect is the default button
    qtbot.waitUntil(lambda: any(p.isVisible() for p in QApplication.topLevelWidgets() if isinstance(p, PromptDialog)),
                    timeout=20000)
    question = next(p for p in QApplication.topLevelWidgets() if isinstance(p, PromptDialog) and p.isVisible())
    assert question.fingerprint is not None and sshd.host_key_fingerprint() in question.fingerprint.text()
    SHOTS.mkdir(exist_ok=True)
    question.grab().save(str(SHOTS / "ssh_host_key.png"))
    qtbot.mouseClick(question.ok_button, Qt.MouseButton.LeftButton)  # "Connect": the user trusts it
    qtbot.waitUntil(lambda: "Connected to" in dialog.message.text(), timeout=30000)
    assert sshd.knows_host_key()
    dialog.grab().save(str(SHOTS / "ssh_dialog.png"))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
    tab = window.tab_list()[0]
    wait_idle(qtbot, tab, 90_000)
    assert "conch-test" in tab.title() and tab.console is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
        tab.console.execute("print('over ssh')")
    assert tab.console.outputs()[-1].text == "over ssh\n"
    window.grab().save(str(SHOTS / "ssh_tab.png"))
    close_window(qtbot, window)
    host = SshHosts.shared().host(sshd.host_alias, sshd.ssh_options())
    qtbot.waitUntil(lambda: not sshd.remote_pids() and not sshd.session_pids(), timeout=30000)
    assert host.started_server is None


def test_a_refused_host_key_leaves_a_clear_message(qtbot: QtBot, sshd: SshServer, config: Path) -> None:  # noqa: F811
    sshd.forget_host_key()
    window = open_window(qtbot, tabs=0)
    dialog = open_ssh_dialog(qtbot, window)
    dialog.host.setCurrentText(sshd.host_alias)
    dialog.options.setText(" ".join(sshd.ssh_options()))
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(p.isVisible() for p in QApplication.topLevelWidgets() if isinstance(p, PromptDialog)),
                    timeout=20000)
    question = next(p for p in QApplication.topLevelWidgets() if isinstance(p, PromptDialog) and p.isVisible())
    question.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is question.cancel_button, timeout=5000)
    key(qtbot, Qt.Key.Key_Return)  # Cancel is the default for a host key
    qtbot.waitUntil(lambda: "host key" in dialog.message.text().lower(), timeout=30000)
    assert not sshd.knows_host_key() and not dialog.start_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    sshd.trust_host_key()
    close_window(qtbot, window)


def test_a_raw_kernel_there_is_listed_and_attached(qtbot: QtBot, sshd: SshServer, config: Path) -> None:  # noqa: F811
    sshd.trust_host_key()
    runtime = sshd.jupyter_root / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    manager = KernelManager(kernel_name="python3", connection_file=str(runtime / "kernel-dialograw.json"))
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        window = open_window(qtbot, tabs=0)
        dialog = open_ssh_dialog(qtbot, window)
        dialog.host.setCurrentText(sshd.host_alias)
        dialog.options.setText(" ".join(sshd.ssh_options()))
        key(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.kernel_files.count() > 0 and dialog.servers.count() > 0, timeout=30000)
        row = next(i for i in range(dialog.kernel_files.count()) if "dialograw" in dialog.kernel_files.item(i).text())
        dialog.kernel_files.setFocus()
        dialog.kernel_files.setCurrentRow(row)
        key(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
        tab = window.tab_list()[0]
        wait_idle(qtbot, tab, 60_000)
        assert tab.console is not None
        with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
            tab.console.execute("print(3 * 3)")
        assert tab.console.outputs()[-1].text == "9\n"
        close_window(qtbot, window)
        assert manager.is_alive()
        qtbot.waitUntil(lambda: not sshd.session_pids(), timeout=30000)

    finally:
        manager.shutdown_kernel(now=True)
