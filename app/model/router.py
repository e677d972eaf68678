"""Routes a kernel's iopub messages to the transcript (Qt-free)."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from conch.app.events import Event
from conch.app.model.mime import RICHNESS_ORDER
from conch.app.model.outputs import ErrorOutput, RichOutput, StreamName
from conch.app.model.transcript import Cell, CellState, OutsideOutput, Transcript

log = logging.getLogger(__name__)

Message = Mapping[str, Any]

_OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error", "clear_output"}


class OutputRouter:
    """Turns iopub messages into transcript changes.

    Messages are matched to cells by their parent ``msg_id``. Another client's execution
    (an ``execute_input`` with an unknown parent) opens a cell marked ``foreign``, which its
    later output joins. Other output whose parent is missing or unknown goes to the
    transcript's :class:`OutsideOutput` entry (one for consecutive such outputs, finished,
    never an "In [*]" that waits forever). The router also follows the kernel's execution
    counter, from every client's cells, so a prompt can show the number the next execution
    will get.
    """

    def __init__(
        self,
        transcript: Transcript,
        renderable: Iterable[str] = RICHNESS_ORDER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transcript = transcript
        self.renderable = tuple(renderable)
        self.clock = clock
        """Times cells: ``Cell.started`` at their ``execute_input``, ``Cell.ended`` when they finish."""
        self.execution_count = 0
        """The kernel's latest execution count seen (0 for a fresh kernel); the next is one more."""
        self.count_changed: Event[[int]] = Event()
        """:attr:`execution_count` changed."""
        self._handlers: dict[str, Callable[[Cell, Mapping[Any, Any]], None]] = {
            "stream": self._stream,
            "display_data": self._display,
            "execute_result": self._result,
            "error": self._error,
            "clear_output": self._clear,
            "execute_input": self._execute_input,
        }

    def handle_iopub(self, msg: Message) -> None:
        """Apply one iopub message. Never raises: a field of the wrong type (a kernel's
        mistake, or anything else on the wire) counts as absent."""
        header = _mapping(msg.get("header")) if isinstance(msg, Mapping) else {}
        msg_type = header.get("msg_type")
        if not isinstance(msg_type, str):
            return
        content = _mapping(msg.get("content"))
        if msg_type == "update_display_data":
            display_id = _display_id(content)
            if display_id:
                self.transcript.update_display(display_id, _mapping(content.get("data")), _mapping(content.get("metadata")))
            return
        parent_id = _parent_id(msg)
        if msg_type == "status":
            self._status(parent_id, content)
            return
        handler = self._handlers.get(msg_type)
        if handler is None:
            return  # comm_* and types a console has nothing to show for
        cell = self._cell_for(parent_id, msg_type, content)
        if cell is not None:
            handler(cell, content)

    def note_count(self, count: object) -> None:
        """The kernel reported an execution count (a reply, another client's input, a probe)."""
        if isinstance(count, int) and not isinstance(count, bool) and count > self.execution_count:
            self.execution_count = count
            self.count_changed.emit(count)

    def reset_count(self) -> None:
        """A new kernel process counts from zero again."""
        if self.execution_count:
            self.execution_count = 0
            self.count_changed.emit(0)

    def finish(self, msg_id: str, reply: Message) -> Cell | None:
        """Record an ``execute_reply`` once the execution is finished (reply + idle)."""
        content = _mapping(reply.get("content")) if isinstance(reply, Mapping) else {}
        self.note_count(content.get("execution_count"))
        cell = self.transcript.cell_for(msg_id)
        if cell is None:
            return None
        status = content.get("status", "ok")
        cell.state = _REPLY_STATES.get(status, CellState.ERROR) if isinstance(status, str) else CellState.ERROR
        cell.ended = self.clock()
        count = content.get("execution_count")
        if isinstance(count, int) and cell.execution_count is None:
            cell.execution_count = count
        self.transcript.changed(cell)
        return cell

    # -- handlers ------------------------------------------------------------------------------
    def _cell_for(self, parent_id: str | None, msg_type: str, content: Mapping[Any, Any]) -> Cell | None:
        if parent_id:
            cell = self.transcript.cell_for(parent_id)
            if cell is not None:
                return cell
        if msg_type == "execute_input":
            return self.transcript.add_cell(_text(content.get("code")), parent_id, foreign=True)
        if msg_type == "clear_output":  # clears only what is already outside any cell
            last = self.transcript.entries[-1] if self.transcript.entries else None
            return last if isinstance(last, OutsideOutput) else None
        if msg_type in _OUTPUT_TYPES:
            # Output of no execution we know of: kept, in one finished entry, rather than lost.
            return self.transcript.outside_output()
        return None

    def _status(self, parent_id: str | None, content: Mapping[Any, Any]) -> None:
        """Another client's execution ends with its idle status (its reply goes to that client)."""
        if content.get("execution_state") != "idle" or not parent_id:
            return
        cell = self.transcript.cell_for(parent_id)
        if cell is None or not cell.foreign or cell.finished:
            return
        failed = any(isinstance(output, ErrorOutput) for output in cell.outputs)
        cell.state = CellState.ERROR if failed else CellState.OK
        cell.ended = self.clock()
        self.transcript.changed(cell)

    def _execute_input(self, cell: Cell, content: Mapping[Any, Any]) -> None:
        count = content.get("execution_count")
        if isinstance(count, int):
            cell.execution_count = count
            self.note_count(count)
        if not cell.finished:
            cell.state = CellState.RUNNING
            cell.started = self.clock()
        self.transcript.changed(cell)

    def _stream(self, cell: Cell, content: Mapping[Any, Any]) -> None:
        name: StreamName = "stderr" if content.get("name") == "stderr" else "stdout"
        self.transcript.append_stream(cell, name, _text(content.get("text")))

    def _display(self, cell: Cell, content: Mapping[Any, Any]) -> None:
        output = RichOutput(
            "display",
            _mapping(content.get("data")),
            _mapping(content.get("metadata")),
            renderable=self.renderable,
            display_id=_display_id(content),
        )
        self.transcript.append_output(cell, output)

    def _result(self, cell: Cell, content: Mapping[Any, Any]) -> None:
        count = content.get("execution_count")
        output = RichOutput(
            "result",
            _mapping(content.get("data")),
            _mapping(content.get("metadata")),
            renderable=self.renderable,
            execution_count=count if isinstance(count, int) else None,
            display_id=_display_id(content),  # a result may carry one too; updates reach it
        )
        self.transcript.append_output(cell, output)

    def _error(self, cell: Cell, content: Mapping[Any, Any]) -> None:
        traceback = content.get("traceback")
        if isinstance(traceback, str):
            lines = [traceback]
        elif isinstance(traceback, (list, tuple)):
            lines = [_text(line) for line in traceback]
        else:
            lines = []
        output = ErrorOutput(_text(content.get("ename"), "Error"), _text(content.get("evalue")), lines)
        self.transcript.append_output(cell, output)

    def _clear(self, cell: Cell, content: Mapping[Any, Any]) -> None:
        self.transcript.clear_output(cell, wait=bool(content.get("wait", False)))


_REPLY_STATES = {"ok": CellState.OK, "aborted": CellState.ABORTED}


def _mapping(value: object) -> Mapping[Any, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _text(value: object, default: str = "") -> str:
    """A text field: a string as it is, nothing as ``default``, anything else as its ``str``."""
    if isinstance(value, str):
        return value
    return default if value is None else str(value)


def _parent_id(msg: Message) -> str | None:
    parent_id = _mapping(msg.get("parent_header")).get("msg_id")
    return parent_id if isinstance(parent_id, str) and parent_id else None


def _display_id(content: Mapping[Any, Any]) -> str | None:
    transient = content.get("transient")
    display_id = transient.get("display_id") if isinstance(transient, Mapping) else None
    return display_id if isinstance(display_id, str) and display_id else None
