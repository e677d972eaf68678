"""A transport whose connection is not known yet (a kernel reached through an SSH tunnel that is
still being made): messages wait, then go to the real transport once it exists (Qt-free)."""
from __future__ import annotations

from collections import deque

from conch.app.kernel.transport import HeartbeatHandler, Message, MessageHandler, ProblemHandler, Transport

PENDING_LIMIT = 200
"""Messages held until the real transport exists; past this, the oldest go (and are reported)."""


class DeferredTransport:
    """A :class:`~conch.app.kernel.transport.Transport` that holds what is sent until
    :meth:`activate` hands it the real one, then is a thin pass-through to it."""

    def __init__(self) -> None:
        self._real: Transport | None = None
        self._handlers: tuple[MessageHandler, ProblemHandler, HeartbeatHandler] | None = None
        self._pending: deque[tuple[str, Message]] = deque()
        self._dropped = 0
        self._closed = False

    @property
    def heartbeat_ok(self) -> bool:
        return self._real.heartbeat_ok if self._real is not None else True

    @property
    def kernel_seen(self) -> bool:
        return self._real is not None and self._real.kernel_seen

    @property
    def dropped_messages(self) -> int:
        return self._dropped + (self._real.dropped_messages if self._real is not None else 0)

    @property
    def active(self) -> bool:
        return self._real is not None

    def start(self, on_message: MessageHandler, on_problem: ProblemHandler, on_heartbeat: HeartbeatHandler) -> None:
        self._handlers = (on_message, on_problem, on_heartbeat)
        if self._real is not None:
            self._start_real()

    def send(self, channel: str, message: Message) -> None:
        if self._closed:
            return
        if self._real is not None:
            self._real.send(channel, message)
            return
        if len(self._pending) >= PENDING_LIMIT:
            self._pending.popleft()
            self._dropped += 1
        self._pending.append((channel, message))

    def activate(self, real: Transport) -> None:
        """The connection exists now: start ``real`` and send what waited, in order."""
        if self._closed or self._real is not None:
            real.close()
            return
        self._real = real
        if self._handlers is not None:
            self._start_real()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        if self._real is not None:
            self._real.close()

    def _start_real(self) -> None:
        assert self._real is not None and self._handlers is not None
        self._real.start(*self._handlers)
        if self._dropped:
            self._handlers[1](f"{self._dropped} requests were dropped while the connection was being made")
        while self._pending:
            self._real.send(*self._pending.popleft())
