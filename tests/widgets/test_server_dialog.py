"""File ▸ Connect to Server…, driven with keys: a real Jupyter Server and Kernel Gateway on
127.0.0.1, kernelspecs and running kernels listed, a tab started or attached, tokens kept in
the keyring only when asked (a keyring backend of the test's, in memory)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch.app.kernel.status import KernelStatus
from conch.app.main_window import MainWindow
from conch.widgets.server_dialog import ServerDialog
from tests.remote_servers import RunningServer, jupyter_server, private_kernel_gateway  # noqa: F401

from ..app.conftest import close_window, open_window, wait_idle


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCH_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def type_into_focus(qtbot: QtBot, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def key(qtbot: QtBot, which: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget()
    assert target is not None, "no widget has the keyboard"
    qtbot.keyClick(target, which, modifier)


def open_dialog(qtbot: QtBot, window: MainWindow) -> ServerDialog:
    """Ctrl+Shift+O on whatever has the keyboard (the window itself when it has no tab)."""
    window.activateWindow()
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(ServerDialog)), timeout=5_000)
    dialog = next(d for d in window.findChildren(ServerDialog) if d.isVisible())
    dialog.activateWindow()  # what the desktop does for a new dialog (offscreen does not)
    qtbot.waitUntil(lambda: QApplication.focusWidget() in (dialog.url, dialog.url.lineEdit()))  # the URL first
    return dialog


def fill_in(qtbot: QtBot, dialog: ServerDialog, url: str, token: str) -> None:
    type_into_focus(qtbot, url)
    key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.token
    type_into_focus(qtbot, token)
    key(qtbot, Qt.Key.Key_Return)  # Connect is the default button


def test_a_server_s_kernelspecs_and_kernels_are_listed_and_a_pick_opens_a_tab(
    qtbot: QtBot, jupyter_server: RunningServer, config: Path, memory_keyring: MemoryKeyring
) -> None:
    running = jupyter_server.start_kernel()
    window = open_window(qtbot, tabs=0)
    dialog = open_dialog(qtbot, window)
    fill_in(qtbot, dialog, jupyter_server.url, jupyter_server.token)
    qtbot.waitUntil(lambda: dialog.specs.count() > 0 and dialog.kernels.count() > 0, timeout=15_000)
    assert "Connected" in dialog.message.text()
    assert any(running[:8] in dialog.kernels.item(i).text() for i in range(dialog.kernels.count()))
    # Enter on the default kernelspec (the list has the focus) starts a kernel there.
    assert QApplication.focusWidget() is dialog.specs
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5_000)
    tab = window.tab_list()[0]
    wait_idle(qtbot, tab, 60_000)
    assert "@ 127.0.0.1" in tab.title() and jupyter_server.token not in tab.title() + tab.tooltip()
    assert QApplication.focusWidget() is tab.console.editor  # the dialog gave the keyboard back
    # Remembered without the token (the box was not ticked): nothing in the keyring.
    recent = json.loads((config / "servers.json").read_text())
    assert recent["servers"][0] == {"url": jupyter_server.url, "token_saved": False}
    assert jupyter_server.token not in (config / "servers.json").read_text() and not memory_keyring.saved
    # Attach a second tab to the kernel started through REST.
    dialog = open_dialog(qtbot, window)
    assert dialog.url.currentText() == jupyter_server.url  # the recent server comes first
    key(qtbot, Qt.Key.Key_Tab)
    type_into_focus(qtbot, jupyter_server.token)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.kernels.count() >= 2, timeout=15_000)
    row = next(i for i in range(dialog.kernels.count()) if running[:8] in dialog.kernels.item(i).text())
    dialog.kernels.setFocus()
    dialog.kernels.setCurrentRow(row)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tabs.count() == 2, timeout=5_000)
    attached = window.tab_list()[1]
    wait_idle(qtbot, attached, 60_000)
    assert attached.session is not None and attached.session.kernel.kernel_id == running
    assert tab.session is not None
    started = tab.session.kernel.kernel_id
    close_window(qtbot, window)
    ids = jupyter_server.kernel_ids()
    assert running in ids and started not in ids  # the one Conch started is deleted, the other left
    jupyter_server.rest("DELETE", f"/api/kernels/{running}")


def test_a_token_is_kept_in_the_keyring_only_when_asked(
    qtbot: QtBot, jupyter_server: RunningServer, config: Path, memory_keyring: MemoryKeyring
) -> None:
    window = open_window(qtbot, tabs=0)
    dialog = open_dialog(qtbot, window)
    dialog.remember_token.setChecked(True)
    fill_in(qtbot, dialog, jupyter_server.url, jupyter_server.token)
    qtbot.waitUntil(lambda: bool(memory_keyring.saved), timeout=15_000)
    assert list(memory_keyring.saved.values()) == [jupyter_server.token]
    assert jupyter_server.token not in (config / "servers.json").read_text()
    key(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    # Next time the token comes back from the keyring.
    again = open_dialog(qtbot, window)
    qtbot.waitUntil(lambda: again.token.text() == jupyter_server.token, timeout=5_000)
    key(qtbot, Qt.Key.Key_Escape)
    close_window(qtbot, window)


def test_a_server_that_hides_its_kernels_says_so_and_still_starts_one(
    qtbot: QtBot, private_kernel_gateway: RunningServer, config: Path
) -> None:
    window = open_window(qtbot, tabs=0)
    dialog = open_dialog(qtbot, window)
    fill_in(qtbot, dialog, private_kernel_gateway.url, private_kernel_gateway.token)
    qtbot.waitUntil(lambda: dialog.specs.count() > 0 and bool(dialog.kernels_note.text()), timeout=15_000)
    assert "does not list its kernels" in dialog.kernels_note.text()
    dialog.specs.setFocus()
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5_000)
    wait_idle(qtbot, window.tab_list()[0], 60_000)
    close_window(qtbot, window)


def test_a_wrong_token_is_explained_in_the_dialog(qtbot: QtBot, jupyter_server: RunningServer, config: Path) -> None:
    window = open_window(qtbot, tabs=0)
    dialog = open_dialog(qtbot, window)
    fill_in(qtbot, dialog, jupyter_server.url, "wrong-token-456")
    qtbot.waitUntil(lambda: "token" in dialog.message.text(), timeout=15_000)
    assert "wrong-token-456" not in dialog.message.text() and dialog.specs.count() == 0
    key(qtbot, Qt.Key.Key_Escape)
    close_window(qtbot, window)
