"""Find in the transcript: a search that runs in time slices and never freezes the UI."""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from conch.widgets.blocks import Block, TextPosition

_SLICE_SECONDS = 0.008

Match = tuple[Block, TextPosition]
_Found = tuple[Block, TextPosition | None]


class TranscriptSearch(QObject):
    """Collects every case-insensitive occurrence of a needle across blocks, a slice per
    event-loop turn, and walks through them."""

    progress = Signal(int, bool)
    """Matches found so far, and whether the search has finished."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.needle = ""
        self.matches: list[Match] = []
        self.current = -1
        self._pending: Iterator[_Found] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)

    @property
    def finished(self) -> bool:
        return self._pending is None

    def start(self, needle: str, blocks: Sequence[Block]) -> None:
        """Search ``blocks`` (a snapshot) for ``needle``; results arrive through :attr:`progress`."""
        self.needle = needle.lower()
        self.matches = []
        self.current = -1
        self._pending = self._scan(list(blocks)) if self.needle else None
        if self._pending is None:
            self._timer.stop()
            self.progress.emit(0, True)
        else:
            self._timer.start()
            self._step()

    def stop(self) -> None:
        self._timer.stop()
        self._pending = None
        self.needle = ""
        self.matches = []
        self.current = -1

    def step(self, forward: bool = True) -> Match | None:
        """Move to the next (or previous) match, wrapping around; None if there is none."""
        if not self.matches:
            return None
        delta = 1 if forward else -1
        if self.current < 0:
            self.current = 0 if forward else len(self.matches) - 1
        else:
            self.current = (self.current + delta) % len(self.matches)
        return self.matches[self.current]

    def _scan(self, blocks: list[Block]) -> Iterator[_Found]:
        for block in blocks:
            for position in block.search(self.needle):
                yield block, position
            yield block, None

    def _step(self) -> None:
        if self._pending is None:
            self._timer.stop()
            return
        deadline = time.perf_counter() + _SLICE_SECONDS
        found = len(self.matches)
        for block, position in self._pending:
            if position is not None:
                self.matches.append((block, position))
            if time.perf_counter() > deadline:
                break
        else:
            self._pending = None
            self._timer.stop()
            self.progress.emit(len(self.matches), True)
            return
        if len(self.matches) != found:
            self.progress.emit(len(self.matches), False)
