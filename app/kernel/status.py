"""What state a kernel is in, as a console sees it: one Enum for every layer (Qt-free).

How each state looks (icon colour, words in the tab title and the status bar, what Enter says)
is decided in one table, ``conch.widgets.status_look``; nothing compares status strings.
"""
from __future__ import annotations

from enum import Enum


class KernelStatus(Enum):
    """The state of the kernel behind a console."""

    STARTING = "starting"
    """Launched, restarting, or connected and waiting for its first ``kernel_info`` reply."""
    IDLE = "idle"
    BUSY = "busy"
    UNRESPONSIVE = "unresponsive"
    """No heartbeat (or WebSocket pong) for a while: hung, or gone without saying so."""
    DEAD = "dead"
    """The kernel ended (died, or exited because the user asked)."""
    ERROR = "error"
    """No kernel could be opened at all (a bad kernelspec, connection file or server)."""
    CONNECTING = "connecting"
    """A remote kernel: the connection to its server is being opened."""
    RECONNECTING = "reconnecting"
    """A remote kernel: the connection dropped; trying again (the transcript is kept)."""
    CULLED = "culled"
    """A remote kernel that its server no longer has (shut down elsewhere, or culled when idle)."""

    @property
    def ready(self) -> bool:
        """The kernel takes requests now (idle or busy)."""
        return self in (KernelStatus.IDLE, KernelStatus.BUSY)

    @property
    def gone(self) -> bool:
        """The kernel will not answer again without a restart or a new kernel."""
        return self in (KernelStatus.DEAD, KernelStatus.ERROR, KernelStatus.CULLED)

    @property
    def waiting(self) -> bool:
        """The kernel may answer later (starting, connecting, reconnecting, not responding)."""
        return self in (
            KernelStatus.STARTING, KernelStatus.CONNECTING, KernelStatus.RECONNECTING, KernelStatus.UNRESPONSIVE,
        )


EXECUTION_STATES = {
    "busy": KernelStatus.BUSY,
    "idle": KernelStatus.IDLE,
    "starting": KernelStatus.STARTING,
    "restarting": KernelStatus.STARTING,
}
"""The ``execution_state`` values of iopub ``status`` messages a client follows."""
