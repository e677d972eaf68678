"""Says why a kernel has not answered ``kernel_info`` yet, and when to ask the user."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from conch.app.kernel.client import KernelClient

KERNEL_INFO_TIMEOUT = 30.0
"""Seconds without a kernel_info answer before the user is asked to wait longer or close."""
SILENCE_DIAGNOSIS = 5.0
"""How often the silence is looked at; after the first look a kernel from a connection file
that answers nothing is diagnosed (stale file, or a wrong key)."""


class StartupWatch(QObject):
    """Watches one client until its kernel answers ``kernel_info``.

    It reports, through :attr:`trouble`: messages failing their signature (a wrong key); for a
    kernel from a connection file, no heartbeat at all (a stale file) or a heartbeat but no
    replies (probably a wrong key); and after :data:`KERNEL_INFO_TIMEOUT` that the kernel has
    not answered. An empty message means the trouble is over.
    """

    trouble = Signal(str)
    """What the user should know, or "" when it no longer applies."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client: KernelClient | None = None
        self._diagnose: Callable[[KernelClient], str | None] = lambda _client: None
        self._can_wait: Callable[[], bool] = lambda: True
        self._waited = 0.0
        self._reported = False
        self._signature = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._look)

    def watch(
        self,
        client: KernelClient,
        *,
        diagnose: Callable[[KernelClient], str | None],
        can_wait: Callable[[], bool],
    ) -> None:
        """Start watching a new client. ``diagnose`` says, after the first
        :data:`SILENCE_DIAGNOSIS` seconds of silence, what is probably wrong (None: nothing to
        say yet); ``can_wait`` is False while the kernel is dead or restarting, when silence is
        expected."""
        self._client = client
        self._diagnose = diagnose
        self._can_wait = can_wait
        self._waited = 0.0
        self._signature = False
        self._clear()
        self._look_later()

    def stop(self) -> None:
        self._timer.stop()

    def answered(self) -> None:
        """The kernel_info reply came."""
        self._timer.stop()
        self._clear()

    def keep_waiting(self) -> None:
        """The user chose to wait another :data:`KERNEL_INFO_TIMEOUT`."""
        self._waited = 0.0
        self._clear()
        self._look_later()

    def problem(self, text: str) -> None:
        """A transport problem: a message failing its signature before any reply means a wrong key."""
        client = self._client
        if "Signature" in text and client is not None and client.kernel_info is None and not self._signature:
            self._signature = True
            self._report(
                "Messages from the kernel fail their signature check: the key in the connection "
                "file does not match the kernel's. Check you picked the right connection file."
            )

    def _look(self) -> None:
        client = self._client
        if client is None or client.kernel_info is not None or not self._can_wait():
            return
        self._waited += SILENCE_DIAGNOSIS
        if self._waited >= KERNEL_INFO_TIMEOUT:
            self._report(
                f"The kernel has not answered for {self._waited:.0f} s. It may be stuck starting, "
                "or not a Jupyter kernel at all. Keep waiting, or close the tab."
            )
            return
        if self._waited == SILENCE_DIAGNOSIS and not self._signature:
            diagnosis = self._diagnose(client)
            if diagnosis:
                self._report(diagnosis)
        self._look_later()

    def _look_later(self) -> None:
        self._timer.start(int(SILENCE_DIAGNOSIS * 1000))

    def _report(self, text: str) -> None:
        self._reported = True
        self.trouble.emit(text)

    def _clear(self) -> None:
        if self._reported:
            self._reported = False
            self.trouble.emit("")
