"""A Qt-free Jupyter client on top of any :class:`~conch.app.kernel.transport.Transport`."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from jupyter_client.session import Session

from conch.app.events import Event
from conch.app.kernel.status import EXECUTION_STATES, KernelStatus
from conch.app.kernel.transport import CONTROL, IOPUB, SHELL, STDIN, Message, Transport

log = logging.getLogger(__name__)

ReplyHandler = Callable[[Message], None]


READY_RETRIES = 200
"""How many extra kernel_info_requests may be sent while waiting for IOPub to connect."""

IDLE_GRACE = 2.0
"""Seconds an execution whose execute_reply has come waits, IOPub silent, for its idle status
before it is finished without it (a kernel that never publishes status)."""


def session_for(connection_info: Mapping[str, Any]) -> Session:
    """A :class:`Session` that signs with the key and scheme of ``connection_info``."""
    key = connection_info.get("key", b"")
    if isinstance(key, str):
        key = key.encode("ascii")
    scheme = connection_info.get("signature_scheme") or "hmac-sha256"
    return Session(key=key, signature_scheme=scheme)


@dataclass
class _Execution:
    reply: Message | None = None
    idle: bool = False
    quiet_since: float | None = None
    """When :meth:`KernelClient.finish_overdue` first saw the reply here and IOPub silent."""
    iopub_seen: int = -1
    """How many IOPub messages had arrived at that check."""
    quiet_checks: int = 0
    """Checks since then that found IOPub still silent."""


class KernelClient:
    """Speaks the Jupyter messaging protocol with one kernel through a transport.

    Requests return their ``msg_id``; replies are routed to per-request callbacks by
    their parent ``msg_id``. State changes are announced through :class:`Event`
    attributes. Messages are delivered on the transport's event loop, in arrival
    order per channel. A kernel_info_reply that arrives before any IOPub message is
    held (and kernel_info re-requested) until IOPub speaks, so "ready" also means
    output will not be lost to a late subscription.

    An execution finishes when both its execute_reply and its IOPub idle have arrived; for a
    kernel that never publishes its status, :meth:`finish_overdue` (called on a timer) finishes
    one whose reply came but no idle after :data:`IDLE_GRACE` seconds of IOPub silence.
    """

    def __init__(self, transport: Transport, session: Session, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._transport = transport
        self._session = session
        self._clock = clock
        self._iopub_count = 0
        self._status = KernelStatus.STARTING
        self._kernel_info: dict[str, Any] | None = None
        self._reply_handlers: dict[str, ReplyHandler] = {}
        self._executions: dict[str, _Execution] = {}
        self._last_input_request: Message | None = None
        self._iopub_seen = False
        self._held_kernel_info: Message | None = None
        self._ready_retries = 0
        self._ready_probes: set[str] = set()
        self._started = False
        self._closed = False

        self.status_changed: Event[[KernelStatus]] = Event()
        """The kernel's state changed: STARTING, IDLE, BUSY or DEAD."""
        self.iopub_message: Event[[Message]] = Event()
        """Every IOPub message, in arrival order."""
        self.stdin_request: Event[[Message]] = Event()
        """The kernel asks for input (an ``input_request``); answer with :meth:`input_reply`."""
        self.execution_finished: Event[[str, Message]] = Event()
        """(msg_id, execute_reply) once both the reply and the IOPub idle have arrived."""
        self.kernel_ready: Event[[dict[str, Any]]] = Event()
        """The content of each kernel_info_reply."""
        self.problem: Event[[str]] = Event()
        """A human-readable transport or protocol problem."""
        self.heartbeat: Event[[bool]] = Event()
        """The heartbeat was lost (False) or came back (True)."""

    # -- state -----------------------------------------------------------------------

    @property
    def status(self) -> KernelStatus:
        return self._status

    @property
    def kernel_info(self) -> dict[str, Any] | None:
        """The content of the last kernel_info_reply, or None before the first."""
        return self._kernel_info

    @property
    def language_info(self) -> dict[str, Any]:
        """``kernel_info["language_info"]``, or an empty dict before the kernel is ready."""
        if self._kernel_info is None:
            return {}
        info = self._kernel_info.get("language_info")
        return info if isinstance(info, dict) else {}

    @property
    def transport(self) -> Transport:
        return self._transport

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the transport and ask the kernel for its kernel_info."""
        if self._started:
            raise RuntimeError("KernelClient.start() may be called only once")
        self._started = True
        self._transport.start(self._on_message, self._on_problem, self._on_heartbeat)
        self.request("kernel_info_request", {})

    def mark_dead(self, reason: str) -> None:
        """Declare the kernel dead (its process exited, its server is gone, ...)."""
        if self._status == KernelStatus.DEAD:
            return
        log.info("kernel marked dead: %s", reason)
        self._executions.clear()
        self._reply_handlers.clear()
        self._set_status(KernelStatus.DEAD)
        self.problem.emit(reason)

    def close(self) -> None:
        """Close the transport and forget pending requests. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._transport.close()
        self._reply_handlers.clear()
        self._executions.clear()

    # -- requests --------------------------------------------------------------------

    def request(
        self,
        msg_type: str,
        content: dict[str, Any],
        channel: str = SHELL,
        on_reply: ReplyHandler | None = None,
    ) -> str:
        """Send a request and return its msg_id; its reply goes to ``on_reply``."""
        message = self._session.msg(msg_type, content)
        msg_id: str = message["header"]["msg_id"]
        if on_reply is not None:
            self._reply_handlers[msg_id] = on_reply
        self._transport.send(channel, message)
        return msg_id

    def execute(
        self,
        code: str,
        *,
        silent: bool = False,
        store_history: bool = True,
        allow_stdin: bool = True,
    ) -> str:
        """Run ``code``; :attr:`execution_finished` fires once for the returned msg_id."""
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": {},
            "allow_stdin": allow_stdin,
            "stop_on_error": True,
        }
        message = self._session.msg("execute_request", content)
        msg_id: str = message["header"]["msg_id"]
        self._executions[msg_id] = _Execution()
        self._transport.send(SHELL, message)
        return msg_id

    def count_probe(self, on_reply: ReplyHandler) -> str:
        """A silent, empty execution: its reply carries the kernel's execution counter without
        running or recording anything (no execution_finished; the reply goes to ``on_reply``)."""
        content = {"code": "", "silent": True, "store_history": False, "user_expressions": {}, "allow_stdin": False}
        return self.request("execute_request", content, on_reply=on_reply)

    def complete(self, code: str, cursor_pos: int, on_reply: ReplyHandler) -> str:
        return self.request("complete_request", {"code": code, "cursor_pos": cursor_pos}, on_reply=on_reply)

    def inspect(self, code: str, cursor_pos: int, detail_level: int, on_reply: ReplyHandler) -> str:
        content = {"code": code, "cursor_pos": cursor_pos, "detail_level": detail_level}
        return self.request("inspect_request", content, on_reply=on_reply)

    def is_complete(self, code: str, on_reply: ReplyHandler) -> str:
        return self.request("is_complete_request", {"code": code}, on_reply=on_reply)

    def history(self, on_reply: ReplyHandler, n: int = 1000) -> str:
        content = {"hist_access_type": "tail", "n": n, "output": False, "raw": True}
        return self.request("history_request", content, on_reply=on_reply)

    def input_reply(self, value: str) -> None:
        """Answer the last ``input_request`` on the stdin channel."""
        message = self._session.msg("input_reply", {"value": value}, parent=self._last_input_request)
        self._last_input_request = None
        self._transport.send(STDIN, message)

    def interrupt(self) -> str:
        """Send an interrupt_request on the control channel (for ``interrupt_mode: message``)."""
        return self.request("interrupt_request", {}, channel=CONTROL)

    def shutdown(self, restart: bool = False) -> str:
        return self.request("shutdown_request", {"restart": restart}, channel=CONTROL)

    # -- incoming --------------------------------------------------------------------

    def _on_message(self, channel: str, message: Message) -> None:
        if channel == IOPUB:
            self._on_iopub(message)
        elif channel == STDIN:
            if message.get("msg_type") == "input_request":
                self._last_input_request = message
                self.stdin_request.emit(message)
        else:
            self._on_reply(message)

    def _on_iopub(self, message: Message) -> None:
        self._iopub_count += 1
        self.iopub_message.emit(message)
        if not self._iopub_seen:
            self._iopub_seen = True
            held, self._held_kernel_info = self._held_kernel_info, None
            if held is not None:
                self._accept_kernel_info(held)
        if message.get("msg_type") != "status" or self._status == KernelStatus.DEAD:
            return
        execution_state = message.get("content", {}).get("execution_state")
        state = EXECUTION_STATES.get(execution_state) if isinstance(execution_state, str) else None
        if state is None:
            return
        if self._kernel_info is not None or state == KernelStatus.STARTING:
            self._set_status(state)
        if state == KernelStatus.IDLE:
            parent_id = message.get("parent_header", {}).get("msg_id")
            execution = self._executions.get(parent_id) if parent_id else None
            if execution is not None:
                execution.idle = True
                self._maybe_finish(parent_id)

    def _on_reply(self, message: Message) -> None:
        parent_id = message.get("parent_header", {}).get("msg_id")
        msg_type = message.get("msg_type")
        if msg_type == "kernel_info_reply":
            self._on_kernel_info_reply(message)
        handler = self._reply_handlers.pop(parent_id, None) if parent_id else None
        if handler is not None:
            try:
                handler(message)
            except Exception:
                log.exception("reply handler failed for %s", msg_type)
        if msg_type == "execute_reply" and parent_id:
            execution = self._executions.get(parent_id)
            if execution is not None:
                execution.reply = message
                self._maybe_finish(parent_id)

    def _on_kernel_info_reply(self, message: Message) -> None:
        parent_id = message.get("parent_header", {}).get("msg_id")
        if parent_id in self._ready_probes:
            self._ready_probes.discard(parent_id)
            if self._kernel_info is not None:
                return  # a readiness probe answered after the held reply was accepted
        if self._iopub_seen or self._ready_retries >= READY_RETRIES:
            self._accept_kernel_info(message)
            return
        # Until IOPub has delivered something, its subscription may not have reached
        # the kernel and early output would be lost: ask again (each request makes
        # the kernel publish a status) and hold this reply until IOPub speaks.
        self._held_kernel_info = message
        self._ready_retries += 1
        self._ready_probes.add(self.request("kernel_info_request", {}))

    def _accept_kernel_info(self, message: Message) -> None:
        content: dict[str, Any] = message.get("content", {})
        version = str(content.get("protocol_version", ""))
        if not version.startswith("5."):
            self.problem.emit(f"Kernel speaks protocol version {version or '?'}; Conch expects 5.x")
        first = self._kernel_info is None
        self._kernel_info = content
        if first and self._status == KernelStatus.STARTING:
            self._set_status(KernelStatus.IDLE)
        self.kernel_ready.emit(content)

    @property
    def awaiting_idle(self) -> bool:
        """Some execution has its execute_reply but not yet its idle status."""
        return any(e.reply is not None and not e.idle for e in self._executions.values())

    def finish_overdue(self) -> list[str]:
        """Finish the executions whose execute_reply came but whose idle status has not, once
        IOPub has been silent for :data:`IDLE_GRACE` seconds over at least two further calls
        (so one call right after a stalled event loop, the idle still unread, never decides).
        Call it every half second or so while executions are pending; a late idle afterwards
        is ignored. Returns the msg_ids finished."""
        now = self._clock()
        finished = []
        for msg_id, execution in list(self._executions.items()):
            if execution.reply is None or execution.idle:
                continue  # still running (or waiting for input): its reply comes at its end
            if execution.iopub_seen != self._iopub_count or execution.quiet_since is None:
                execution.iopub_seen, execution.quiet_since, execution.quiet_checks = self._iopub_count, now, 0
                continue
            execution.quiet_checks += 1
            if execution.quiet_checks >= 2 and now - execution.quiet_since >= IDLE_GRACE:
                log.warning("execution %s: no idle status %.1f s after its reply; finished without it",
                            msg_id, now - execution.quiet_since)
                execution.idle = True
                finished.append(msg_id)
                if self._status is KernelStatus.BUSY and not any(e is not execution for e in self._executions.values()):
                    self._set_status(KernelStatus.IDLE)  # nothing else of ours runs; the kernel will not say so
                self._maybe_finish(msg_id)
        return finished

    def _maybe_finish(self, msg_id: str) -> None:
        execution = self._executions.get(msg_id)
        if execution is None or execution.reply is None or not execution.idle:
            return
        del self._executions[msg_id]
        self.execution_finished.emit(msg_id, execution.reply)

    def _set_status(self, status: KernelStatus) -> None:
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)

    def _on_problem(self, text: str) -> None:
        self.problem.emit(text)

    def _on_heartbeat(self, ok: bool) -> None:
        self.heartbeat.emit(ok)
