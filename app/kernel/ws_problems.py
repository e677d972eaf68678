"""Problem reports of a transport, with dropped messages summarized rather than flooded (Qt-free)."""
from __future__ import annotations

import logging
import time
from typing import Callable

from conch.app.kernel.transport import ProblemHandler

log = logging.getLogger(__name__)

PROBLEM_INTERVAL = 1.0
"""After the first, dropped messages are reported at most once per this many seconds."""


class ProblemReporter:
    """Passes problem texts to a transport's ``on_problem`` handler.

    ``defer(seconds)`` must arrange one call of :meth:`flush` after ``seconds`` (a single-shot
    timer; a call while one is pending may be ignored).
    """

    def __init__(self, defer: Callable[[float], None], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._defer = defer
        self._clock = clock
        self._handler: ProblemHandler | None = None
        self._last_reported_at: float | None = None
        self._unreported = 0
        self._last_reason = ""
        self.dropped = 0
        """How many incoming messages were dropped in all."""

    def start(self, handler: ProblemHandler) -> None:
        self._handler = handler

    def stop(self) -> None:
        self._handler = None

    def report(self, text: str) -> None:
        """Pass ``text`` on now."""
        log.warning("%s", text)
        if self._handler is None:
            return
        try:
            self._handler(text)
        except Exception:
            log.exception("problem handler failed")

    def drop(self, reason: str) -> None:
        """An incoming message was dropped for ``reason``: report it now, or in a summary soon."""
        self.dropped += 1
        self._unreported += 1
        self._last_reason = reason if len(reason) <= 200 else reason[:200] + "…"
        now = self._clock()
        since = None if self._last_reported_at is None else now - self._last_reported_at
        if since is None or since >= PROBLEM_INTERVAL:
            self.flush()
        else:
            self._defer(PROBLEM_INTERVAL - since)

    def flush(self) -> None:
        """Report the drops not yet reported, if any."""
        count, self._unreported = self._unreported, 0
        if count == 0:
            return
        self._last_reported_at = self._clock()
        if count == 1:
            self.report(f"Dropped an invalid message: {self._last_reason}")
        else:
            self.report(f"Dropped {count} invalid messages (last: {self._last_reason})")
