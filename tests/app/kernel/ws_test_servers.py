"""Scripted WebSocket peers for the WebSocketTransport edge tests (loopback, a thread each)."""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Callable

from websockets.datastructures import Headers
from websockets.sync.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol
from websockets.utils import accept_key

from conch.app.kernel.ws_framing import V1_PROTOCOL

Script = Callable[[ServerConnection], None]


class ScriptedServer:
    """A ``websockets`` server whose every connection runs ``script`` (on the server's thread).

    ``v1=False`` selects no subprotocol (the legacy format). Requests' headers are kept in
    :attr:`requests`, in order."""

    def __init__(self, script: Script, *, v1: bool = True, ssl_context: ssl.SSLContext | None = None,
                 ping_interval: float | None = None) -> None:  # fmt: skip
        self.requests: list[Headers] = []
        self._script = script
        self._server: Server = serve(
            self._handle, "127.0.0.1", 0, ssl=ssl_context,
            subprotocols=[Subprotocol(V1_PROTOCOL)] if v1 else None,
            select_subprotocol=None if v1 else (lambda _conn, _offered: None),
            compression=None, max_size=None, ping_interval=ping_interval, ping_timeout=None,
        )  # fmt: skip
        self.port: int = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, scheme: str = "ws") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/api/kernels/k/channels?session_id=s"

    def connections(self) -> set[ServerConnection]:
        return self._server.connections

    def _handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        self.requests.append(connection.request.headers)
        self._script(connection)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(10)


class SilentServer:
    """A TCP server that never sends a byte (``upgrade=False``), or that accepts the WebSocket
    upgrade with the v1 protocol and then says nothing more, ever."""

    def __init__(self, *, upgrade: bool) -> None:
        self._upgrade = upgrade
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/kernels/k/channels?session_id=s"

    def _serve(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        self._clients.append(client)
        if not self._upgrade:
            return
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = client.recv(4096)
            if not chunk:
                return
            request += chunk
        key = next(line.split(b":", 1)[1].strip().decode() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))  # fmt: skip
        client.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_key(key)}\r\nSec-WebSocket-Protocol: {V1_PROTOCOL}\r\n\r\n".encode()
        )  # then silence: what the client sends (pings included) is never read or answered

    def close(self) -> None:
        self._listener.close()
        for client in self._clients:
            client.close()
        self._thread.join(10)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1, made by the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key
