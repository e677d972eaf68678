"""A loopback TCP proxy for tests that can cut every connection through it, like a network drop."""
from __future__ import annotations

import selectors
import socket
import threading


class CuttableProxy:
    """Forwards 127.0.0.1:``port`` to ``target_host``:``target_port`` on a thread of its own
    (the code under test runs on the Qt loop; this stands for the network in between).

    :meth:`cut` ends every open connection gracefully on both sides (FIN, after forwarding what
    was already read) and keeps accepting new ones.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._cut_requested = threading.Event()
        self._cut_done = threading.Event()
        self._stop = threading.Event()
        self._wake_read, self._wake_write = socket.socketpair()
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="cuttable-proxy", daemon=True)
        self._thread.start()

    def __enter__(self) -> CuttableProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def cut(self) -> None:
        """Close every connection through the proxy now (returns once they are closed)."""
        self._cut_done.clear()
        self._cut_requested.set()
        self._wake_write.send(b"x")
        if not self._cut_done.wait(10):
            raise RuntimeError("the proxy did not cut its connections")

    def close(self) -> None:
        self._stop.set()
        self._wake_write.send(b"x")
        self._thread.join(10)
        self._listener.close()
        self._wake_read.close()
        self._wake_write.close()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                for key, _mask in self._selector.select(timeout=1.0):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        self._accept()
                    elif sock is self._wake_read:
                        sock.recv(64)
                    elif sock in self._peers:
                        self._forward(sock)
                if self._cut_requested.is_set():
                    self._cut_requested.clear()
                    self._close_all()
                    self._cut_done.set()
        finally:
            self._close_all()
            self._selector.close()

    def _accept(self) -> None:
        try:
            client, _address = self._listener.accept()
        except BlockingIOError:
            return
        upstream = socket.create_connection(self._target, timeout=10)
        for sock in (client, upstream):
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._peers[client], self._peers[upstream] = upstream, client
        self._selector.register(client, selectors.EVENT_READ)
        self._selector.register(upstream, selectors.EVENT_READ)

    def _forward(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(1 << 16)
        except OSError:
            data = b""
        peer = self._peers[sock]
        if not data:
            self._close_pair(sock)
            return
        try:
            peer.sendall(data)
        except OSError:
            self._close_pair(sock)

    def _close_pair(self, sock: socket.socket) -> None:
        peer = self._peers.pop(sock, None)
        for each in (sock, peer):
            if each is None:
                continue
            self._peers.pop(each, None)
            try:
                self._selector.unregister(each)
            except (KeyError, ValueError):
                pass
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            each.close()

    def _close_all(self) -> None:
        for sock in list(self._peers):
            self._close_pair(sock)
