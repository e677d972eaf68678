"""WebSocket transport to a kernel on a Jupyter Server or Kernel Gateway, on the Qt event loop.

A :class:`ChannelsLink` (sans-I/O WebSocket) over a ``QTcpSocket`` or ``QSslSocket``: no
threads, no ``waitFor*``. This is the only module of the WebSocket transport that imports Qt.
"""
from __future__ import annotations

import functools
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shiboken6
from jupyter_client.session import Session
from PySide6.QtCore import QTimer
from PySide6.QtNetwork import QAbstractSocket, QSsl, QSslCertificate, QSslError, QSslSocket, QTcpSocket

from conch.app.events import Event
from conch.app.kernel.transport import CONTROL, SHELL, STDIN, HeartbeatHandler, Message, MessageHandler, ProblemHandler
from conch.app.kernel.ws_delivery import Delivery
from conch.app.kernel.ws_framing import V1_PROTOCOL, encode
from conch.app.kernel.ws_link import ChannelsLink, Liveness, Opened, Payload, ack_promptly
from conch.app.kernel.ws_losses import ConnectionLost, ConnectionState, no_upgrade_in_time, silence, tls_failure
from conch.app.kernel.ws_losses import unreachable, untrusted_certificate
from conch.app.kernel.ws_problems import ProblemReporter

log = logging.getLogger(__name__)

READ_CHUNK = 256 * 1024
"""Bytes read from the socket at a time."""
PUMP_SLICE = 0.008
"""Seconds one turn of reading and delivering may take before yielding to the event loop."""
QUEUE_LIMIT = 1000
"""Messages held while not connected; past this, new ones are dropped (and reported)."""
_SEND_CHANNELS = (SHELL, CONTROL, STDIN)
_REAP_INTERVAL_MS = 1000
_SocketError = QAbstractSocket.SocketError
_NOT_REACHED = (_SocketError.ConnectionRefusedError, _SocketError.HostNotFoundError,
                _SocketError.NetworkError, _SocketError.SocketTimeoutError,
                _SocketError.SocketAccessError, _SocketError.ProxyConnectionRefusedError)  # fmt: skip
Certificate = bytes | QSslCertificate


@dataclass(eq=False)
class _Attempt:
    """One socket and the WebSocket spoken over it."""

    link: ChannelsLink
    socket: QTcpSocket
    reached: bool = False
    at_end: bool = False
    """The peer closed or the socket broke: once the read buffer is empty, the link gets EOF."""


class WebSocketTransport:
    """A :class:`~conch.app.kernel.transport.Transport` over one Jupyter Server kernel WebSocket.

    ``url`` is ``ws[s]://…/api/kernels/{id}/channels?session_id=…`` (``http[s]`` works too);
    keep the session_id across reconnects and the server replays what it buffered meanwhile.
    ``token`` goes in an ``Authorization: token …`` header and nowhere else. ``session`` only
    builds and packs messages: the server signs them. ``ca_certificates`` (PEM/DER bytes or
    ``QSslCertificate``) are trusted in addition to the system's for ``wss``.

    There is no heartbeat channel: ``on_heartbeat(False)`` means the connection was lost,
    ``on_heartbeat(True)`` that it is open again. For why, watch :attr:`connecting`,
    :attr:`opened` and :attr:`lost`; losses are not reported through ``on_problem``, which
    carries message-level problems only. Nothing reconnects by itself: call :meth:`reconnect`.
    Messages sent while not open are held (up to :data:`QUEUE_LIMIT`) and sent once open.
    """

    def __init__(
        self,
        url: str,
        token: str,
        session: Session,
        *,
        ca_certificates: Sequence[Certificate] = (),
        protocols: tuple[str, ...] = (V1_PROTOCOL,),
        ping_interval: float = 3.0,
        ping_timeout: float = 10.0,
        connect_timeout: float = 30.0,
    ) -> None:
        ChannelsLink.check_url(url)  # a malformed URL fails here, not on start()
        self._url = url
        self._token = token
        self._session = session
        self._ca_certificates = [_certificate(item) for item in ca_certificates]
        self._protocols = protocols
        self._liveness = Liveness(ping_interval, ping_timeout)
        self._state = ConnectionState.IDLE
        self._attempt: _Attempt | None = None
        self._retired: list[tuple[float, QTcpSocket]] = []
        self._queue: deque[tuple[str, Message]] = deque()
        self._on_heartbeat: HeartbeatHandler | None = None
        self._problems = ProblemReporter(self._defer_problems)
        self._delivery = Delivery(self._problems)
        self._heartbeat_ok = True
        self._pumping = False
        self.last_lost: ConnectionLost | None = None
        """Why the connection was last lost, or None."""
        self.protocol: str | None = None
        """The wire format of the open connection (:data:`V1_PROTOCOL` or "" for legacy)."""

        self.connecting: Event[[]] = Event()
        """A connection attempt began."""
        self.opened: Event[[str]] = Event()
        """The WebSocket is open; carries the wire format (:data:`V1_PROTOCOL` or "" for legacy)."""
        self.lost: Event[[ConnectionLost]] = Event()
        """An attempt failed or the open connection ended; carries why."""

        self._pump_timer = _timer(0, self._pump)
        self._ping_timer = _timer(max(1, int(ping_interval * 1000)), self._on_ping_tick, single=False)
        self._connect_timer = _timer(max(1, int(connect_timeout * 1000)), self._on_connect_timeout)
        self._reap_timer = _timer(_REAP_INTERVAL_MS, self._reap)
        self._problem_timer = _timer(0, self._problems.flush)

    # -- Transport API ---------------------------------------------------------------

    @property
    def heartbeat_ok(self) -> bool:
        return self._heartbeat_ok

    @property
    def kernel_seen(self) -> bool:
        return self._delivery.kernel_seen

    @property
    def dropped_messages(self) -> int:
        return self._problems.dropped

    @property
    def state(self) -> ConnectionState:
        return self._state

    def start(self, on_message: MessageHandler, on_problem: ProblemHandler, on_heartbeat: HeartbeatHandler) -> None:
        """Open the WebSocket and deliver incoming messages on the Qt event loop."""
        if self._state is not ConnectionState.IDLE:
            raise RuntimeError("WebSocketTransport.start() may be called only once")
        self._delivery.on_message = on_message
        self._on_heartbeat = on_heartbeat
        self._problems.start(on_problem)
        self._connect()

    def send(self, channel: str, message: Message) -> None:
        """Send ``message`` on ``channel`` now if open, else hold it until the connection opens."""
        if channel not in _SEND_CHANNELS:
            raise ValueError(f"cannot send on channel {channel!r}")
        if self._state is ConnectionState.IDLE:
            raise RuntimeError("WebSocketTransport.send() before start()")
        if self._state is ConnectionState.CLOSED:
            log.warning("dropping %s: transport is closed", message.get("msg_type"))
            return
        if self._state is ConnectionState.OPEN and self._attempt is not None:
            self._send_now(self._attempt, channel, message)
        elif len(self._queue) >= QUEUE_LIMIT:
            self._problems.report(f"Not connected: dropped a {message.get('msg_type')} ({QUEUE_LIMIT} messages wait)")
        else:
            self._queue.append((channel, message))

    def reconnect(self) -> None:
        """Drop the current socket, if any, and connect again with the same URL (and session_id)."""
        if self._state in (ConnectionState.IDLE, ConnectionState.CLOSED):
            raise RuntimeError(f"cannot reconnect a transport that is {self._state.value}")
        self._retire(goodbye=True)
        self._connect()

    def close(self) -> None:
        """Close the WebSocket and stop delivering. Idempotent."""
        if self._state is ConnectionState.CLOSED:
            return
        self._state = ConnectionState.CLOSED
        for timer in (self._pump_timer, self._ping_timer, self._connect_timer, self._problem_timer):
            timer.stop()
        self._retire(goodbye=True)
        for _retired_at, socket in self._retired:
            socket.abort()  # now: no event loop may run after this to finish a polite close
        self._queue.clear()
        self._delivery.clear()
        self._problems.stop()

    # -- connecting ------------------------------------------------------------------

    def _connect(self) -> None:
        link = ChannelsLink(self._url, self._token, protocols=self._protocols)
        socket: QTcpSocket = QSslSocket() if link.secure else QTcpSocket()
        attempt = _Attempt(link, socket)
        self._attempt = attempt
        socket.readyRead.connect(functools.partial(self._on_ready_read, attempt))
        socket.errorOccurred.connect(functools.partial(self._on_socket_error, attempt))
        socket.disconnected.connect(functools.partial(self._on_disconnected, attempt))
        self._state = ConnectionState.CONNECTING
        self._connect_timer.start()
        if isinstance(socket, QSslSocket):
            config = socket.sslConfiguration()
            config.addCaCertificates(self._ca_certificates)
            socket.setSslConfiguration(config)
            socket.encrypted.connect(functools.partial(self._on_reached, attempt))
            socket.sslErrors.connect(functools.partial(self._on_ssl_errors, attempt))
            socket.connectToHostEncrypted(link.host, link.port)
        else:
            socket.connected.connect(functools.partial(self._on_reached, attempt))
            socket.connectToHost(link.host, link.port)
        self.connecting.emit()

    def _on_reached(self, attempt: _Attempt) -> None:
        if attempt is self._attempt:
            attempt.reached = True
            self._write_out(attempt)  # the upgrade request

    def _on_open(self, attempt: _Attempt, protocol: str) -> None:
        self._connect_timer.stop()
        self._state = ConnectionState.OPEN
        self.protocol = protocol
        self._liveness.restart()
        self._ping_timer.start()
        log.info("kernel WebSocket open (%s)", protocol or "legacy protocol")
        self.opened.emit(protocol)
        self._set_heartbeat(True)
        while self._queue and self._attempt is attempt and self._state is ConnectionState.OPEN:
            channel, message = self._queue.popleft()
            try:
                self._send_now(attempt, channel, message)
            except Exception as exc:
                self._problems.report(f"Could not send a held {message.get('msg_type')}: {exc}")

    def _send_now(self, attempt: _Attempt, channel: str, message: Message) -> None:
        assert attempt.link.protocol is not None
        payload, is_text = encode(attempt.link.protocol, channel, message, self._session.pack)
        attempt.link.send(payload, is_text)
        self._write_out(attempt)

    def _write_out(self, attempt: _Attempt) -> None:
        data = attempt.link.outgoing()
        if data:
            attempt.socket.write(data)
            attempt.socket.flush()  # now, not on the next turn of the event loop (1.5 ms a request)

    # -- losing ----------------------------------------------------------------------

    def _lose(self, attempt: _Attempt, lost: ConnectionLost) -> None:
        if attempt is not self._attempt:
            return
        lost = attempt.link.declare_lost(lost)
        self._retire(goodbye=False)
        self._connect_timer.stop()
        self._ping_timer.stop()
        self._state = ConnectionState.LOST
        self.last_lost = lost
        log.warning("kernel WebSocket lost (%s): %s", lost.reason.value, lost.text)
        self.lost.emit(lost)
        if self._state is ConnectionState.LOST:  # not reconnected from inside the handler
            self._set_heartbeat(False)

    def _retire(self, *, goodbye: bool) -> None:
        """Stop using the current socket and close it (with a close frame if ``goodbye``)."""
        attempt, self._attempt = self._attempt, None
        if attempt is None:
            return
        if goodbye:
            attempt.link.close()
        self._write_out(attempt)
        attempt.socket.flush()  # without blocking
        attempt.socket.disconnectFromHost()
        # Deleted a turn later at the earliest: we may be inside one of its own signals.
        self._retired.append((time.monotonic(), attempt.socket))
        if not self._reap_timer.isActive():
            self._reap_timer.start()

    def _reap(self) -> None:
        """Abort and release the sockets retired more than a reap interval ago."""
        cutoff = time.monotonic() - _REAP_INTERVAL_MS / 1000
        for _retired_at, socket in [item for item in self._retired if item[0] <= cutoff]:
            socket.abort()
        self._retired = [item for item in self._retired if item[0] > cutoff]
        if self._retired:
            self._reap_timer.start()

    def _on_socket_error(self, attempt: _Attempt, error: QAbstractSocket.SocketError) -> None:
        if not attempt.reached and error in _NOT_REACHED:
            self._lose(attempt, unreachable(attempt.link.where, attempt.socket.errorString()))
        elif error is _SocketError.SslHandshakeFailedError:
            self._lose(attempt, tls_failure(attempt.link.where, attempt.socket.errorString()))
        else:
            self._on_disconnected(attempt)

    def _on_disconnected(self, attempt: _Attempt) -> None:
        if attempt is self._attempt:
            attempt.at_end = True  # read what arrived before the end, then tell the link
            self._schedule()

    def _on_ssl_errors(self, attempt: _Attempt, errors: list[QSslError]) -> None:
        if attempt is not self._attempt:
            return
        certificate = next((e.certificate() for e in errors if not e.certificate().isNull()), None)
        if certificate is None and isinstance(attempt.socket, QSslSocket):
            certificate = attempt.socket.peerCertificate()
        der = bytes(certificate.toDer().data()) if certificate is not None and not certificate.isNull() else None
        self._lose(attempt, untrusted_certificate(attempt.link.host, [e.errorString() for e in errors], der))

    def _on_connect_timeout(self) -> None:
        attempt = self._attempt
        if attempt is not None and not attempt.link.is_open:
            self._lose(attempt, no_upgrade_in_time(attempt.link.where))

    def _on_ping_tick(self) -> None:
        attempt = self._attempt
        if attempt is None or not attempt.link.is_open:
            return
        if self._liveness.tick(attempt.socket.bytesAvailable() > 0 or self._delivery.pending):
            self._lose(attempt, silence(attempt.link.where, self._liveness.timeout))
            return
        attempt.link.ping()
        self._write_out(attempt)

    def _defer_problems(self, seconds: float) -> None:
        if not self._problem_timer.isActive():
            self._problem_timer.start(max(1, int(seconds * 1000)))

    def _set_heartbeat(self, ok: bool) -> None:
        if ok == self._heartbeat_ok or self._on_heartbeat is None:
            return
        self._heartbeat_ok = ok
        try:
            self._on_heartbeat(ok)
        except Exception:
            log.exception("heartbeat handler failed")

    # -- receiving -------------------------------------------------------------------

    def _on_ready_read(self, attempt: _Attempt) -> None:
        if attempt is self._attempt:
            self._pump()

    def _schedule(self) -> None:
        if self._state is ConnectionState.CLOSED or not shiboken6.isValid(self._pump_timer):
            return  # a socket's last signal after the application has torn down the timers
        if not self._pump_timer.isActive():
            self._pump_timer.start()

    def _pump(self) -> None:
        """Deliver what was received, then read more, until nothing is left or the slice is used up."""
        if self._pumping:  # re-entered from a nested event loop inside a handler: finish later
            self._schedule()
            return
        self._pumping = True
        deadline = time.perf_counter() + PUMP_SLICE  # module global: tests may shrink it
        try:
            while self._state is not ConnectionState.CLOSED:
                if self._delivery.pending:
                    self._delivery.step()
                elif not self._read_chunk():
                    return
                if time.perf_counter() > deadline:
                    self._schedule()  # readyRead will not fire again for bytes already buffered
                    return
        finally:
            self._pumping = False

    def _read_chunk(self) -> bool:
        """Feed one chunk from the socket to the link and act on what it made happen;
        False when there was nothing to read."""
        attempt = self._attempt
        if attempt is None:
            return False
        data = bytes(attempt.socket.read(READ_CHUNK).data()) if attempt.socket.bytesAvailable() else b""
        if data:
            ack_promptly(attempt.socket.socketDescriptor())
            self._liveness.received()
            events = attempt.link.receive(data)
        elif attempt.at_end:
            events = attempt.link.receive_eof()
        else:
            return False
        self._write_out(attempt)  # pongs, close echoes
        for event in events:
            if isinstance(event, Payload):
                self._delivery.push(attempt.link.protocol or "", event)
            elif isinstance(event, Opened):
                self._on_open(attempt, event.protocol)
            else:
                self._lose(attempt, event)
        return True


def _certificate(item: Certificate) -> QSslCertificate:
    if isinstance(item, QSslCertificate):
        return item
    encoding = QSsl.EncodingFormat.Pem if item.lstrip().startswith(b"-----") else QSsl.EncodingFormat.Der
    certificate = QSslCertificate(item, encoding)
    if certificate.isNull():
        raise ValueError("not a PEM or DER certificate")
    return certificate


def _timer(interval_ms: int, slot: Callable[[], None], *, single: bool = True) -> QTimer:
    timer = QTimer()
    timer.setSingleShot(single)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
