"""The running Conch's side of :mod:`conch.app.single_instance`: a ``QLocalServer`` whose
requests (read without blocking) open tabs or dialogs in the window."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from conch.app.single_instance import REQUEST_LIMIT, decode

log = logging.getLogger(__name__)


class InstanceServer(QObject):
    """Listens for later launches; each request they send is emitted as :attr:`requested`."""

    requested = Signal(object)
    """A later launch asked for something (the request dict, checked)."""

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def listen(self) -> bool:
        """Start listening (replacing a stale socket nobody answers on: the caller checked);
        False, and logged, if another Conch took the name first or the folder is not writable."""
        QLocalServer.removeServer(str(self.path))
        if not self._server.listen(str(self.path)):
            log.warning("cannot listen on %s: %s", self.path, self._server.errorString())
            return False
        return True

    def close(self) -> None:
        self._server.close()
        if self.path.exists():
            os.unlink(self.path)

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            connection = self._server.nextPendingConnection()
            self._buffers[connection] = bytearray()
            connection.readyRead.connect(lambda c=connection: self._read(c))
            connection.disconnected.connect(lambda c=connection: self._forget(c))

    def _read(self, connection: QLocalSocket) -> None:
        buffer = self._buffers.get(connection)
        if buffer is None:
            return
        buffer += bytes(connection.readAll().data())
        if b"\n" not in buffer and len(buffer) <= REQUEST_LIMIT:
            return  # the rest of the line comes with the next readyRead
        line = bytes(buffer.split(b"\n", 1)[0])
        request: dict[str, Any] | None = decode(line)
        connection.write(b"ok\n" if request is not None else b"refused\n")
        connection.flush()
        connection.disconnectFromServer()
        self._forget(connection)
        if request is not None:
            self.requested.emit(request)
        else:
            log.warning("ignored a malformed request from another launch")

    def _forget(self, connection: QLocalSocket) -> None:
        if self._buffers.pop(connection, None) is not None:
            connection.deleteLater()
