"""The last session's server tabs, offered again: a new kernel on the same server (never the
old one), with the token from $JUPYTER_TOKEN; without a token, the Connect to Server dialog
opens on that server."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch.app.kernel.server_url import parse_server_url
from conch.app.kernel.status import KernelStatus
from conch.app.session_memory import load_session
from conch.app.window_session import offer_last_session
from conch.widgets.server_dialog import ServerDialog
from tests.app.conftest import close_window, open_window
from tests.app.test_window_session import click
from tests.remote_servers import RunningServer, jupyter_server  # noqa: F401 - a fixture


def kernel_ids(server: RunningServer) -> set[str]:
    status, kernels = server.rest("GET", "api/kernels")
    assert status == 200 and isinstance(kernels, list)
    return {kernel["id"] for kernel in kernels}


def server_window(qtbot: QtBot, server: RunningServer) -> set[str]:
    """A session with one renamed server tab, closed; the ids of the kernels it used."""
    window = open_window(qtbot, tabs=0)
    tab = window.new_server_tab(parse_server_url(server.url, token=server.token), "python3")
    qtbot.waitUntil(lambda: tab.status is KernelStatus.IDLE, timeout=30000)
    tab.custom_title = "on the server"
    before = kernel_ids(server)
    close_window(qtbot, window)
    (record,) = load_session().tabs
    assert (record.kind, record.kernel_name, record.title) == ("server", "python3", "on the server")
    assert record.url is not None and server.token not in record.url  # never a token in the file
    return before


def test_a_server_tab_reopens_on_a_new_kernel_there(
    qtbot: QtBot, jupyter_server: RunningServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    old = server_window(qtbot, jupyter_server)
    monkeypatch.setenv("JUPYTER_TOKEN", jupyter_server.token)
    window = open_window(qtbot, tabs=0)
    assert offer_last_session(window)
    assert "on the server" in window.session_banner.label.text()
    click(qtbot, window, "Reopen")
    qtbot.waitUntil(lambda: len(window.tab_list()) == 1, timeout=10000)
    (tab,) = window.tab_list()
    qtbot.waitUntil(lambda: tab.status is KernelStatus.IDLE, timeout=30000)
    assert tab.custom_title == "on the server"
    new = kernel_ids(jupyter_server) - old
    assert len(new) == 1  # a new kernel, not a reattach to the old one
    close_window(qtbot, window)


def test_without_a_token_the_connect_dialog_opens_on_that_server(
    qtbot: QtBot, jupyter_server: RunningServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    server_window(qtbot, jupyter_server)
    monkeypatch.delenv("JUPYTER_TOKEN", raising=False)
    window = open_window(qtbot, tabs=0)
    assert offer_last_session(window)
    click(qtbot, window, "Reopen")
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(ServerDialog)), timeout=5000)
    (dialog,) = [d for d in window.findChildren(ServerDialog) if d.isVisible()]
    assert dialog.url.currentText().rstrip("/") == jupyter_server.url.rstrip("/")
    assert "python3" in dialog.message.text() and "token" in dialog.message.text()
    assert window.tab_list() == []  # nothing tried without a token
    dialog.close()
    QApplication.processEvents()
    close_window(qtbot, window)
