"""Quit signals (SIGINT, SIGTERM, SIGHUP) delivered as events on the Qt loop.

CPython runs a Python signal handler only between two bytecodes of the main thread. While Qt's
loop sleeps in C++ that can be never, and the default SIGINT handler raises KeyboardInterrupt in
whatever Python code runs next: a traceback from some slot, or a crash when it lands inside
PySide's own machinery. So the Python handlers installed here do nothing at all. What carries
a signal is ``signal.set_wakeup_fd``: CPython's C-level handler writes the signal's number, one
byte, into the non-blocking write end of a socket pair, and a ``QSocketNotifier`` on the read end
wakes the loop, which reads the numbers and hands them to a callback like any other event.

:class:`SignalPipe` is Qt-free (only :meth:`SignalPipe.notify_on_qt_loop` imports Qt), and so
is :class:`TwoStageQuit`, the policy: the first signal quits gracefully, a second one forces.
"""
from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from PySide6.QtCore import QObject, QSocketNotifier

_Handler = Union[Callable[[int, Union[FrameType, None]], Any], int, signal.Handlers, None]

QUIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""What a user, a session manager or a closing terminal sends to end a program."""


def _only_wake(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler does nothing: the byte in the wakeup socket is the signal."""


class SignalPipe:
    """Routes ``signals`` into a socket the Qt loop watches, instead of Python handlers.

    :meth:`install` and :meth:`uninstall` must run on the main thread (CPython's rule for
    signal handlers). While installed, this process's wakeup fd is ours; the previous one and
    the previous handlers come back on :meth:`uninstall`. Signals that arrive before the Qt
    loop runs wait in the socket and are delivered when it starts. A signal this process was
    started ignoring stays ignored: ``nohup conch`` must survive the terminal's SIGHUP, and a
    job a shell started in the background must not take Ctrl+C meant for the foreground.
    """

    def __init__(self, signals: Iterable[int] = QUIT_SIGNALS) -> None:
        self.signals = tuple(signals)
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._previous_fd = -1
        self._previous: dict[int, _Handler] = {}
        self._notifier: QSocketNotifier | None = None

    @property
    def installed(self) -> bool:
        return self._reader is not None

    def install(self) -> None:
        if self._reader is not None:
            return
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("signal handlers can only be installed from the main thread")
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)  # a full socket must never block the C signal handler
        self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._reader, self._writer = reader, writer
        for signum in self.signals:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, _only_wake)

    def uninstall(self) -> None:
        if self._reader is None or self._writer is None:
            return
        self._drop_notifier()
        for signum, handler in self._previous.items():
            # None: a handler not set from Python, which cannot be put back; the default is closest.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous.clear()
        signal.set_wakeup_fd(self._previous_fd)
        self._previous_fd = -1
        self._reader.close()
        self._writer.close()
        self._reader = self._writer = None

    def take(self) -> list[int]:
        """The signals received since last asked, oldest first; never waits. Any signal with a
        Python handler writes its byte (pytest-timeout's SIGALRM, say): only ours are returned."""
        received: list[int] = []
        while self._reader is not None:
            try:
                data = self._reader.recv(256)
            except (BlockingIOError, InterruptedError):
                break
            if not data:
                break
            received.extend(signum for signum in data if signum in self._previous)
        return received

    def notify_on_qt_loop(self, on_signal: Callable[[int], object], parent: QObject | None = None) -> None:
        """Call ``on_signal(signum)`` on the Qt loop for every signal received (installs first)."""
        from PySide6.QtCore import QSocketNotifier

        self.install()
        assert self._reader is not None
        self._drop_notifier()
        notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, parent)

        def deliver() -> None:
            for signum in self.take():
                on_signal(signum)

        notifier.activated.connect(deliver)
        self._notifier = notifier

    def _drop_notifier(self) -> None:
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            try:
                notifier.setEnabled(False)
            except RuntimeError:
                pass  # its parent has deleted it already


class TwoStageQuit:
    """The first quit signal calls ``graceful()``; any later one calls ``force()``.

    :attr:`exit_code` is 128 + the first signal's number, the shell's convention for a program
    ended by that signal (130 for Ctrl+C, 143 for SIGTERM, 129 for SIGHUP), once one came.
    """

    def __init__(self, graceful: Callable[[], object], force: Callable[[], object]) -> None:
        self._graceful = graceful
        self._force = force
        self.first: int | None = None

    @property
    def exit_code(self) -> int | None:
        return None if self.first is None else 128 + self.first

    def __call__(self, signum: int) -> None:
        if self.first is None:
            self.first = int(signum)
            self._graceful()
        else:
            self._force()
