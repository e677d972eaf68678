"""One console's connection to a kernel on a Jupyter server, reopened after every drop."""
from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from jupyter_client.session import Session
from PySide6.QtCore import QTimer

from conch.app.kernel.transport import IOPUB, HeartbeatHandler, Message, MessageHandler, ProblemHandler
from conch.app.kernel.ws_bridge import WebSocketTransport
from conch.app.kernel.ws_losses import ConnectionLost

if TYPE_CHECKING:
    from conch.app.server_kernel import ServerKernel

log = logging.getLogger(__name__)

BACKOFF = (0.1, 0.25, 0.5)
"""Seconds before each reconnection attempt after a drop; then every :data:`BACKOFF`\\[-1] s,
so output flows again within a second of the server being reachable (an attempt takes a few
milliseconds on a refused port)."""
PENDING_LIMIT = 200
"""Messages held until the kernel has an id on its server (a kernel still being started)."""
_RATE_LIMITED = ("IOPub message rate exceeded", "IOPub data rate exceeded")

LinkCallback = Callable[["ServerLink"], None]


class ServerLink:
    """A :class:`~conch.app.kernel.transport.Transport` to a kernel on a Jupyter server.

    It opens a :class:`WebSocketTransport` once the kernel has an id (a kernel being started
    has none yet; messages wait), and after the connection drops it opens it again with the
    same ``session_id`` (the server replays what it buffered meanwhile), after
    :data:`BACKOFF`. The :class:`ServerKernel` decides what a loss means (a drop to retry, a
    kernel gone, a refused token) through the callbacks it passes. The server's own notice
    that it dropped output (its iopub rate limit) is turned into Conch's wording.
    """

    def __init__(
        self,
        kernel: "ServerKernel",
        session: Session,
        *,
        on_open: LinkCallback,
        on_lost: Callable[["ServerLink", ConnectionLost], bool],
        on_kernel_status: Callable[[str], None],
    ) -> None:
        self.kernel = kernel
        self.session = session
        self.session_id = session.session
        self._on_open = on_open
        self._on_lost = on_lost
        self._on_kernel_status = on_kernel_status
        self._ws: WebSocketTransport | None = None
        self._handlers: tuple[MessageHandler, ProblemHandler, HeartbeatHandler] | None = None
        self._pending: deque[tuple[str, Message]] = deque()
        self._closed = False
        self.attempts = 0
        """Reconnection attempts since the connection was last open."""
        self.open = False
        self.last_lost: ConnectionLost | None = None
        self._retry = QTimer()
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._reopen)
        self._waiting_for_id = False

    # -- Transport -----------------------------------------------------------------------------
    @property
    def heartbeat_ok(self) -> bool:
        return self.open

    @property
    def kernel_seen(self) -> bool:
        return self._ws is not None and self._ws.kernel_seen

    @property
    def dropped_messages(self) -> int:
        return self._ws.dropped_messages if self._ws is not None else 0

    def start(self, on_message: MessageHandler, on_problem: ProblemHandler, on_heartbeat: HeartbeatHandler) -> None:
        self._handlers = (on_message, on_problem, on_heartbeat)
        if self.kernel.reachable:
            self._open_socket()
        else:
            self._waiting_for_id = True
            self.kernel.located.connect(self._on_located)

    def send(self, channel: str, message: Message) -> None:
        if self._closed:
            return
        if self._ws is not None:
            self._ws.send(channel, message)
        elif len(self._pending) < PENDING_LIMIT:
            self._pending.append((channel, message))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._retry.stop()
        if self._waiting_for_id:
            self._waiting_for_id = False
            self.kernel.located.disconnect(self._on_located)
        if self._ws is not None:
            self._ws.close()

    # -- connection ----------------------------------------------------------------------------
    def retry_later(self) -> float:
        """Schedule the next attempt; returns the delay in seconds."""
        delay = BACKOFF[min(self.attempts, len(BACKOFF) - 1)]
        self.attempts += 1
        self._retry.start(int(delay * 1000))
        return delay

    def _on_located(self, _kernel_id: str) -> None:
        if self._waiting_for_id:
            self._waiting_for_id = False
            self.kernel.located.disconnect(self._on_located)
        if not self._closed and self._ws is None:
            self._open_socket()

    def _open_socket(self) -> None:
        assert self._handlers is not None
        on_message, on_problem, _ = self._handlers
        address = self.kernel.address
        assert address is not None
        url = address.ws_url(f"kernels/{self.kernel.kernel_id}/channels", {"session_id": self.session_id})
        ws = WebSocketTransport(url, address.token or "", self.session, ca_certificates=self.kernel.ca_certificates)
        ws.opened.connect(self._opened)
        ws.lost.connect(self._lost)
        self._ws = ws
        ws.start(self._deliver, on_problem, lambda _ok: None)
        while self._pending:
            ws.send(*self._pending.popleft())

    def _reopen(self) -> None:
        if not self._closed and self._ws is not None:
            self._ws.reconnect()

    def _opened(self, _protocol: str) -> None:
        self.attempts = 0
        was_open, self.open = self.open, True
        if self._handlers is not None and not was_open:
            self._handlers[2](True)
        self._on_open(self)

    def _lost(self, lost: ConnectionLost) -> None:
        self.last_lost = lost
        was_open, self.open = self.open, False
        if self._closed:
            return
        log.info("connection to kernel %s lost: %s", self.kernel.kernel_id, lost.text)
        if self._handlers is not None and was_open:
            self._handlers[2](False)
        if self._on_lost(self, lost):
            self.retry_later()

    def _deliver(self, channel: str, message: Message) -> None:
        if channel == IOPUB:
            message = self._watch_iopub(message)
        if self._handlers is not None:
            self._handlers[0](channel, message)

    def _watch_iopub(self, message: Message) -> Message:
        msg_type = message.get("msg_type")
        content: Any = message.get("content")
        if not isinstance(content, dict):
            return message
        if msg_type == "status":
            state = content.get("execution_state")
            if state in ("dead", "restarting"):
                self._on_kernel_status(state)
        elif msg_type == "shutdown_reply" and not content.get("restart"):
            # Deleting a kernel on the server leaves its WebSocket open: this reply (to the
            # server's shutdown_request) is the sign it is going.
            self._on_kernel_status("shutdown")
        elif msg_type == "stream" and content.get("name") == "stderr":
            text = content.get("text")
            if isinstance(text, str) and text.startswith(_RATE_LIMITED):
                message = dict(message, content=dict(content, text=rate_limit_notice(text)))
        return message


def rate_limit_notice(server_text: str) -> str:
    """Conch's words for the server's notice that it dropped output (ANSI: a yellow line)."""
    what = "messages" if "message rate" in server_text else "data"
    limit = "iopub_msg_rate_limit" if what == "messages" else "iopub_data_rate_limit"  # jupyter_server 2.x
    return (
        f"\x1b[33m⚠ Output was dropped by the Jupyter server: this cell sent {what} faster than the "
        f"server's iopub rate limit allows. Output resumes once the rate falls. To see everything, "
        f"start the server with --ZMQChannelsWebsocketConnection.{limit}=0 (or a higher limit).\x1b[0m\n"
    )
