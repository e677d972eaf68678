"""One WebSocket to a kernel's channels on a Jupyter Server, without I/O (Qt-free).

A :class:`ChannelsLink` wraps the ``websockets`` package's sans-I/O ``ClientProtocol``: the
caller moves bytes between it and a socket (:meth:`ChannelsLink.receive`,
:meth:`ChannelsLink.outgoing`) and gets back what happened as events: the upgrade was
accepted (:class:`Opened`), a whole WebSocket message arrived (:class:`Payload`), or the
connection is over (:class:`~conch.app.kernel.ws_losses.ConnectionLost`). Pings from the
server are answered by the protocol itself; the answers leave through :meth:`outgoing`.
"""
from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Callable, Union

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from conch.app.kernel.ws_framing import LEGACY_PROTOCOL, V1_PROTOCOL
from conch.app.kernel.ws_losses import ConnectionLost as ConnectionLost  # re-exported for callers
from conch.app.kernel.ws_losses import ConnectionState as ConnectionState
from conch.app.kernel.ws_losses import LostReason as LostReason
from conch.app.kernel.ws_losses import http_refusal


@dataclass(frozen=True)
class Opened:
    """The upgrade was accepted; ``protocol`` is :data:`V1_PROTOCOL` or :data:`LEGACY_PROTOCOL`."""

    protocol: str


@dataclass(frozen=True)
class Payload:
    """One whole WebSocket message (fragments joined)."""

    data: bytes
    is_text: bool


LinkEvent = Union[Opened, Payload, ConnectionLost]

def ack_promptly(fd: int) -> None:
    """Ask the OS to acknowledge what arrived on socket ``fd`` at once (Linux; elsewhere nothing).

    Jupyter Server leaves Nagle's algorithm on, so it holds its second small frame (the reply
    after a status) until the first is acknowledged, and Linux delays that acknowledgement by
    up to 40 ms: ``1+1`` took 50 ms instead of 12. The option wears off, so set it per read."""
    if fd < 0 or not hasattr(socket, "TCP_QUICKACK"):
        return
    try:
        wrapper = socket.socket(fileno=fd)
    except OSError:
        return
    try:
        wrapper.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except OSError:
        pass
    finally:
        wrapper.detach()  # the descriptor stays Qt's


def websocket_url(url: str) -> str:
    """``url`` with an ``http``/``https`` scheme turned into ``ws``/``wss``."""
    for plain, websocket in (("http://", "ws://"), ("https://", "wss://")):
        if url.lower().startswith(plain):
            return websocket + url[len(plain) :]
    return url


class ChannelsLink:
    """The WebSocket protocol for one connection attempt to ``url``
    (``ws[s]://host/…/api/kernels/{id}/channels?session_id=…``).

    The upgrade request offers ``protocols`` (the v1 kernel protocol by default) and carries
    ``Authorization: token …`` when ``token`` is not empty. Incoming messages have no size
    limit. The link reports loss once; after that it accepts bytes and ignores them.
    """

    def __init__(self, url: str, token: str, *, protocols: tuple[str, ...] = (V1_PROTOCOL,)) -> None:
        self._uri = parse_uri(websocket_url(url))
        self._protocol = ClientProtocol(
            self._uri, subprotocols=[Subprotocol(name) for name in protocols], max_size=None
        )
        # Its debug log prints every request header, the token included.
        self._protocol.debug = False
        request = self._protocol.connect()
        if token:
            request.headers["Authorization"] = f"token {token}"
        request.headers["User-Agent"] = "conch"
        self._protocol.send_request(request)
        self._fragments: list[bytes] = []
        self._fragments_are_text = False
        self._lost: ConnectionLost | None = None
        self.protocol: str | None = None
        """The wire format once open: :data:`V1_PROTOCOL` or :data:`LEGACY_PROTOCOL`."""

    @staticmethod
    def check_url(url: str) -> None:
        """Raise ``websockets.exceptions.InvalidURI`` unless ``url`` is a ws/wss/http/https URL."""
        parse_uri(websocket_url(url))

    @property
    def host(self) -> str:
        return self._uri.host

    @property
    def port(self) -> int:
        return self._uri.port

    @property
    def where(self) -> str:
        """``host:port``, for messages."""
        return f"{self._uri.host}:{self._uri.port}"

    @property
    def secure(self) -> bool:
        return self._uri.secure

    @property
    def is_open(self) -> bool:
        return self._protocol.state is State.OPEN and self._lost is None

    @property
    def lost(self) -> ConnectionLost | None:
        return self._lost

    def outgoing(self) -> bytes:
        """Bytes to write to the socket now.

        (The protocol's "send EOF" marker, an empty chunk, comes only with or after a loss,
        and a lost connection's socket is closed anyway.)"""
        return b"".join(self._protocol.data_to_send())

    def receive(self, data: bytes) -> list[LinkEvent]:
        """Feed bytes read from the socket; what they made happen, in order."""
        if self._lost is not None or self._protocol.state is State.CLOSED:
            return []
        self._protocol.receive_data(data)
        return self._events()

    def receive_eof(self) -> list[LinkEvent]:
        """The socket reached its end (after every byte before it was fed to :meth:`receive`)."""
        if self._lost is not None:
            return []
        self._protocol.receive_eof()
        events = self._events()
        if self._lost is None:  # e.g. EOF while the close handshake was under way
            events.append(self.declare_lost(self._ended_without_close()))
        return events

    def send(self, payload: bytes, is_text: bool) -> None:
        if is_text:
            self._protocol.send_text(payload)
        else:
            self._protocol.send_binary(payload)

    def ping(self) -> None:
        self._protocol.send_ping(os.urandom(4))

    def close(self) -> None:
        """Start a normal close (going away) if the WebSocket is open; the caller then closes the socket."""
        if self._protocol.state is State.OPEN:
            self._protocol.send_close(1001, "client reconnecting or closing")

    def declare_lost(self, lost: ConnectionLost) -> ConnectionLost:
        """Record that the connection is over for ``lost`` (the first reason wins)."""
        if self._lost is None:
            self._lost = lost
        return self._lost

    def _events(self) -> list[LinkEvent]:
        events: list[LinkEvent] = []
        for event in self._protocol.events_received():
            if isinstance(event, Response):
                if self._protocol.handshake_exc is None:
                    self.protocol = self._protocol.subprotocol or LEGACY_PROTOCOL
                    events.append(Opened(self.protocol))
            elif isinstance(event, Frame):
                payload = self._frame(event)
                if payload is not None:
                    events.append(payload)
        lost = self._problem()
        if lost is not None and self._lost is None:
            events.append(self.declare_lost(lost))
        return events

    def _frame(self, frame: Frame) -> Payload | None:
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._fragments = [bytes(frame.data)]
            self._fragments_are_text = frame.opcode is Opcode.TEXT
        elif frame.opcode is Opcode.CONT:
            self._fragments.append(bytes(frame.data))
        else:
            return None  # ping (already answered), pong, close (seen through the protocol's state)
        if not frame.fin:
            return None
        data = self._fragments[0] if len(self._fragments) == 1 else b"".join(self._fragments)
        self._fragments = []
        return Payload(data, self._fragments_are_text)

    def _problem(self) -> ConnectionLost | None:
        """Why the connection is over after the last input, or None while it goes on."""
        protocol = self._protocol
        failure = protocol.handshake_exc
        if failure is not None:
            if isinstance(failure, InvalidStatus):
                return http_refusal(failure.response)
            if isinstance(failure.__cause__, EOFError):
                return ConnectionLost(LostReason.DROPPED, "The server closed the connection before answering the upgrade")
            return ConnectionLost(LostReason.PROTOCOL, f"The server's answer is not a WebSocket upgrade: {failure}")
        if protocol.close_rcvd is not None:
            code, reason = protocol.close_rcvd.code, protocol.close_rcvd.reason
            text = f"The server closed the WebSocket (code {code}{': ' + reason if reason else ''})"
            return ConnectionLost(LostReason.CLOSED, text, close_code=code, close_reason=reason)
        if protocol.parser_exc is not None:
            if isinstance(protocol.parser_exc, EOFError):
                return self._ended_without_close()
            return ConnectionLost(LostReason.PROTOCOL, f"WebSocket protocol error: {protocol.parser_exc}")
        return None

    def _ended_without_close(self) -> ConnectionLost:
        if self._protocol.state is State.CONNECTING or self.protocol is None:
            return ConnectionLost(LostReason.DROPPED, "The server closed the connection before answering the upgrade")
        return ConnectionLost(LostReason.DROPPED, "The connection was cut (no close frame from the server)")


class Liveness:
    """Tells when an open connection has been silent for longer than ``timeout`` seconds.

    :meth:`tick` is called every ``interval`` seconds (before each ping). A tick that comes
    late means the caller's own event loop stalled, with data perhaps waiting unread: that
    tick never judges, so a busy UI is not taken for a dead connection.
    """

    def __init__(self, interval: float, timeout: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.timeout = timeout
        self._clock = clock
        self._last_received = self._last_tick = clock()

    def restart(self) -> None:
        """The connection (re)opened: the silence starts now."""
        self._last_received = self._last_tick = self._clock()

    def received(self) -> None:
        self._last_received = self._clock()

    def tick(self, data_waiting: bool) -> bool:
        """True if the connection is to be taken as lost; ``data_waiting``: bytes are read but not handled yet."""
        now = self._clock()
        stalled = now - self._last_tick > self.interval + 1.0
        self._last_tick = now
        if data_waiting:
            self._last_received = now
        return not stalled and now - self._last_received > self.timeout
