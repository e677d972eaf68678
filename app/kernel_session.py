"""A kernel as one console sees it: its own client connection, transcript and history."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Union

from PySide6.QtCore import QObject, QTimer, Signal

from conch.app.kernel.client import KernelClient, ReplyHandler
from conch.app.kernel.launcher import LocalKernelProcess
from conch.app.kernel.status import KernelStatus
from conch.app.kernel.transport import Message
from conch.app.model.history import InputHistory
from conch.app.model.payloads import parse_payloads
from conch.app.model.router import OutputRouter
from conch.app.model.transcript import Cell, CellState, OutsideOutput, Transcript
from conch.app.running_kernel import CLOSED, DEAD, RESTARTING, RunningKernel
from conch.app.startup_watch import StartupWatch

if TYPE_CHECKING:
    from conch.app.server_kernel import ServerKernel

log = logging.getLogger(__name__)

Kernel = Union[RunningKernel, "ServerKernel"]
"""Any kind of kernel a session can show (they share :class:`~conch.app.kernel_life.KernelLife`)."""

IDLE_CHECK_MS = 500
"""While executions are pending: how often the client looks for one whose reply came but whose
idle never does (``KernelClient.finish_overdue``)."""


class KernelSession(QObject):
    """One client connection to a :class:`RunningKernel`, and the transcript of what it showed.

    A console tab displays a session; several sessions (tabs) may share one kernel, each
    seeing the others' executions as foreign cells. History belongs to the session and
    survives restarts.
    """

    status_changed = Signal(object)
    """The kernel's :class:`KernelStatus` changed (carries it)."""
    execution_finished = Signal(str)
    """An execution's reply and idle both arrived (or the kernel died); the transcript has it all.
    Carries the execute request's msg_id."""
    ready = Signal(dict)
    """The kernel answered ``kernel_info``; carries the reply content."""
    died = Signal(str)
    """The kernel process ended or stopped answering; carries a message for the user."""
    closed = Signal()
    """After :meth:`shutdown`: the connection is closed (and an owned kernel with no other
    console is gone)."""
    payload = Signal(object)
    """An execute_reply carried a payload (a ``Page``, ``NextInput`` or ``ExitRequest``)."""
    input_requested = Signal(str, bool, str)
    """The kernel waits for input: (prompt, password, the execution's msg_id). Answer with
    :meth:`answer_input`."""
    trouble = Signal(str)
    """The kernel is not answering as it should (no kernel_info after a while, messages failing
    their signature); carries what the user should know. Empty when the trouble is over."""
    exited = Signal(str)
    """The kernel ended because the user asked it to (``exit``); carries a message."""
    execution_count_changed = Signal(int)
    """The kernel's execution counter moved (this console's cells, another client's, a restart)."""

    def __init__(
        self,
        kernel: Kernel,
        *,
        renderable: tuple[str, ...] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.kernel = kernel
        self.transcript = Transcript()
        self.router = OutputRouter(self.transcript, *(() if renderable is None else (renderable,)))
        self._pending: set[str] = set()
        self._idle_watch = QTimer(self)  # runs while _pending is not empty
        self._idle_watch.setInterval(IDLE_CHECK_MS)
        self._idle_watch.timeout.connect(self._check_overdue)
        self.router.count_changed.connect(self._on_count_changed)
        self._banner_shown = False
        self.history = InputHistory()
        """What was run in this session (and before it, as the kernel remembers); kept across restarts."""
        self._history_loaded = False
        self._input_request: tuple[str, bool, str] | None = None
        self.last_duration: float | None = None
        """Seconds the last finished execution of this session took (from when it started running)."""
        self._closing = False
        self._startup = StartupWatch(self)
        self._startup.trouble.connect(self.trouble)
        kernel.attach(self)
        kernel.died.connect(self._on_kernel_died)
        kernel.restarting.connect(self._on_restarting)
        kernel.restarted.connect(self._on_restarted)
        kernel.responsiveness_changed.connect(self._on_responsiveness)
        kernel.exited.connect(self._on_kernel_exited)
        kernel.restarted_in_place.connect(self._on_restarted_in_place)
        kernel.state_changed.connect(self._on_kernel_state)
        self.client = self._connect()

    # -- public --------------------------------------------------------------------------------
    @property
    def process(self) -> LocalKernelProcess | None:
        return self.kernel.process

    @property
    def connection_info(self) -> dict[str, Any]:
        return self.kernel.connection_info

    @property
    def status(self) -> KernelStatus:
        """STARTING, IDLE, BUSY, UNRESPONSIVE (no heartbeat) or DEAD; for a remote kernel also
        CONNECTING, RECONNECTING or CULLED (the state of its connection, see
        ``RunningKernel.link_status``)."""
        if self.kernel.state is CLOSED:
            return KernelStatus.DEAD
        link = self.kernel.link_status
        if link is not None:
            return link
        if self.kernel.state is DEAD:
            return KernelStatus.DEAD
        if self.kernel.state is RESTARTING:
            return KernelStatus.STARTING
        return self.client.status if self.kernel.responsive else KernelStatus.UNRESPONSIVE

    @property
    def execution_count(self) -> int:
        """The kernel's latest execution count (0 after a (re)start): the next prompt is one more.
        Counts every client's executions, so consoles sharing a kernel agree."""
        return self.router.execution_count

    @property
    def exited_on_request(self) -> bool:
        """The kernel ended because the user asked it to (``exit``), not by dying."""
        return self.kernel.exited_on_request

    def expect_exit(self) -> None:
        """The kernel said it will end itself (IPython's ``ask_exit``): not a death when it does."""
        self.kernel.expect_exit()

    @property
    def kernel_name(self) -> str:
        return self.kernel.kernel_name or "existing"

    @property
    def language_info(self) -> dict[str, Any]:
        return self.client.language_info

    @property
    def running_for(self) -> float | None:
        """Seconds the cell running now (one this session asked for) has been running."""
        for msg_id in self._pending:
            cell = self.transcript.cell_for(msg_id)
            if cell is not None and cell.state is CellState.RUNNING and cell.started is not None:
                return self.router.clock() - cell.started
        return None

    def set_renderable(self, renderable: tuple[str, ...]) -> None:
        """Which MIME types the views can draw (used to pick each output's type)."""
        self.router.renderable = renderable

    @property
    def accepts_requests(self) -> bool:
        """False while the kernel is dead, restarting or closed (requests would go nowhere)."""
        return self.kernel.state not in (DEAD, RESTARTING, CLOSED) and not self._closing

    def execute(self, code: str) -> str:
        """Run ``code`` as typed into a console; returns the request's msg_id ("" if refused)."""
        if not self.accepts_requests:
            why = self.kernel.dead_reason or "the kernel is restarting; run it again once the prompt is back."
            self.transcript.add_notice(f"Not run: {why}", "error")
            return ""
        msg_id = self.client.execute(code)
        self._pending.add(msg_id)
        if not self._idle_watch.isActive():
            self._idle_watch.start()
        self.history.add(code)
        self.transcript.add_cell(code, msg_id)
        return msg_id

    def is_busy(self) -> bool:
        """True while an execution this session asked for has not finished."""
        return bool(self._pending)

    def running_code(self) -> bool:
        """An execution is running on the kernel: this console's, or another client's that this
        console saw start (a kernel answering a completion is busy too, but runs no code)."""
        if self._pending:
            return True
        if self.status is not KernelStatus.BUSY:
            return False
        for entry in reversed(self.transcript.entries[-20:]):
            if isinstance(entry, Cell) and entry.state is CellState.RUNNING:
                return True
        return False

    def complete(self, code: str, cursor_pos: int, on_reply: ReplyHandler) -> str | None:
        """Ask for completions (``cursor_pos`` in code points); None if the kernel cannot answer."""
        return self.client.complete(code, cursor_pos, on_reply) if self.accepts_requests else None

    def inspect(self, code: str, cursor_pos: int, on_reply: ReplyHandler, detail_level: int = 0) -> str | None:
        """Ask for help on the name at ``cursor_pos``; None if the kernel cannot answer."""
        return self.client.inspect(code, cursor_pos, detail_level, on_reply) if self.accepts_requests else None

    def is_complete(self, code: str, on_reply: ReplyHandler) -> str | None:
        """Ask whether ``code`` is ready to run; None if the kernel cannot answer."""
        return self.client.is_complete(code, on_reply) if self.accepts_requests else None

    @property
    def waiting_for_input(self) -> bool:
        return self._input_request is not None

    def answer_input(self, value: str) -> None:
        """Send what the user typed for the pending ``input_request`` and echo it in the transcript
        (a password shows as dots, whatever its length)."""
        if self._input_request is None:
            return
        prompt, password, parent = self._input_request
        self._input_request = None
        self.client.input_reply(value)
        cell = self.transcript.cell_for(parent) if parent else None
        if cell is None:
            cells = [c for c in self.transcript.cells() if not isinstance(c, OutsideOutput)]
            cell = cells[-1] if cells else None
        if cell is not None:
            shown = "••••••••" if password else value
            self.transcript.append_stream(cell, "stdout", f"{prompt}\x1b[1m{shown}\x1b[22m\n")

    def interrupt(self) -> str:
        """Interrupt the kernel: a signal for one Conch launched (unless its kernelspec wants a
        message), an ``interrupt_request`` otherwise. Returns which."""
        return self.kernel.interrupt(self.client)

    def restart(self, clear: bool = False) -> bool:
        """Restart the kernel (every console on it sees the divider); ``clear`` also empties
        this console's transcript. History stays. False if no restart could start."""
        if self.kernel.state == CLOSED:
            return False
        if clear:
            self.transcript.clear()
        if not self.kernel.restart(self.client):
            return False
        if self.kernel.process is None:
            self._abort_pending("restart requested")
            self.router.reset_count()
            self.transcript.add_notice("Restart requested from the kernel (its owner starts it again)", "info")
        return True

    def keep_waiting(self) -> None:
        """The user chose to wait longer for a kernel that has not answered yet."""
        self._startup.keep_waiting()

    def shutdown(self, keep_kernel: bool = False) -> None:
        """Leave the kernel and return at once; :attr:`closed` follows. The last console on a
        kernel Conch launched shuts it down (killed if still there after 1 s), unless
        ``keep_kernel`` (``exit(keep_kernel=True)``): then the kernel runs on."""
        if self._closing:
            return
        self._closing = True
        self._startup.stop()
        self.kernel.detach(self, self.client, self._on_detached, keep=keep_kernel)

    # -- connection ----------------------------------------------------------------------------
    def _connect(self) -> KernelClient:
        transport, session = self.kernel.open_transport()
        client = KernelClient(transport, session)
        client.status_changed.connect(self._on_status)
        client.iopub_message.connect(self.router.handle_iopub)
        client.execution_finished.connect(self._on_finished)
        client.kernel_ready.connect(self._on_ready)
        client.problem.connect(self._on_problem)
        client.heartbeat.connect(self._on_heartbeat)
        client.stdin_request.connect(self._on_input_request)
        client.start()
        if not self._history_loaded:
            # Sent right behind kernel_info, so the kernel answers before running anything
            # typed meanwhile and the loaded tail never repeats this session's entries.
            client.history(self._on_history)
        if self.kernel.has_run_code():
            # Joining a kernel that has run code (another tab's, or one started elsewhere): a
            # silent empty execution answers with the kernel's counter, for the first prompt.
            client.count_probe(lambda reply: self.router.note_count(reply.get("content", {}).get("execution_count")))
        self._startup.watch(client, diagnose=self.kernel.diagnose_silence, can_wait=lambda: self.accepts_requests)
        return client

    def _on_detached(self) -> None:
        self.client.close()
        self.closed.emit()

    def _on_restarting(self) -> None:
        self._abort_pending("kernel restarted")
        self._startup.stop()
        self.client.close()

    def _on_restarted(self, _info: dict[str, Any]) -> None:
        if self._closing:
            return
        self.router.reset_count()
        self.transcript.add_notice("Kernel restarted", "info")
        self.client = self._connect()  # the kernel's "running" state change follows

    def _on_ready(self, info: dict[str, Any]) -> None:
        self._startup.answered()
        self.kernel.answered()
        banner = info.get("banner")
        if not self._banner_shown and isinstance(banner, str) and banner.strip():
            self._banner_shown = True  # the first screen says what this kernel is, as IPython does
            if not self.transcript.entries:
                self.transcript.add_notice(banner.strip(), "banner")
        self.ready.emit(info)

    # -- kernel events -------------------------------------------------------------------------
    def _on_history(self, reply: Message) -> None:
        content = reply.get("content", {})
        entries = content.get("history") if content.get("status", "ok") == "ok" else None
        if isinstance(entries, list):
            self._history_loaded = True
            self.history.load(
                str(item[2]) for item in entries if isinstance(item, (list, tuple)) and len(item) >= 3
            )

    def _on_input_request(self, message: Message) -> None:
        content = message.get("content", {})
        parent = str(message.get("parent_header", {}).get("msg_id", ""))
        self._input_request = (str(content.get("prompt", "")), bool(content.get("password", False)), parent)
        self.input_requested.emit(*self._input_request)

    def _on_status(self, _client_status: KernelStatus) -> None:
        if self.kernel.state not in (DEAD, CLOSED):
            self.status_changed.emit(self.status)

    def _check_overdue(self) -> None:
        """A kernel that never publishes its idle status must not leave a cell running forever."""
        if not self._pending:
            self._idle_watch.stop()
        else:
            self.client.finish_overdue()

    def _on_finished(self, msg_id: str, reply: Message) -> None:
        cell = self.router.finish(msg_id, reply)
        self._pending.discard(msg_id)
        if not self._pending:
            self._idle_watch.stop()
        if cell is not None and cell.duration is not None:
            self.last_duration = cell.duration
        if self._input_request is not None and self._input_request[2] == msg_id:
            self._input_request = None  # interrupted while waiting for input
        for item in parse_payloads(reply.get("content", {})):
            self.payload.emit(item)
        self.execution_finished.emit(msg_id)

    def _on_problem(self, text: str) -> None:
        log.warning("kernel %s: %s", self.kernel_name, text)
        self._startup.problem(text)

    def _on_heartbeat(self, ok: bool) -> None:
        if ok:
            self.kernel.mark_responsive()
        else:
            self.kernel.mark_unresponsive()

    def _on_responsiveness(self, responsive: bool) -> None:
        if responsive:
            self.transcript.add_notice(self.kernel.responsive_text(), "info")
        else:
            self.transcript.add_notice(self.unresponsive_text(), "warning")
        self.status_changed.emit(self.status)

    def unresponsive_text(self) -> str:
        """What the console says while the kernel (or the connection to it) does not answer."""
        return self.kernel.unresponsive_text()

    def _on_kernel_state(self, _state: object) -> None:
        self.status_changed.emit(self.status)

    def _on_count_changed(self, count: int) -> None:
        self.execution_count_changed.emit(count)

    def _on_kernel_exited(self, reason: str) -> None:
        self.transcript.add_notice(reason, "info")
        self._abort_pending("kernel exited")
        self.exited.emit(reason)

    def _on_restarted_in_place(self, reason: str) -> None:
        self.transcript.add_notice(reason, "error")

    def _on_kernel_died(self, reason: str) -> None:
        self.transcript.add_notice(reason, "error")
        self._abort_pending("kernel died")
        self.died.emit(reason)

    def _abort_pending(self, why: str) -> None:
        self._input_request = None
        for msg_id in sorted(self._pending):
            cell = self.transcript.cell_for(msg_id)
            if cell is not None and not cell.finished:
                cell.state = CellState.ABORTED
                self.transcript.changed(cell)
            self._pending.discard(msg_id)
            log.info("execution %s ended: %s", msg_id, why)
            self.execution_finished.emit(msg_id)
