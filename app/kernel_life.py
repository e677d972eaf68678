"""What every kind of kernel shares: its consoles, its life and the signals that tell of it."""
from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QObject, Signal

from conch.app.kernel.status import KernelStatus


class Lifecycle(Enum):
    """Where a kernel is in its life, whatever its kind."""

    RUNNING = "running"
    RESTARTING = "restarting"
    DEAD = "dead"
    CLOSED = "closed"


class KernelLife(QObject):
    """The part of a kernel that consoles see, whatever its kind: launched here
    (:class:`~conch.app.running_kernel.RunningKernel` with a process), reached through a
    connection file (the same class, without one), or on a Jupyter server
    (:class:`~conch.app.server_kernel.ServerKernel`). Tabs, menus and the status bar use only
    what is declared here and in those classes' shared methods (``describe``, ``restart``...),
    never which kind they hold."""

    state_changed = Signal(object)
    """The :class:`Lifecycle` state changed (carries it)."""
    died = Signal(str)
    """The kernel ended or stopped responding; carries a message for the user."""
    restarting = Signal()
    """A restart began: consoles drop their connections."""
    restarted = Signal(dict)
    """The kernel is back after a restart; consoles connect again."""
    closed = Signal()
    """After the last console detached: a kernel Conch started is gone."""
    responsiveness_changed = Signal(bool)
    """The kernel (or the connection to it) stopped answering (False) or answers again (True)."""
    exited = Signal(str)
    """The kernel ended because the user asked it to (``exit``): not a death, never restarted
    automatically; carries a message for the user."""
    restarted_in_place = Signal(str)
    """The kernel died and its server is starting it again on its own (``restarting`` and
    ``restarted`` follow); carries a message for the user. What ran in it is gone."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = Lifecycle.RUNNING
        self.dead_reason: str | None = None
        self.responsive = True
        """False while the kernel (or the connection to it) does not answer."""
        self.auto_restarts = 0
        self.exited_on_request = False
        """The kernel ended because the user asked it to (see :meth:`expect_exit`)."""
        self._exit_expected = False
        self._answered = False
        self._sessions: list[object] = []

    @property
    def console_count(self) -> int:
        """How many consoles (sessions) are attached."""
        return len(self._sessions)

    def attach(self, session: object) -> None:
        self._sessions.append(session)

    @property
    def link_status(self) -> KernelStatus | None:
        """The state of the connection when that is what a console should show (connecting,
        reconnecting, gone from its server); None when the kernel's own state is."""
        return None

    def link_detail(self) -> str:
        """More about the connection while it is being remade ("attempt 3, every 0.5 s"), or ""."""
        return ""

    @property
    def exit_expected(self) -> bool:
        """The kernel said it will end (or has ended) at the user's request."""
        return self._exit_expected or self.exited_on_request

    def expect_exit(self) -> None:
        """The kernel said it is about to end at the user's request (IPython's ``ask_exit``):
        when it does, that is reported as such, not as a death, and it is not restarted."""
        self._exit_expected = True

    def answered(self) -> None:
        """A console got the kernel's kernel_info."""
        self._answered = True

    def mark_responsive(self) -> None:
        """The heartbeat (or the connection) is back."""
        if not self.responsive:
            self.responsive = True
            self.responsiveness_changed.emit(True)

    def _set_state(self, state: Lifecycle) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
