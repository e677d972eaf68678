"""The seam between how messages travel and everything above it.

Everything above a :class:`Transport` speaks Jupyter messages as dicts (the shape
``jupyter_client.session.Session.msg`` builds: ``header``, ``parent_header``,
``metadata``, ``content``, ``buffers``, ``msg_id``, ``msg_type``). ZMQ is one
transport; a Jupyter Server WebSocket will be another. Nothing above knows which.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

Message = dict[str, Any]

SHELL = "shell"
IOPUB = "iopub"
STDIN = "stdin"
CONTROL = "control"
CHANNELS = (SHELL, IOPUB, STDIN, CONTROL)

MessageHandler = Callable[[str, Message], None]
"""Called with (channel name, deserialized message) for every valid incoming message."""

ProblemHandler = Callable[[str], None]
"""Called with a human-readable description of a transport problem
(a message dropped for a bad signature, a malformed message, ...)."""

HeartbeatHandler = Callable[[bool], None]
"""Called when the kernel's heartbeat is lost (False) or comes back (True)."""


class Transport(Protocol):
    """Carries Jupyter messages between a client and one kernel."""

    def start(
        self,
        on_message: MessageHandler,
        on_problem: ProblemHandler,
        on_heartbeat: HeartbeatHandler,
    ) -> None:
        """Connect and begin delivering incoming messages to ``on_message``.

        Delivery happens on the caller's event loop, never on another thread.
        """

    def send(self, channel: str, message: Message) -> None:
        """Sign/serialize ``message`` and queue it on ``channel``; never blocks."""

    @property
    def heartbeat_ok(self) -> bool:
        """False once the kernel has missed its heartbeat deadline."""

    @property
    def kernel_seen(self) -> bool:
        """True once the kernel answered anything (a heartbeat or a valid message)."""

    @property
    def dropped_messages(self) -> int:
        """How many incoming messages were dropped (bad signature, malformed)."""

    def close(self) -> None:
        """Stop delivering and release sockets/connections. Idempotent."""
