"""The transcript: the ordered cells (and notices) of one console, with their outputs."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum

from conch.app.events import Event
from conch.app.model.outputs import Output, RichOutput, StreamName, StreamOutput


class CellState(Enum):
    """Where an execution is in its life."""

    QUEUED = "queued"  # sent, the kernel has not started it yet
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"
    ABORTED = "aborted"


class Cell:
    """One execution: its code, prompt number, state and ordered outputs.

    ``foreign`` marks an execution that another client of the same kernel asked for.
    """

    def __init__(self, code: str, msg_id: str | None, *, foreign: bool = False) -> None:
        self.code = code
        self.msg_id = msg_id
        self.foreign = foreign
        self.execution_count: int | None = None
        self.state = CellState.QUEUED
        self.outputs: list[Output] = []
        # clear_output(wait=True): clear just before the next output arrives.
        self.clear_pending = False
        self.started: float | None = None
        """When the kernel started running it (the router's clock, seconds), if it has."""
        self.ended: float | None = None
        """When it finished, if it has."""

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, once both are known."""
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started

    @property
    def finished(self) -> bool:
        return self.state in (CellState.OK, CellState.ERROR, CellState.ABORTED)


class OutsideOutput(Cell):
    """Output from outside any cell: its parent is missing or names no execution this console
    knows (a message sent with an empty parent, output of a cell cleared away, of an execution
    another client started before this console joined). Consecutive such outputs share one
    entry while it is the last; it is finished from the start (never "In [*]"), shown under a
    one-line header instead of a prompt, and its stream lines count towards (and are dropped
    by) the scrollback like any other."""

    HEADER = "output from outside any cell"

    def __init__(self) -> None:
        super().__init__("", None)
        self.state = CellState.OK


class Notice:
    """A line the application adds to the transcript: the kernel's banner, kernel died,
    restarted."""

    def __init__(self, text: str, level: str = "info") -> None:
        self.text = text
        self.level = level  # "info" | "warning" | "error" | "banner" (the kernel's greeting)


Entry = Cell | Notice


class Transcript:
    """Everything one console shows, oldest first. Knows nothing about Qt.

    Observers learn of changes through :attr:`entry_added`, :attr:`entry_changed`
    and :attr:`cleared`; a view coalesces them into at most one repaint a frame.
    """

    DEFAULT_MAX_LINES = 1_000_000

    def __init__(self, max_lines: int = DEFAULT_MAX_LINES) -> None:
        self.max_lines = max_lines
        """Scrollback: stream lines kept; beyond it the oldest lines go."""
        self._stream_lines = 0
        self.entries: list[Entry] = []
        self._by_msg_id: dict[str, Cell] = {}
        self._by_display_id: dict[str, list[tuple[Cell, RichOutput]]] = {}
        self.entry_added: Event[[Entry]] = Event()
        """A cell or notice was appended."""
        self.entry_changed: Event[[Entry]] = Event()
        """A cell's state, prompt number or outputs changed (including text appended)."""
        self.cleared: Event[[]] = Event()
        """All entries were removed."""

    # -- structure ---------------------------------------------------------------------------
    def add_cell(self, code: str, msg_id: str | None, *, foreign: bool = False) -> Cell:
        cell = Cell(code, msg_id, foreign=foreign)
        if msg_id is not None:
            self._by_msg_id[msg_id] = cell
        self.entries.append(cell)
        self.entry_added.emit(cell)
        return cell

    def outside_output(self) -> OutsideOutput:
        """The entry for output from outside any cell: the last entry if it is one, else a new
        one appended."""
        last = self.entries[-1] if self.entries else None
        if isinstance(last, OutsideOutput):
            return last
        entry = OutsideOutput()
        self.entries.append(entry)
        self.entry_added.emit(entry)
        return entry

    def add_notice(self, text: str, level: str = "info") -> Notice:
        notice = Notice(text, level)
        self.entries.append(notice)
        self.entry_added.emit(notice)
        return notice

    def clear(self) -> None:
        """Forget every entry (the view's "clear"), except cells not finished yet: they stay,
        emptied, after :attr:`cleared` (as :attr:`entry_added`), so what they print next is
        shown, counted and trimmed like any output."""
        unfinished = [entry for entry in self.entries if isinstance(entry, Cell) and not entry.finished]
        self.entries.clear()
        self._stream_lines = 0
        self._by_display_id.clear()
        self._by_msg_id = {cell.msg_id: cell for cell in unfinished if cell.msg_id is not None}
        self.cleared.emit()
        for cell in unfinished:
            cell.outputs.clear()
            cell.clear_pending = False
            self.entries.append(cell)
            self.entry_added.emit(cell)

    def cell_for(self, msg_id: str) -> Cell | None:
        return self._by_msg_id.get(msg_id)

    def cells(self) -> Iterator[Cell]:
        return (e for e in self.entries if isinstance(e, Cell))

    def outputs(self) -> list[Output]:
        """Every output item, oldest first."""
        return [out for cell in self.cells() for out in cell.outputs]

    def changed(self, entry: Entry) -> None:
        """Announce that ``entry`` changed in place."""
        self.entry_changed.emit(entry)

    # -- outputs -------------------------------------------------------------------------------
    def append_stream(self, cell: Cell, name: StreamName, text: str) -> None:
        """Feed stream text, continuing the cell's last output if it is the same stream."""
        self._apply_pending_clear(cell)
        last = cell.outputs[-1] if cell.outputs else None
        if not (isinstance(last, StreamOutput) and last.kind == name):
            last = StreamOutput(name)
            cell.outputs.append(last)
        before = last.content.line_count()
        last.content.feed(text)
        self._stream_lines += last.content.line_count() - before
        self.entry_changed.emit(cell)
        # Trim in batches (1 % over the limit) so a flood does not trim on every message.
        if self._stream_lines > self.max_lines + max(100, self.max_lines // 100):
            self.trim_to(self.max_lines)

    def append_output(self, cell: Cell, output: Output) -> None:
        self._apply_pending_clear(cell)
        cell.outputs.append(output)
        if isinstance(output, RichOutput) and output.display_id:
            self._by_display_id.setdefault(output.display_id, []).append((cell, output))
        self.entry_changed.emit(cell)

    def update_display(self, display_id: str, data: Mapping[str, object], metadata: Mapping[str, object]) -> bool:
        """Update every output shown with ``display_id``, in any cell. False if none."""
        targets = self._by_display_id.get(display_id, [])
        for cell, output in targets:
            output.update(data, metadata)
            self.entry_changed.emit(cell)
        return bool(targets)

    def clear_output(self, cell: Cell, *, wait: bool) -> None:
        """``clear_output``: now, or (``wait``) just before the cell's next output."""
        if wait:
            cell.clear_pending = True
        else:
            self._clear_now(cell)

    def _apply_pending_clear(self, cell: Cell) -> None:
        if cell.clear_pending:
            self._clear_now(cell)

    def stream_line_count(self) -> int:
        """Lines of stream text held (what the scrollback limit counts)."""
        return self._stream_lines

    def trim_to(self, max_lines: int) -> None:
        """Drop the oldest stream lines until at most ``max_lines`` remain.

        Whole old stream outputs go first; the output still being written keeps its last line.
        """
        excess = self._stream_lines - max_lines
        for cell in list(self.cells()):
            if excess <= 0:
                break
            changed = False
            for output in list(cell.outputs):
                if excess <= 0:
                    break
                if not isinstance(output, StreamOutput):
                    continue
                count = output.content.line_count()
                is_newest = output is cell.outputs[-1] and cell is self.entries[-1]
                if count <= excess and not is_newest:
                    cell.outputs.remove(output)
                    dropped = count
                else:
                    dropped = min(excess, count - 1 if is_newest else count)
                    output.content.drop_front(dropped)
                excess -= dropped
                self._stream_lines -= dropped
                changed = changed or dropped > 0
            if changed:
                self.entry_changed.emit(cell)

    def _clear_now(self, cell: Cell) -> None:
        cell.clear_pending = False
        self._stream_lines -= sum(
            o.content.line_count() for o in cell.outputs if isinstance(o, StreamOutput)
        )
        for output in cell.outputs:
            if isinstance(output, RichOutput) and output.display_id:
                shown = self._by_display_id.get(output.display_id, [])
                shown[:] = [(c, o) for c, o in shown if o is not output]
        cell.outputs.clear()
        self.entry_changed.emit(cell)
