"""Typesets LaTeX in worker processes and caches the images, never blocking the GUI."""
from __future__ import annotations

import base64
import heapq
import itertools
import json
import sys

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QProcess, QTimer, Signal
from PySide6.QtGui import QImage

from conch.app.latex_worker import MAX_CHARS, TIMEOUT, TOO_SLOW, too_long

SCALE = 2.0
"""Images are rendered at twice their display size so they are sharp on HiDPI screens."""
_DPI = 100 * SCALE

LONG = 500
"""Formulas longer than this go to a second worker, so a short one never waits behind them."""
KILL_GRACE = 2.0
"""Seconds past a formula's timeout before its worker is killed (it gives up by itself first)."""
STARTUP = 30.0
"""Seconds a new worker may take to import matplotlib before its first answer is overdue."""
STOPPED = "the LaTeX renderer stopped"

Result = QImage | str | None
"""A rendered image, an error message, or None while rendering."""


class LatexRenderer(QObject):
    """Worker processes (``conch.app.latex_worker``), one per application, started on first use.

    Formulas longer than :data:`MAX_CHARS` are refused at once ("too long to typeset"). The
    rest wait in two queues, shortest first: up to :data:`LONG` characters for one worker,
    longer ones for a second, so a short formula is never stuck behind a long one. Each worker
    has one formula at a time; a formula that takes more than ``timeout`` seconds fails
    ("typesetting took too long": the worker gives up by itself, or is killed and restarted
    :data:`KILL_GRACE` seconds later) and the queue goes on.
    """

    rendered = Signal(str)
    """A formula (by its LaTeX source) has its image or error."""

    _instance: "LatexRenderer | None" = None

    @classmethod
    def shared(cls) -> "LatexRenderer":
        if cls._instance is None:
            cls._instance = LatexRenderer(QCoreApplication.instance())
        return cls._instance

    @classmethod
    def stop_shared(cls) -> None:
        """Stop the shared workers if any were started (tests and embedding apps at exit)."""
        if cls._instance is not None:
            cls._instance.stop()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        timeout: float = TIMEOUT,
        kill_after: float | None = None,
        long_after: int = LONG,
    ) -> None:
        super().__init__(parent)
        self._results: dict[str, Result] = {}
        self._long_after = long_after
        kill = timeout + KILL_GRACE if kill_after is None else kill_after
        self._lanes = (_Lane(timeout, kill, self), _Lane(timeout, kill, self))
        for lane in self._lanes:
            lane.answered.connect(self._on_answer)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def stop(self) -> None:
        """End the workers (at application exit); formulas still waiting fail, quietly (views
        may be going away)."""
        for lane in self._lanes:
            for latex in lane.stop():
                self._results[latex] = STOPPED

    def result(self, latex: str) -> Result:
        """The image or error for ``latex``, asking a worker for it the first time."""
        if latex not in self._results:
            if len(latex) > MAX_CHARS:
                self._results[latex] = too_long(len(latex))
            else:
                self._results[latex] = None
                self._lanes[len(latex) > self._long_after].submit(latex)
        return self._results[latex]

    def _on_answer(self, latex: str, result: object) -> None:
        if latex in self._results and isinstance(result, (QImage, str)):
            self._results[latex] = result
            self.rendered.emit(latex)


class _Lane(QObject):
    """One worker process and its queue (shortest formula first), one formula at a time."""

    answered = Signal(str, object)
    """(latex, its QImage or error message)."""

    def __init__(self, timeout: float, kill_after: float, parent: QObject) -> None:
        super().__init__(parent)
        self._timeout = timeout
        self._queue: list[tuple[int, int, str]] = []  # (length, arrival, latex)
        self._order = itertools.count()
        self._process: QProcess | None = None
        self._answers = 0  # answers from the current process
        self._buffer = b""
        self._current: str | None = None
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._kill_after_ms = int(kill_after * 1000)
        self._watchdog.timeout.connect(self._overdue)

    def submit(self, latex: str) -> None:
        heapq.heappush(self._queue, (len(latex), next(self._order), latex))
        self._next()

    def stop(self) -> list[str]:
        """End the worker; returns the formulas given up (the one in hand and those waiting)."""
        self._end_process()
        waiting = [latex for _, _, latex in sorted(self._queue)]
        if self._current is not None:
            waiting.insert(0, self._current)
        self._queue.clear()
        self._current = None
        return waiting

    def _next(self) -> None:
        if self._current is not None or not self._queue:
            return
        _, _, latex = heapq.heappop(self._queue)
        self._current = latex
        process = self._worker()
        startup = STARTUP if self._answers == 0 else 0.0
        self._watchdog.start(self._kill_after_ms + int(startup * 1000))
        request = json.dumps({"id": latex, "latex": latex, "dpi": _DPI, "timeout": self._timeout}) + "\n"
        process.write(QByteArray(request.encode("utf-8")))

    def _worker(self) -> QProcess:
        if self._process is None:
            process = QProcess(self)
            process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
            process.readyReadStandardOutput.connect(self._read)
            process.finished.connect(self._on_finished)
            process.start(sys.executable, ["-m", "conch.app.latex_worker"])
            self._process = process
            self._answers = 0
            self._buffer = b""
        return self._process

    def _read(self) -> None:
        process = self._process
        if process is None:
            return
        self._buffer += bytes(process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(answer, dict) or answer.get("id") != self._current:
                continue  # an answer to a formula given up already
            self._answers += 1
            self._finish(_image(answer))

    def _finish(self, result: QImage | str) -> None:
        latex = self._current
        self._current = None
        self._watchdog.stop()
        if latex is not None:
            self.answered.emit(latex, result)
        self._next()

    def _overdue(self) -> None:
        """The worker is stuck on the current formula (in C code, or not alarmed): it is
        killed, the formula fails and the next one starts a new worker."""
        self._end_process(wait=False)
        self._finish(TOO_SLOW)

    def _on_finished(self) -> None:
        """The worker ended by itself (crashed, or killed from outside)."""
        never_answered = self._answers == 0
        process, self._process = self._process, None
        if process is not None:
            process.deleteLater()
        if self._current is None:
            return
        if never_answered:  # it cannot start: fail everything instead of restarting for each
            for latex in self.stop():
                self.answered.emit(latex, STOPPED)
        else:
            self._finish(STOPPED)

    def _end_process(self, wait: bool = True) -> None:
        process, self._process = self._process, None
        self._watchdog.stop()
        if process is None:
            return
        process.finished.disconnect(self._on_finished)
        process.readyReadStandardOutput.disconnect(self._read)
        process.kill()
        if wait:
            process.waitForFinished(1000)
            process.deleteLater()
        else:  # reaped when it has gone (deleting a running QProcess would wait for it)
            process.finished.connect(process.deleteLater)


def _image(answer: dict[str, object]) -> QImage | str:
    png = answer.get("png")
    if isinstance(png, str):
        image = QImage.fromData(QByteArray(base64.b64decode(png)), "PNG")
        if not image.isNull():
            image.setDevicePixelRatio(SCALE)
            return image
        return "the typeset image could not be read"
    return str(answer.get("error", "could not be typeset"))
