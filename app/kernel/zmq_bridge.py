"""ZMQ transport on the Qt event loop: one QSocketNotifier per socket, no threads.

This is the only module in ``conch.app.kernel`` that imports Qt.
"""
from __future__ import annotations

import errno
import functools
import logging
import time
from collections.abc import Iterator
from typing import Any, Mapping, cast

import zmq
from jupyter_client.session import Session
from PySide6.QtCore import QSocketNotifier, QTimer
from zmq.utils.monitor import parse_monitor_message

from conch.app.kernel.stream_pieces import PieceSize, is_big_stream, pieces
from conch.app.kernel.transport import (
    CONTROL,
    IOPUB,
    SHELL,
    STDIN,
    HeartbeatHandler,
    Message,
    MessageHandler,
    ProblemHandler,
)

log = logging.getLogger(__name__)

HB = "hb"
_SOCKET_TYPES = {SHELL: zmq.DEALER, CONTROL: zmq.DEALER, STDIN: zmq.DEALER, IOPUB: zmq.SUB, HB: zmq.REQ}
# iopub first: PUB/SUB drops what is published before the subscription lands, so
# give it a head start over the shell request the client sends right after start().
_CONNECT_ORDER = (IOPUB, SHELL, CONTROL, STDIN, HB)
_SEND_CHANNELS = (SHELL, CONTROL, STDIN)
# Sends are held until these have finished their ZMTP handshake: the kernel's stdin
# ROUTER silently drops an input_request for a peer it has not met yet, and output
# published before the SUB is connected is lost.
_GATED = (IOPUB, SHELL, CONTROL, STDIN)
_MONITOR = ":monitor"

DRAIN_SLICE = 0.008
"""Seconds one drain may spend before yielding to the event loop."""

PROBLEM_INTERVAL = 1.0
"""After the first, dropped messages are reported at most once per this many seconds."""


class ZmqTransport:
    """A :class:`~conch.app.kernel.transport.Transport` over the kernel's ZMQ sockets.

    ``connection_info`` is a connection-file dict (``transport``, ``ip``, ``*_port``,
    optional ``curve_publickey``/``curve_secretkey``); ``session`` must carry the
    connection's key and signature scheme. Everything runs on the thread that owns
    the Qt event loop. Messages sent before every channel is connected are held, in
    order, until they all are. Until the kernel has answered once (a pong or any
    valid message) a ping may take ``heartbeat_startup_grace`` seconds instead of
    ``heartbeat_timeout``, so a kernel that is still booting is not reported dead.
    """

    def __init__(
        self,
        connection_info: Mapping[str, Any],
        session: Session,
        *,
        heartbeat_interval: float = 1.0,
        heartbeat_timeout: float = 3.0,
        heartbeat_startup_grace: float = 10.0,
    ) -> None:
        self._info = dict(connection_info)
        self._session = session
        self._hb_interval_ms = max(1, int(heartbeat_interval * 1000))
        self._hb_timeout_ms = max(1, int(heartbeat_timeout * 1000))
        self._hb_grace_ms = max(self._hb_timeout_ms, int(heartbeat_startup_grace * 1000))
        self._context: zmq.Context[Any] | None = None
        self._sockets: dict[str, zmq.Socket[Any]] = {}
        self._notifiers: dict[str, QSocketNotifier] = {}
        self._retired: list[QSocketNotifier] = []
        self._on_message: MessageHandler | None = None
        self._on_problem: ProblemHandler | None = None
        self._on_heartbeat: HeartbeatHandler | None = None
        self._started = False
        self._closed = False
        self._dropped = 0
        self._unreported_drops = 0
        self._last_problem_at: float | None = None
        self._last_drop_reason = ""
        self._heartbeat_ok = True
        self._hb_waiting = False
        self._hb_ever_answered = False
        self._held: list[tuple[str, list[Any]]] | None = []  # None once all are connected
        self._connected: set[str] = set()
        self._pending: dict[str, None] = {}  # ordered set of channels to drain next turn
        self._draining: set[str] = set()
        # A huge stream message being handed on in pieces, per channel; nothing else from
        # that channel is delivered before its last piece.
        self._split: dict[str, Iterator[Message]] = {}
        self._piece_size = PieceSize()

        self._drain_timer = QTimer()
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._drain_pending)
        self._hb_timer = QTimer()
        self._hb_timer.setSingleShot(True)
        self._hb_timer.timeout.connect(self._hb_ping)
        self._hb_deadline = QTimer()
        self._hb_deadline.setSingleShot(True)
        self._hb_deadline.timeout.connect(self._hb_missed)
        self._problem_timer = QTimer()
        self._problem_timer.setSingleShot(True)
        self._problem_timer.timeout.connect(self._flush_problem)

    # -- Transport API ---------------------------------------------------------------

    @property
    def heartbeat_ok(self) -> bool:
        return self._heartbeat_ok

    @property
    def kernel_seen(self) -> bool:
        return self._hb_ever_answered

    @property
    def dropped_messages(self) -> int:
        return self._dropped

    def start(
        self,
        on_message: MessageHandler,
        on_problem: ProblemHandler,
        on_heartbeat: HeartbeatHandler,
    ) -> None:
        """Connect all sockets and begin delivering messages on the Qt event loop."""
        if self._started or self._closed:
            raise RuntimeError("ZmqTransport.start() may be called only once")
        self._started = True
        self._on_message = on_message
        self._on_problem = on_problem
        self._on_heartbeat = on_heartbeat
        self._context = zmq.Context()
        for name in _CONNECT_ORDER:
            self._open(name)
        # The FD only signals edges: anything already queued must be drained by hand.
        for name in list(self._sockets):
            self._schedule(name)
        self._hb_ping()

    def send(self, channel: str, message: Message) -> None:
        """Sign, serialize and queue ``message`` on ``channel`` without blocking."""
        if channel not in _SEND_CHANNELS:
            raise ValueError(f"cannot send on channel {channel!r}")
        if not self._started:
            raise RuntimeError("ZmqTransport.send() before start()")
        if self._closed:
            log.warning("dropping %s: transport is closed", message.get("msg_type"))
            return
        frames: list[Any] = self._session.serialize(message)
        frames.extend(message.get("buffers") or ())
        if self._held is not None:
            self._held.append((channel, frames))
        else:
            self._send_frames(channel, frames)

    def _send_frames(self, channel: str, frames: list[Any]) -> None:
        try:
            self._sockets[channel].send_multipart(frames, zmq.NOBLOCK, copy=True)
        except zmq.Again:
            self._report(f"Could not queue a message on {channel}: its queue is full")
        # Sending processes the socket's pending commands, which can consume the
        # FD edge for messages that are already waiting.
        self._schedule(channel)

    def close(self) -> None:
        """Stop timers and notifiers and close every socket with linger 0. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for timer in (self._drain_timer, self._hb_timer, self._hb_deadline, self._problem_timer):
            timer.stop()
        # close() may run inside a notifier's own activation; keep the disabled
        # notifiers referenced instead of deleting them under Qt's feet.
        for notifier in self._notifiers.values():
            notifier.setEnabled(False)
        self._retired.extend(self._notifiers.values())
        self._notifiers.clear()
        for key in [key for key in self._sockets if key.endswith(_MONITOR)]:
            self._stop_monitor(key[: -len(_MONITOR)])
        for sock in self._sockets.values():
            sock.close(linger=0)
        self._sockets.clear()
        self._pending.clear()
        self._split.clear()
        self._held = None
        if self._context is not None:
            self._context.term()  # returns at once: every socket is closed, linger 0
            self._context = None

    # -- sockets ---------------------------------------------------------------------

    def _url(self, name: str) -> str:
        transport = self._info.get("transport", "tcp")
        ip = self._info.get("ip", "127.0.0.1")
        port = int(self._info[f"{name}_port"])
        if transport == "tcp":
            return f"tcp://{ip}:{port}"
        return f"{transport}://{ip}-{port}"

    def _open(self, name: str) -> None:
        assert self._context is not None
        sock = self._context.socket(_SOCKET_TYPES[name])
        sock.linger = 0
        if name in (SHELL, STDIN, CONTROL):
            # The kernel routes input_request to the shell requester's identity.
            sock.identity = self._session.bsession
        if name == IOPUB:
            # Unbounded on our side: with the default limit of 1000 a busy UI makes
            # the kernel's PUB socket silently drop output.
            sock.rcvhwm = 0
            sock.setsockopt(zmq.SUBSCRIBE, b"")
        public, secret = self._info.get("curve_publickey"), self._info.get("curve_secretkey")
        if public and secret:
            public_b = public.encode() if isinstance(public, str) else public
            secret_b = secret.encode() if isinstance(secret, str) else secret
            sock.curve_secretkey = secret_b
            sock.curve_publickey = public_b
            sock.curve_serverkey = public_b
        if name in _GATED and self._held is not None:
            # Attached before connect() so the handshake event cannot be missed.
            monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
            monitor.linger = 0
            self._watch(name + _MONITOR, monitor)
        sock.connect(self._url(name))
        self._watch(name, sock)

    def _watch(self, key: str, sock: zmq.Socket[Any]) -> None:
        notifier = QSocketNotifier(sock.getsockopt(zmq.FD), QSocketNotifier.Type.Read)
        notifier.activated.connect(functools.partial(self._on_activated, key))
        self._sockets[key] = sock
        self._notifiers[key] = notifier

    def _stop_monitor(self, name: str) -> None:
        key = name + _MONITOR
        notifier = self._notifiers.pop(key, None)
        if notifier is not None:
            notifier.setEnabled(False)
            self._retired.append(notifier)  # we may be inside its activation
        monitor = self._sockets.pop(key, None)
        if monitor is not None:
            self._sockets[name].disable_monitor()
            monitor.close(linger=0)
        self._pending.pop(key, None)

    def _on_monitor_event(self, key: str, frames: list[bytes]) -> None:
        event = parse_monitor_message(frames)["event"]
        if event != zmq.EVENT_HANDSHAKE_SUCCEEDED or self._held is None:
            return
        self._connected.add(key[: -len(_MONITOR)])
        if not self._connected.issuperset(_GATED):
            return
        held, self._held = self._held, None
        for name in _GATED:
            self._stop_monitor(name)
        log.debug("all channels connected; sending %d held messages", len(held))
        for channel, message_frames in held:
            self._send_frames(channel, message_frames)

    def _reopen(self, name: str) -> None:
        old = self._notifiers.pop(name, None)
        if old is not None:
            old.setEnabled(False)
        sock = self._sockets.pop(name, None)
        if sock is not None:
            sock.close(linger=0)
        self._pending.pop(name, None)
        self._open(name)

    # -- receiving -------------------------------------------------------------------

    def _on_activated(self, name: str, *_args: object) -> None:
        self._drain(name)

    def _schedule(self, name: str) -> None:
        if self._closed:
            return
        self._pending[name] = None
        if not self._drain_timer.isActive():
            self._drain_timer.start()

    def _drain_pending(self) -> None:
        pending, self._pending = list(self._pending), {}
        for name in pending:
            if self._closed:
                return
            self._drain(name)

    def _drain(self, name: str) -> None:
        if self._closed:
            return
        if name in self._draining:
            # Re-entered from a nested event loop inside a handler: finish later.
            self._schedule(name)
            return
        self._draining.add(name)
        try:
            self._drain_socket(name)
        finally:
            self._draining.discard(name)

    def _drain_socket(self, name: str) -> None:
        deadline = time.perf_counter() + DRAIN_SLICE  # module global: tests may shrink it
        sock = self._sockets.get(name)
        if name in self._split and not self._deliver_pieces(name, deadline):
            return
        while sock is not None and not sock.closed:
            try:
                if not cast(int, sock.getsockopt(zmq.EVENTS)) & zmq.POLLIN:
                    return
                frames = sock.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            except zmq.ZMQError as exc:
                if exc.errno in (errno.ENOTSOCK, zmq.ETERM):
                    return
                raise
            if name == HB:
                self._hb_pong()
            elif name.endswith(_MONITOR):
                self._on_monitor_event(name, frames)
            else:
                self._deliver(name, frames)
            if self._closed or self._sockets.get(name) is not sock:
                return
            if name in self._split and not self._deliver_pieces(name, deadline):
                return
            if time.perf_counter() > deadline:
                # A flood: let the UI have a turn. The FD will not signal again for
                # what is already queued, so the zero-timer must come back for it.
                self._schedule(name)
                return

    def _deliver(self, name: str, frames: list[bytes]) -> None:
        try:
            _idents, parts = self._session.feed_identities(frames, copy=True)
            message = self._session.deserialize(parts, content=True, copy=True)
        except Exception as exc:
            self._drop(name, exc)
            return
        if not self._hb_ever_answered:
            self._kernel_is_up()
        if name == IOPUB and is_big_stream(message, self._piece_size.chars):
            self._split[name] = pieces(message, self._piece_size)  # handed on by the drain
            return
        self._dispatch(name, message)

    def _dispatch(self, name: str, message: Message) -> None:
        assert self._on_message is not None
        try:
            self._on_message(name, message)
        except Exception:
            log.exception("message handler failed for %s on %s", message.get("msg_type"), name)

    def _deliver_pieces(self, name: str, deadline: float) -> bool:
        """Hand on pieces of the split message until the slice is used up; True once all are."""
        split = self._split[name]
        for piece in split:
            started = time.perf_counter()
            self._dispatch(name, piece)
            now = time.perf_counter()
            self._piece_size.measure(len(piece["content"]["text"]), now - started)
            if self._closed:
                return False
            if now > deadline:
                self._schedule(name)  # the rest next turn: the UI paints in between
                return False
        del self._split[name]
        return True

    # -- problems --------------------------------------------------------------------

    def _drop(self, name: str, exc: Exception) -> None:
        self._dropped += 1
        self._unreported_drops += 1
        reason = f"{type(exc).__name__}: {exc}"
        if len(reason) > 200:
            reason = reason[:200] + "…"
        self._last_drop_reason = f"on {name}: {reason}"
        now = time.monotonic()
        since = None if self._last_problem_at is None else now - self._last_problem_at
        if since is None or since >= PROBLEM_INTERVAL:
            log.warning("dropped a message %s", self._last_drop_reason)
            self._flush_problem()
        else:
            log.debug("dropped a message %s", self._last_drop_reason)
            if not self._problem_timer.isActive():
                self._problem_timer.start(max(1, int((PROBLEM_INTERVAL - since) * 1000)))

    def _flush_problem(self) -> None:
        count, self._unreported_drops = self._unreported_drops, 0
        if count == 0:
            return
        self._last_problem_at = time.monotonic()
        if count == 1:
            text = f"Dropped an invalid message {self._last_drop_reason}"
        else:
            text = f"Dropped {count} invalid messages (last {self._last_drop_reason})"
        self._report(text)

    def _report(self, text: str) -> None:
        if self._on_problem is None or self._closed:
            return
        try:
            self._on_problem(text)
        except Exception:
            log.exception("problem handler failed")

    # -- heartbeat -------------------------------------------------------------------

    def _hb_ping(self) -> None:
        if self._closed:
            return
        try:
            self._sockets[HB].send(b"ping", zmq.NOBLOCK)
        except zmq.ZMQError as exc:
            # A full queue or a REQ in the wrong state: the deadline will recreate it.
            log.debug("heartbeat ping not sent: %s", exc)
        self._hb_waiting = True
        self._hb_deadline.start(self._hb_timeout_ms if self._hb_ever_answered else self._hb_grace_ms)
        self._schedule(HB)

    def _hb_pong(self) -> None:
        if not self._hb_waiting:
            return
        self._hb_waiting = False
        self._hb_ever_answered = True
        self._hb_deadline.stop()
        self._hb_timer.start(self._hb_interval_ms)
        if not self._heartbeat_ok:
            self._heartbeat_ok = True
            log.info("kernel heartbeat is back")
            self._call_heartbeat(True)

    def _kernel_is_up(self) -> None:
        # A signed message proves the kernel has booted: the startup grace is over.
        self._hb_ever_answered = True
        if self._hb_waiting and self._hb_deadline.remainingTime() > self._hb_timeout_ms:
            self._hb_deadline.start(self._hb_timeout_ms)

    def _hb_missed(self) -> None:
        if self._closed:
            return
        # After a long stall of our own the pong may be waiting unread while this timer fires
        # first: read it before blaming the kernel (a busy UI is not a dead kernel).
        self._drain_socket(HB)
        if not self._hb_waiting or self._closed:
            return
        self._hb_waiting = False
        if self._heartbeat_ok:
            self._heartbeat_ok = False
            log.warning("kernel heartbeat missed its deadline")
            self._call_heartbeat(False)
            if self._closed:
                return
        # A REQ socket that never got its reply is stuck; start over with a fresh one.
        self._reopen(HB)
        self._hb_ping()

    def _call_heartbeat(self, ok: bool) -> None:
        if self._on_heartbeat is None:
            return
        try:
            self._on_heartbeat(ok)
        except Exception:
            log.exception("heartbeat handler failed")
