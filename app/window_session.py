"""The window's memory of the last session: its geometry, its tabs offered again on start, and
File ▸ Open Recent. What is remembered, and how it is read and written, is in
:mod:`conch.app.session_memory` (Qt-free); this module is what the window does with it.

Reopening never reattaches to a kernel: every tab gets a new kernel like the one it had (same
kernelspec, name, server or SSH host). A tab that showed someone else's kernel through a
connection file is not reopened; the file is under File ▸ Open Recent.
"""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from conch.app.recent_servers import RECENT_HOSTS_FILE, load_recent
from conch.app.session_memory import (
    SessionState,
    TabRecord,
    clear_recent,
    load_session,
    remember_connection_file,
    update_session,
)
from conch.app.settings import config_dir

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow
    from conch.widgets.kernel_tab import KernelTab

log = logging.getLogger(__name__)

_VISIBLE = 48
"""How much of a window (px, each way) must be on a screen for it to count as visible there."""


# -- geometry ------------------------------------------------------------------------------------
def restore_window(window: QMainWindow, state: SessionState | None = None) -> None:
    """Give ``window`` the geometry and state it had when it last closed; if that is on no
    screen now (a monitor unplugged), put it on the primary one instead."""
    state = state or load_session()
    if state.geometry and not window.restoreGeometry(QByteArray(state.geometry)):
        log.warning("session file: the window geometry could not be restored")
    if state.window_state and not window.restoreState(QByteArray(state.window_state)):
        log.warning("session file: the window state could not be restored")
    fit_on_screen(window)


def fit_on_screen(window: QWidget) -> bool:
    """Move ``window`` onto the primary screen (centred, shrunk to fit) unless some screen
    shows enough of it; returns whether it moved."""
    frame = window.frameGeometry()
    for screen in QGuiApplication.screens():
        seen = screen.availableGeometry().intersected(frame)
        if seen.width() >= min(_VISIBLE, frame.width()) and seen.height() >= min(_VISIBLE, frame.height()):
            return False
    primary = QGuiApplication.primaryScreen()
    if primary is None:
        return False
    available = primary.availableGeometry()
    decorations = frame.size() - window.geometry().size()
    window.resize(window.size().boundedTo(available.size() - decorations))
    target = QRect(available.topLeft(), window.frameGeometry().size())
    target.moveCenter(available.center())
    window.move(target.topLeft())
    return True


# -- remembering -----------------------------------------------------------------------------------
def remember_window(window: "MainWindow") -> None:
    """Save the window's geometry and state and how to open its tabs again (call it before the
    tabs close). Nothing is saved for a window that is not shown (closed already)."""
    if not window.isVisible():
        return
    records: list[TabRecord] = []
    kernels: set[int] = set()
    for tab in window.tab_list():
        session = tab.session
        if session is not None:
            if id(session.kernel) in kernels:
                continue  # another console on a kernel already remembered
            kernels.add(id(session.kernel))
        record = tab_record(tab)
        if record is not None:
            records.append(record)
    update_session(
        geometry=bytes(window.saveGeometry().data()),
        window_state=bytes(window.saveState().data()),
        tabs=records,
    )


def tab_record(tab: "KernelTab") -> TabRecord | None:
    """How to open a tab like ``tab`` (None: a tab whose kernel could not be opened)."""
    if tab.error is not None:
        return None
    session = tab.session
    origin = tab.origin
    kernel_name = (session.kernel.kernel_name if session is not None else "") or tab.kernel_name
    display_name = ""
    if origin.kind == "local" and session is not None and session.kernel.owned:
        display_name = session.kernel.display_name
    if (not kernel_name and origin.kind != "connection_file") or (origin.kind == "server" and not origin.url):
        return None
    record: TabRecord = replace(origin, kernel_name=kernel_name, display_name=display_name, title=tab.custom_title)
    return record


def watch_tab(tab: "KernelTab") -> None:
    """Remember the connection file of a tab on one once the tab has attached to its kernel."""
    path = tab.origin.path
    if tab.origin.kind != "connection_file" or path is None:
        return

    def attached() -> None:
        if tab.session is not None:
            tab.state_changed.disconnect(attached)
            remember_connection_file(path)

    tab.state_changed.connect(attached)


# -- offering the last session ---------------------------------------------------------------------
def offer_last_session(window: "MainWindow") -> bool:
    """If the last session had tabs, offer them again in the window's session banner (Reopen,
    Dismiss); returns whether it did. The banner never takes the keyboard."""
    tabs = load_session().tabs
    wanted = [record for record in tabs if record.reopenable]
    if not wanted:
        return False
    count = f"{len(tabs)} tab" + ("s" if len(tabs) != 1 else "")
    text = f"Your last session had {count}: " + ", ".join(record.describe() for record in tabs) + "."
    if len(wanted) < len(tabs):
        text += " Kernels started elsewhere are not reopened: their connection files are under File ▸ Open Recent."
    banner = window.session_banner
    banner.show_message(text, "info", [("Reopen", lambda: reopen(window, wanted)), ("Dismiss", lambda: dismiss(window))])
    return True


def dismiss(window: "MainWindow") -> None:
    """Hide the offer and forget the tabs offered."""
    window.session_banner.clear()
    update_session(tabs=[])


def reopen(window: "MainWindow", records: list[TabRecord]) -> None:
    """Open a tab on a NEW kernel like each of ``records``, and forget the offer. A server
    tab needs its token: the one in the keyring if the user saved it (read off the GUI thread),
    else ``$JUPYTER_TOKEN``, else the Connect to Server dialog opens on that server's URL."""
    dismiss(window)
    servers: dict[str, list[TabRecord]] = {}
    for record in records:
        if record.kind == "local":
            _titled(window.new_tab(record.kernel_name), record)
        elif record.kind == "ssh" and record.host:
            _titled(window.new_ssh_tab(record.host, record.ssh_options, record.kernel_name), record)
        elif record.kind == "server" and record.url:
            servers.setdefault(record.url, []).append(record)
    if servers:
        _ServerReopener(window, servers).run()


def _titled(tab: "KernelTab", record: TabRecord) -> None:
    if record.title:
        tab.custom_title = record.title
        tab.state_changed.emit()  # the window renames the tab


class _ServerReopener:
    """Finds each server's token, then opens its tabs; servers without one get the Connect to
    Server dialog, one after another."""

    def __init__(self, window: "MainWindow", servers: dict[str, list[TabRecord]]) -> None:
        self._window = window
        self._servers = servers
        self._ask: list[str] = []

    def run(self) -> None:
        from conch.app.token_store import TokenStore

        saved = {server.url for server in load_recent(config_dir()) if server.token_saved}
        store = TokenStore(self._window)
        for url in self._servers:
            if url in saved:
                store.load(url, self._answer_for(url))
            else:
                self._token(url, None)

    def _answer_for(self, url: str) -> Callable[[str | None, str], None]:
        return lambda token, _error: self._token(url, token)

    def _token(self, url: str, token: str | None) -> None:
        from conch.app.kernel.server_url import parse_server_url

        try:
            address = parse_server_url(url, token=token)
        except ValueError as error:
            self._window.statusBar().showMessage(f"Cannot reopen the tabs on {url}: {error}", 15000)
            return
        if address.token is None:  # not saved, nor in $JUPYTER_TOKEN: the user gives it
            self._ask.append(url)
            if len(self._ask) == 1:
                self._next_dialog()
            return
        for record in self._servers[url]:
            ca_file = record.ca_file or self._window.settings.ca_file
            try:
                tab = self._window.new_server_tab(address, record.kernel_name, ca_file=ca_file)
            except ValueError as error:  # a CA file that holds no certificate
                self._window.statusBar().showMessage(f"Cannot reopen “{record.describe()}”: {error}", 15000)
                continue
            _titled(tab, record)

    def _next_dialog(self) -> None:
        if not self._ask:
            return
        from conch.app.window_dialogs import open_server_dialog

        url = self._ask[0]
        dialog = open_server_dialog(self._window, url)
        names = ", ".join(record.kernel_name for record in self._servers[url])
        dialog.message.setText(f"Your last session had {names} here. Give the token to start new kernels.")

        def done() -> None:
            self._ask.pop(0)
            self._next_dialog()

        dialog.finished.connect(lambda _result: done())


# -- File ▸ Open Recent ----------------------------------------------------------------------------
def add_open_recent(window: "MainWindow", file_menu: QMenu) -> QMenu:
    """The File ▸ Open Recent submenu, filled each time it opens."""
    menu = file_menu.addMenu("Open &Recent")
    menu.setObjectName("open_recent_menu")
    menu.aboutToShow.connect(lambda: build_open_recent(window, menu))
    return menu


def build_open_recent(window: "MainWindow", menu: QMenu) -> None:
    """Fill ``menu``: recent connection files (a click attaches a tab), servers and SSH hosts
    (a click opens their Connect dialog on them), and Clear Recent."""
    from conch.app.window_dialogs import open_server_dialog, open_ssh_dialog

    menu.clear()
    menu.setToolTipsVisible(True)
    folder = config_dir()
    files = load_session().recent_files
    servers = load_recent(folder)
    hosts = load_recent(folder, RECENT_HOSTS_FILE)
    items: list[tuple[str, str, Callable[[], object]]] = []
    items += [(f"Kernel: {_short(path)}", path, partial(window.new_tab, connection_file=Path(path))) for path in files]
    items += [(f"Server: {s.url}", s.url, partial(open_server_dialog, window, s.url)) for s in servers]
    items += [(f"SSH: {h.url}", h.url, partial(open_ssh_dialog, window, h.url)) for h in hosts]
    if not items:
        menu.addAction("No recent items").setEnabled(False)
    for text, tip, run in items:
        action = menu.addAction(text.replace("&", "&&"))
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False, run=run: run())
    menu.addSeparator()
    clear = menu.addAction("&Clear Recent")
    clear.setEnabled(bool(items))
    clear.triggered.connect(lambda _checked=False: _clear(window))


def _clear(window: "MainWindow") -> None:
    """Empty the three lists, and forget the tokens kept for those servers (nothing could find
    them any more)."""
    from conch.app.token_store import TokenStore

    saved = [server.url for server in load_recent(config_dir()) if server.token_saved]
    clear_recent()
    if saved:
        store = TokenStore(window)
        for url in saved:
            store.forget(url)
    window.statusBar().showMessage("Recent kernels, servers and hosts cleared.", 5000)


def _short(path: str) -> str:
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home not in ("", "/") and path.startswith(home + os.sep) else path
