"""A kernel as a console sees it: connection, client, transcript and lifecycle."""
from __future__ import annotations

import logging
from typing import Any

from jupyter_client.session import Session
from PySide6.QtCore import QObject, QTimer, Signal

from conch.app.kernel.client import KernelClient, ReplyHandler
from conch.app.kernel.launcher import LocalKernelProcess
from conch.app.kernel.transport import Message
from conch.app.kernel.zmq_bridge import ZmqTransport
from conch.app.model.history import InputHistory
from conch.app.model.payloads import parse_payloads
from conch.app.model.router import OutputRouter
from conch.app.model.transcript import CellState, Transcript
from conch.app.process_reaper import ProcessReaper, track

log = logging.getLogger(__name__)

_PROCESS_WATCH_MS = 250


def start_kernel(kernel_name: str = "python3", *, cwd: str | None = None) -> "KernelSession":
    """Launch a local kernel from a kernelspec and connect to it.

    Returns at once (the process is spawned, not waited for); the session reports
    "starting" until the kernel answers ``kernel_info``. Needs a QApplication.
    Raises ``KernelSpecNotFound`` or ``KernelLaunchError`` with a message naming the problem.
    """
    process = LocalKernelProcess(kernel_name, cwd=cwd)
    return session_for_launched(process, process.start())


def session_for_launched(process: LocalKernelProcess, connection_info: dict[str, Any]) -> "KernelSession":
    """A session on a kernel process that is already spawned (e.g. before the GUI existed)."""
    track(process)
    return KernelSession(connection_info, process=process)


class KernelSession(QObject):
    """One client connection to a kernel, and the transcript of what it showed.

    A console tab displays a session; the session outlives any one view.
    """

    status_changed = Signal(str)
    """The kernel state changed: "starting", "idle", "busy" or "dead"."""
    execution_finished = Signal(str)
    """An execution's reply and idle both arrived (or the kernel died); the transcript has it all.
    Carries the execute request's msg_id."""
    ready = Signal(dict)
    """The kernel answered ``kernel_info``; carries the reply content."""
    died = Signal(str)
    """The kernel process ended or stopped answering; carries a message for the user."""
    closed = Signal()
    """After :meth:`shutdown`: the connection is closed and a launched process is gone."""
    payload = Signal(object)
    """An execute_reply carried a payload (a ``Page``, ``NextInput`` or ``ExitRequest``)."""
    input_requested = Signal(str, bool, str)
    """The kernel waits for input: (prompt, password, the execution's msg_id). Answer with
    :meth:`answer_input`."""

    def __init__(
        self,
        connection_info: dict[str, Any],
        *,
        process: LocalKernelProcess | None = None,
        renderable: tuple[str, ...] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.process = process
        self.connection_info = connection_info
        self.transcript = Transcript()
        self.router = OutputRouter(self.transcript, *(() if renderable is None else (renderable,)))
        self._pending: set[str] = set()
        self.execution_count = 0
        """The prompt number of the last finished execution (0 after a (re)start)."""
        self._dead_reason: str | None = None
        self._restarting = False
        self._reapers: list[ProcessReaper] = []
        self.history = InputHistory()
        """What was run in this session (and before it, as the kernel remembers); kept across restarts."""
        self._history_loaded = False
        self._input_request: tuple[str, bool, str] | None = None
        self.client = self._connect(connection_info)
        self._watch = QTimer(self)
        self._watch.setInterval(_PROCESS_WATCH_MS)
        self._watch.timeout.connect(self._check_process)
        if process is not None:
            self._watch.start()

    # -- public --------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        if self._dead_reason is not None:
            return "dead"
        return "starting" if self._restarting else self.client.status

    @property
    def kernel_name(self) -> str:
        return self.process.kernel_name if self.process is not None else "existing"

    @property
    def language_info(self) -> dict[str, Any]:
        info = self.client.kernel_info or {}
        language_info = info.get("language_info", {})
        return dict(language_info) if isinstance(language_info, dict) else {}

    def set_renderable(self, renderable: tuple[str, ...]) -> None:
        """Which MIME types the views can draw (used to pick each output's type)."""
        self.router.renderable = renderable

    def execute(self, code: str) -> str:
        """Run ``code`` as typed into a console; returns the request's msg_id."""
        if self._dead_reason is not None or self._restarting:
            why = self._dead_reason or "the kernel is restarting; run it again once the prompt is back."
            self.transcript.add_notice(f"Not run: {why}", "error")
            return ""
        msg_id = self.client.execute(code)
        self._pending.add(msg_id)
        self.history.add(code)
        self.transcript.add_cell(code, msg_id)
        return msg_id

    @property
    def accepts_requests(self) -> bool:
        """False while the kernel is dead or restarting (requests would go nowhere)."""
        return self._dead_reason is None and not self._restarting

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
            cells = list(self.transcript.cells())
            cell = cells[-1] if cells else None
        if cell is not None:
            shown = "••••••••" if password else value
            self.transcript.append_stream(cell, "stdout", f"{prompt}\x1b[1m{shown}\x1b[22m\n")

    def is_busy(self) -> bool:
        """True while an execution this session asked for has not finished."""
        return bool(self._pending)

    def interrupt(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.interrupt()
        else:
            self.client.interrupt()

    def restart(self) -> None:
        """Replace the kernel process with a fresh one; the transcript stays, with a divider."""
        if self.process is None:
            self.client.shutdown(restart=True)
            self.transcript.add_notice("Restart requested", "info")
            return
        old = self.process
        self._watch.stop()
        self._teardown_connection()
        self._restarting = True
        self.status_changed.emit("starting")
        old_reaper_done = self._launch_after(old)
        self._reapers.append(ProcessReaper(old, old_reaper_done, grace=0.0, parent=self))

    def shutdown(self) -> None:
        """Ask the kernel to exit and return at once; it is killed if still there after 1 s."""
        self._watch.stop()
        if self.process is None:
            self.client.close()
            self.closed.emit()
            return
        self.client.shutdown()
        self._reapers.append(ProcessReaper(self.process, self._on_shut_down, grace=1.0, parent=self))

    def _on_shut_down(self) -> None:
        self.client.close()
        self.closed.emit()

    # -- internals -----------------------------------------------------------------------------
    def _connect(self, connection_info: dict[str, Any]) -> KernelClient:
        session = Session(
            key=str(connection_info.get("key", "")).encode(),
            signature_scheme=str(connection_info.get("signature_scheme", "hmac-sha256")),
        )
        client = KernelClient(ZmqTransport(connection_info, session), session)
        client.status_changed.connect(self._on_status)
        client.iopub_message.connect(self.router.handle_iopub)
        client.execution_finished.connect(self._on_finished)
        client.kernel_ready.connect(self.ready.emit)
        client.problem.connect(lambda text: log.warning("kernel %s: %s", self.kernel_name, text))
        client.heartbeat.connect(self._on_heartbeat)
        client.stdin_request.connect(self._on_input_request)
        client.start()
        if not self._history_loaded:
            # Sent right behind kernel_info, so the kernel answers before running anything
            # typed meanwhile and the loaded tail never repeats this session's entries.
            client.history(self._on_history)
        return client

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

    def _teardown_connection(self) -> None:
        self._abort_pending("kernel restarted")
        self.client.close()

    def _launch_after(self, old: LocalKernelProcess) -> Any:
        def launch() -> None:
            process = LocalKernelProcess(old.kernel_name, cwd=old.cwd)
            try:
                info = process.start()
            except Exception as error:  # noqa: BLE001 - shown to the user, transcript kept
                self._mark_dead(f"Restart failed: {error}")
                return
            track(process)
            self.process = process
            self.connection_info = info
            self._dead_reason = None
            self._restarting = False
            self.execution_count = 0
            self.transcript.add_notice("Kernel restarted", "info")
            self.client = self._connect(info)
            self._watch.start()

        return launch

    def _on_status(self, status: str) -> None:
        if self._dead_reason is None:
            self.status_changed.emit(status)

    def _on_finished(self, msg_id: str, reply: Message) -> None:
        cell = self.router.finish(msg_id, reply)
        if cell is not None and cell.execution_count is not None:
            self.execution_count = cell.execution_count
        self._pending.discard(msg_id)
        if self._input_request is not None and self._input_request[2] == msg_id:
            self._input_request = None  # interrupted while waiting for input
        for item in parse_payloads(reply.get("content", {})):
            self.payload.emit(item)
        self.execution_finished.emit(msg_id)

    def _on_heartbeat(self, ok: bool) -> None:
        if ok or self._dead_reason is not None:
            return
        if self.process is None:
            self._mark_dead("The kernel stopped answering its heartbeat.")
        else:
            self.transcript.add_notice("The kernel is not answering its heartbeat…", "warning")

    def _check_process(self) -> None:
        if self.process is None or self.process.is_alive():
            return
        self._watch.stop()
        code = self.process.exit_code
        self._mark_dead(
            f"The kernel died (exit code {code}). Use Kernel ▸ Restart to start a new one."
        )

    def _mark_dead(self, reason: str) -> None:
        if self._dead_reason is not None:
            return
        self._dead_reason = reason
        self.client.mark_dead(reason)
        self.transcript.add_notice(reason, "error")
        self._abort_pending("kernel died")
        self.status_changed.emit("dead")
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
