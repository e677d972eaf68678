"""Highlighting the cells already shown again, a few per event-loop turn (the language changed)."""
from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer

TURN_SECONDS = 0.008
"""About how long one turn's batch of cells may take to lay out again."""


class Relexer(QObject):
    """Marks entries for a new layout in batches sized to fit :data:`TURN_SECONDS`, and lays
    each batch out before the next turn: 3 000 cells cost many short turns, never one long one."""

    def __init__(self, mark_dirty: Callable[[int, int], None], flush: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._mark_dirty = mark_dirty
        self._flush = flush
        self._next = 0
        self._stop = 0
        self._batch = 20
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._turn)

    @property
    def running(self) -> bool:
        return self._next < self._stop

    def start(self, count: int) -> None:
        """Re-lay out entries ``0..count`` from the start (a restart of one under way)."""
        self._next, self._stop = 0, count
        if count:
            self._timer.start()

    def _turn(self) -> None:
        if not self.running:
            return
        stop = min(self._stop, self._next + self._batch)
        started = time.perf_counter()
        self._mark_dirty(self._next, stop)
        self._flush()
        took = time.perf_counter() - started
        done = stop - self._next
        self._next = stop
        per_entry = max(took, 1e-5) / done
        self._batch = max(1, min(2000, int(TURN_SECONDS / per_entry)))
        if self.running:
            self._timer.start()
