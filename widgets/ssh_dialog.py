"""File ▸ Connect over SSH…: a host as in ``~/.ssh/config``, then what runs there: Jupyter
servers, kernel connection files; start a kernel (on the user's server, or on one Conch starts)
or attach to one. ssh's own questions (passphrases, host keys) come up in their own dialogs."""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from conch.app.recent_servers import RECENT_HOSTS_FILE, RecentServer, load_recent, remember
from conch.app.ssh.calls import SshCall
from conch.app.ssh_hosts import SshHost, SshHosts
from conch.widgets.connect_dialog_parts import ConnectParts

_ROLE = Qt.ItemDataRole.UserRole


class SshDialog(QDialog):
    """Connects to a host and lists what Conch can open there."""

    start_requested = Signal(str, list, str, bool)
    """(host, ssh options, kernelspec name, keep a server Conch starts): a tab on a new kernel there."""
    attach_requested = Signal(str, list, str)
    """(host, ssh options, connection file there): a tab on that kernel."""

    def __init__(
        self, parent: QWidget | None, folder: Path, hosts: SshHosts | None = None, host: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect over SSH")
        self.resize(640, 460)
        self._folder = folder
        self._hosts = hosts or SshHosts.shared()
        self._host: SshHost | None = None
        self._calls: list[SshCall[Any]] = []
        recent = load_recent(folder, RECENT_HOSTS_FILE)

        self.host = QComboBox(self)
        self.host.setEditable(True)
        self.host.addItems([entry.url for entry in recent])
        if host:
            self.host.setCurrentText(host)
        self.host.lineEdit().setPlaceholderText("a host from ~/.ssh/config, or user@host:port")
        self.options = QLineEdit(self)
        self.options.setPlaceholderText("extra ssh options, e.g. -i ~/.ssh/lab_key -p 2222")
        self.connect_button = QPushButton("Connect", self)
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.connect_to_host)
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.host, 1)
        row.addWidget(self.connect_button)
        form.addRow("Host:", row)
        form.addRow("Options:", self.options)
        parts = self._parts = ConnectParts(
            self, "Jupyter servers running there (new kernels go to the first):", "Kernels there (connection files):"
        )
        self.message, self.servers, self.kernel_files = parts.message, parts.left, parts.right
        self.start_button, self.attach_button = parts.start_button, parts.attach_button
        self.kernel_files.itemActivated.connect(lambda _item: self._attach())
        self.kernel_name = QLineEdit("python3", self)
        self.keep_server = QCheckBox("Keep a Jupyter server Conch starts there running after its last tab", self)
        start_row = QHBoxLayout()
        start_row.addWidget(QLabel("New kernel:", self))
        start_row.addWidget(self.kernel_name, 1)
        self.start_button.clicked.connect(self._start)
        self.attach_button.clicked.connect(self._attach)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(parts.lists, 1)
        layout.addLayout(start_row)
        layout.addWidget(self.keep_server)
        layout.addWidget(parts.buttons)
        self.host.setFocus()

    def ssh_options(self) -> list[str]:
        """The options as typed, split as a shell would (raises ValueError on unbalanced quotes)."""
        return shlex.split(self.options.text())

    def connect_to_host(self) -> None:
        """Connect (ssh asks what it needs in its own dialogs), then list what runs there."""
        destination = self.host.currentText().strip()
        if not destination:
            self._say("Type a host: a name from ~/.ssh/config, or user@host.", error=True)
            return
        try:
            options = self.ssh_options()
        except ValueError as error:
            self._say(f"The options cannot be read: {error}", error=True)
            return
        self.servers.clear()
        self.kernel_files.clear()
        self.start_button.setEnabled(False)
        self._host = host = self._hosts.host(destination, options)
        self._say(f"Connecting to {destination}…")
        host.when_ready(lambda reason: self._on_connected(host, reason))

    def _on_connected(self, host: SshHost, reason: str) -> None:
        if host is not self._host:
            return
        if reason:
            self._say(reason, error=True)
            return
        try:
            remember(self._folder, RecentServer(host.destination), RECENT_HOSTS_FILE)
        except OSError:
            pass  # not worth failing for: the connection works
        self._say(f"Connected to {host.destination}.")
        self.start_button.setEnabled(True)
        servers = host.jupyter.list_servers()
        servers.when_done(lambda call: self._on_servers(host, call))
        files = host.jupyter.list_kernel_files()
        files.when_done(lambda call: self._on_files(host, call))
        self._calls += [servers, files]

    def _on_servers(self, host: SshHost, call: SshCall[Any]) -> None:
        if host is not self._host:
            return
        if not call.ok:
            self._say(f"Connected to {host.destination}, but: {call.error}", error=True)
            return
        for info in call.result or []:
            self.servers.addItem(f"{info.url}  (in {info.root_dir})")
        if not call.result:
            self.servers.addItem("none: Start Kernel starts one for you (on a private socket, stopped after its last tab)")

    def _on_files(self, host: SshHost, call: SshCall[Any]) -> None:
        if host is not self._host or not call.ok or call.result is None:
            return
        for file in call.result.files:
            name = file.path.rsplit("/", 1)[-1]
            item = QListWidgetItem(name if not file.problem else f"{name} — cannot be used: {file.problem}")
            item.setData(_ROLE, file.path)
            if file.problem:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.kernel_files.addItem(item)

    def _start(self) -> None:
        host = self._host
        if host is None:
            return
        host.keep_server = self.keep_server.isChecked()
        self.start_requested.emit(host.destination, host.options, self.kernel_name.text().strip() or "python3",
                                  self.keep_server.isChecked())
        self.accept()

    def _attach(self) -> None:
        item = self.kernel_files.currentItem()
        if item is None or self._host is None:
            return
        self.attach_requested.emit(self._host.destination, self._host.options, item.data(_ROLE))
        self.accept()

    def _say(self, text: str, *, error: bool = False) -> None:
        self._parts.say(text, error=error)
