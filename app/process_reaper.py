"""Ends a launched kernel process without ever waiting on it on the GUI thread."""
from __future__ import annotations

import atexit
import time
import weakref
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from conch.app.kernel.launcher import LocalKernelProcess

_POLL_MS = 50
_live: "weakref.WeakSet[LocalKernelProcess]" = weakref.WeakSet()


def track(process: LocalKernelProcess) -> None:
    """Remember a launched kernel so that interpreter exit kills it if nothing else did."""
    _live.add(process)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_live):
        if process.is_alive():
            process.kill()
        process.cleanup()


class ProcessReaper(QObject):
    """Polls a process on a timer: after ``grace`` seconds it is killed; once gone,
    its files are cleaned up and ``on_gone`` is called. Never blocks."""

    def __init__(
        self,
        process: LocalKernelProcess,
        on_gone: Callable[[], None] | None = None,
        *,
        grace: float = 1.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._process = process
        self._on_gone = on_gone
        self._kill_at = time.monotonic() + grace
        self._timer = QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        if grace <= 0:
            process.kill()
        # First look on the next event-loop turn: ``on_gone`` never runs inside the caller.
        QTimer.singleShot(0, self, self._poll)

    def _poll(self) -> None:
        if self._process.is_alive():
            if time.monotonic() >= self._kill_at:
                self._process.kill()
            return
        self._timer.stop()
        self._process.cleanup()
        _live.discard(self._process)
        if self._on_gone is not None:
            callback, self._on_gone = self._on_gone, None
            callback()
        self.deleteLater()
