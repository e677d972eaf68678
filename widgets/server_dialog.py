"""File ▸ Connect to Server…: a server's kernelspecs and running kernels, to start or attach a tab.

Nothing in it waits on the network: the lists fill in as the server answers, and a problem
(refused, wrong token, not a Jupyter server, an untrusted certificate) shows in the dialog,
in words that say what to do.
"""
from __future__ import annotations

from datetime import datetime, timezone
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

from conch.app.kernel.server_answers import KernelListHidden, KernelSpecs
from conch.app.kernel.server_api import ApiCall, ServerApi
from conch.app.kernel.server_url import ServerAddress, parse_server_url
from conch.app.recent_servers import RecentServer, load_recent, remember
from conch.app.token_store import TokenStore
from conch.widgets.connect_dialog_parts import ConnectParts

_ROLE = Qt.ItemDataRole.UserRole


class ServerDialog(QDialog):
    """Asks for a server URL and token, lists what the server has, and says what to open."""

    start_requested = Signal(object, str, str)
    """(ServerAddress, kernelspec name, its display name): a tab on a new kernel there."""
    attach_requested = Signal(object, str, str)
    """(ServerAddress, kernel id, kernelspec name): a tab on a running kernel there."""

    def __init__(self, parent: QWidget | None, folder: Path, ca_file: str | None = None, url: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to Server")
        self.resize(620, 460)
        self._folder = folder
        self.ca_file = ca_file
        self._tokens = TokenStore(self)
        self._api: ServerApi | None = None
        self._calls: list[ApiCall[Any]] = []
        self._recent = load_recent(folder)

        self.url = QComboBox(self)
        self.url.setEditable(True)
        self.url.addItems([server.url for server in self._recent])
        self.url.setCurrentText(url or (self._recent[0].url if self._recent else "http://localhost:8888/"))
        self.url.lineEdit().setPlaceholderText("http://host:8888/?token=…  or  https://hub.example.org/user/you/")
        self.url.currentTextChanged.connect(self._on_url_picked)
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("from the URL, $JUPYTER_TOKEN, or `jupyter server list`")
        self.remember_token = QCheckBox("Remember the token in the system keyring", self)
        self.connect_button = QPushButton("Connect", self)
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.connect_to_server)
        form = QFormLayout()
        form.addRow("Server URL:", self.url)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.connect_button)
        form.addRow("Token:", token_row)
        form.addRow("", self.remember_token)

        parts = self._parts = ConnectParts(self, "Start a new kernel:", "Running kernels:")
        self.message, self.specs, self.kernels = parts.message, parts.left, parts.right
        self.start_button, self.attach_button = parts.start_button, parts.attach_button
        self.specs.itemActivated.connect(lambda _item: self._start())  # Enter or a double click
        self.kernels.itemActivated.connect(lambda _item: self._attach())
        self.kernels_note = QLabel(self)
        self.kernels_note.setWordWrap(True)
        parts.right_column.addWidget(self.kernels_note)
        self.start_button.clicked.connect(self._start)
        self.attach_button.clicked.connect(self._attach)
        self.specs.currentItemChanged.connect(lambda *_: self.start_button.setEnabled(self.specs.currentItem() is not None))

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(parts.lists, 1)
        layout.addWidget(parts.buttons)
        self._on_url_picked(self.url.currentText())
        self.url.setFocus()  # the first thing to type
        self.url.lineEdit().selectAll()

    # -- connecting ----------------------------------------------------------------------------
    def address(self) -> ServerAddress:
        """The server and token as typed (raises ValueError for a URL that is not one)."""
        return parse_server_url(self.url.currentText(), token=self.token.text().strip() or None)

    def connect_to_server(self) -> None:
        """Ask the server for its kernelspecs and running kernels (answers fill the lists)."""
        for call in self._calls:
            call.abort()
        self._calls.clear()
        self.specs.clear()
        self.kernels.clear()
        self.kernels_note.clear()
        try:
            address = self.address()
            api = ServerApi(address, self.ca_file, parent=self)
        except ValueError as error:
            self._say(str(error), error=True)
            return
        if address.token and not self.token.text().strip():
            self.token.setText(address.token)  # it came in the URL: shown masked, not kept in the URL
        self._api = api
        self._say(f"Asking {address.display_name}…")
        specs = api.kernelspecs()
        specs.finished.connect(lambda: self._on_specs(specs))
        kernels = api.kernels()
        kernels.finished.connect(lambda: self._on_kernels(kernels))
        self._calls += [specs, kernels]

    def _on_specs(self, call: ApiCall[KernelSpecs]) -> None:
        if call.error is not None or call.result is None:
            self._say(str(call.error), error=True)
            return
        assert self._api is not None
        address = self._api.address
        self._say(f"Connected to {address.display_name}.")
        self._remember(address)
        for name, spec in sorted(call.result.specs.items(), key=lambda item: item[1].display_name.lower()):
            item = QListWidgetItem(f"{spec.display_name}  ({name})" if spec.display_name != name else name)
            item.setData(_ROLE, (name, spec.display_name))
            self.specs.addItem(item)
            if name == call.result.default:
                self.specs.setCurrentItem(item)
        self.specs.setFocus()

    def _on_kernels(self, call: ApiCall[Any]) -> None:
        if call.error is not None:
            self.kernels_note.setText(str(call.error))
            return
        if isinstance(call.result, KernelListHidden):
            self.kernels_note.setText(
                f"This server does not list its kernels ({call.result.message}); you can still start one. "
                "To attach to one, use its id: conch --server URL --existing ID."
            )
            return
        kernels = call.result or []
        if not kernels:
            self.kernels_note.setText("No kernels are running there.")
        for kernel in kernels:
            seen = _ago(kernel.last_activity)
            text = f"{kernel.name} [{kernel.id[:8]}]\n{kernel.execution_state}, {kernel.connections} connected"
            item = QListWidgetItem(text + (f", active {seen}" if seen else ""))
            item.setData(_ROLE, (kernel.id, kernel.name))
            item.setToolTip(f"Kernel id {kernel.id}")
            self.kernels.addItem(item)

    # -- choosing ------------------------------------------------------------------------------
    def _start(self) -> None:
        item = self.specs.currentItem()
        if item is None or self._api is None:
            return
        name, display_name = item.data(_ROLE)
        self.start_requested.emit(self._api.address, name, display_name)
        self.accept()

    def _attach(self) -> None:
        item = self.kernels.currentItem()
        if item is None or self._api is None:
            return
        kernel_id, name = item.data(_ROLE)
        self.attach_requested.emit(self._api.address, kernel_id, name)
        self.accept()

    # -- remembering ---------------------------------------------------------------------------
    def _remember(self, address: ServerAddress) -> None:
        keep_token = self.remember_token.isChecked() and bool(address.token)
        try:
            self._recent = remember(self._folder, RecentServer(address.base_url, keep_token))
        except OSError as error:
            self._say(f"Connected, but the list of recent servers could not be saved: {error}")
        if keep_token and address.token:
            self._tokens.save(address.base_url, address.token, self._on_token_saved)
        elif not self.remember_token.isChecked():
            self._tokens.forget(address.base_url)

    def _on_token_saved(self, _token: str | None, error: str) -> None:
        if error:
            self._say(f"Connected, but the token was not remembered: {error}.", error=True)

    def _on_url_picked(self, url: str) -> None:
        known = next((server for server in self._recent if server.url == url), None)
        if known is None:
            return  # being typed: the user's choices stand
        self.remember_token.setChecked(known.token_saved)
        if known.token_saved:
            self._tokens.load(url, lambda token, _error: self._fill_token(url, token))

    def _fill_token(self, url: str, token: str | None) -> None:
        if token and self.url.currentText() == url and not self.token.text():
            self.token.setText(token)

    def _say(self, text: str, *, error: bool = False) -> None:
        self._parts.say(text, error=error)


def _ago(stamp: str | None) -> str:
    """``2026-12-01T19:20:00.000Z`` as "12 s ago", "3 min ago", "2 h ago"; "" if unreadable."""
    if not stamp:
        return ""
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = max(0.0, (datetime.now(timezone.utc) - when).total_seconds())
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"
