"""What a user sees in the window when a server, its token or its kernel is not what they thought:
a tab that names the problem and what to do, the transcript kept, never a hang."""
from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from conch.app.kernel.server_url import parse_server_url
from conch.app.kernel.status import KernelStatus
from conch.app.main_window import MainWindow
from conch.widgets.kernel_tab import KernelTab
from tests.remote_servers import RunningServer, free_port, jupyter_server, start_jupyter_server  # noqa: F401

from ..conftest import close_window, open_window, wait_idle


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    """A window without tabs; each test closes it (pytest-qt closes it first at teardown, so a
    fixture could not wait for its kernels)."""
    return open_window(qtbot, tabs=0)


def server_tab(window: MainWindow, url: str, token: str | None, kernel_id: str | None = None) -> KernelTab:
    return window.new_server_tab(parse_server_url(url, token=token), "python3", kernel_id=kernel_id)


def wait_status(qtbot: QtBot, tab: KernelTab, status: KernelStatus, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: tab.status is status, timeout=timeout)


def said(tab: KernelTab) -> str:
    """What the tab says: its banner and its transcript."""
    assert tab.console is not None
    return tab.banner.label.text() + "\n" + tab.console.transcript_text()


@pytest.fixture
def html_site() -> Iterator[str]:
    """A web server that answers every request with an HTML page (not a Jupyter server)."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            self._page()

        def do_POST(self) -> None:  # noqa: N802
            self._page()

        def _page(self) -> None:
            body = b"<html><body>Welcome to the router</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}/"
    site.shutdown()
    site.server_close()


def test_a_refused_connection_says_nothing_listens_there(qtbot: QtBot, window: MainWindow) -> None:
    port = free_port()
    tab = server_tab(window, f"http://127.0.0.1:{port}/", "test-token-0123")
    wait_status(qtbot, tab, KernelStatus.DEAD)
    assert f"127.0.0.1:{port}" in said(tab) and "listening" in said(tab)
    assert "(dead)" in tab.title()
    close_window(qtbot, window)


def test_a_wrong_token_is_named_and_never_shown(qtbot: QtBot, window: MainWindow, jupyter_server: RunningServer) -> None:
    tab = server_tab(window, jupyter_server.url, "not-the-token-123")
    wait_status(qtbot, tab, KernelStatus.DEAD)
    text = said(tab)
    assert "token" in text and "not-the-token-123" not in text + tab.title() + tab.tooltip()
    close_window(qtbot, window)


def test_a_site_that_is_not_jupyter_says_so(qtbot: QtBot, window: MainWindow, html_site: str) -> None:
    tab = server_tab(window, html_site, "test-token-0123")
    wait_status(qtbot, tab, KernelStatus.DEAD)
    assert "not a Jupyter server" in said(tab)
    close_window(qtbot, window)


def test_an_unknown_host_is_named(qtbot: QtBot, window: MainWindow) -> None:
    tab = server_tab(window, "http://no-such-host.invalid:8888/", "test-token-0123")
    wait_status(qtbot, tab, KernelStatus.DEAD)
    assert "no-such-host.invalid" in said(tab)
    close_window(qtbot, window)


def test_attaching_to_an_unknown_kernel_id_says_it_is_not_there(
    qtbot: QtBot, window: MainWindow, jupyter_server: RunningServer
) -> None:
    tab = server_tab(window, jupyter_server.url, jupyter_server.token, kernel_id="00000000-0000-0000-0000-000000000000")
    wait_status(qtbot, tab, KernelStatus.CULLED)
    assert "00000000-0000-0000-0000-000000000000" in said(tab)
    assert "gone from its server" in tab.title()
    close_window(qtbot, window)


def test_a_kernel_deleted_on_the_server_is_culled_and_the_transcript_kept(
    qtbot: QtBot, window: MainWindow, jupyter_server: RunningServer
) -> None:
    tab = server_tab(window, jupyter_server.url, jupyter_server.token)
    wait_idle(qtbot, tab, 60_000)
    assert tab.console is not None and tab.session is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30_000):
        tab.console.execute("print('worth keeping')")
    status, _ = jupyter_server.rest("DELETE", f"/api/kernels/{tab.session.kernel.kernel_id}")
    assert status == 204
    wait_status(qtbot, tab, KernelStatus.CULLED)
    assert "worth keeping" in tab.console.transcript_text()
    assert "no longer" in said(tab) or "no kernel" in said(tab)
    close_window(qtbot, window)


def test_a_server_that_goes_away_leaves_the_tab_reconnecting_with_everything_kept(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    server = start_jupyter_server(tmp_path)
    try:
        tab = server_tab(window, server.url, server.token)
        wait_idle(qtbot, tab, 60_000)
        assert tab.console is not None
        with qtbot.waitSignal(tab.console.execution_finished, timeout=30_000):
            tab.console.execute("print('before the outage')")
        tab.console.editor.set_code("half-typed")
    finally:
        server.stop()
    wait_status(qtbot, tab, KernelStatus.RECONNECTING)
    assert "reconnecting" in tab.title()
    qtbot.waitUntil(lambda: "attempt 2" in window.kernel_state.text(), timeout=10_000)  # it keeps trying, and says so
    assert "before the outage" in tab.console.transcript_text() and tab.console.editor.code() == "half-typed"
    assert "was lost" in tab.console.transcript_text()
    close_window(qtbot, window)
