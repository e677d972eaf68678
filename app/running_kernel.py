"""A kernel that consoles attach to: launched here, or reached through a connection file."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, QTimer

from jupyter_client.session import Session

from conch.app.kernel.connection_files import read_connection_file
from conch.app.kernel.deferred_transport import DeferredTransport
from conch.app.kernel.transport import Transport
from conch.app.kernel.zmq_bridge import ZmqTransport
from conch.app.kernel_life import KernelLife, Lifecycle
from conch.app.kernel.launcher import LocalKernelProcess
from conch.app.process_reaper import ProcessReaper, track

if TYPE_CHECKING:
    from conch.app.kernel.client import KernelClient

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 0.5
HEARTBEAT_TIMEOUT = 2.0  # with the interval: a dead kernel is noticed within 2.5 s

AUTO_RESTART_LIMIT = 3
"""How many times a launched kernel that died is restarted without being asked."""
_PROCESS_WATCH_MS = 250


RUNNING, RESTARTING, DEAD, CLOSED = Lifecycle.RUNNING, Lifecycle.RESTARTING, Lifecycle.DEAD, Lifecycle.CLOSED


class RunningKernel(KernelLife):
    """One kernel, shared by every console attached to it.

    A kernel Conch launched is *owned*: its process is watched (death is noticed within
    a quarter second), restarted in place, auto-restarted at most :attr:`auto_restart_limit`
    times (the ``auto_restart`` setting) if it dies after having answered once, interrupted
    with a signal (unless its kernelspec asks for ``interrupt_mode: message``) and shut down
    when the last console detaches. A kernel from a connection file is only connected to: detaching leaves it
    running, interrupting and restarting go through messages.
    """

    def __init__(
        self,
        connection_info: dict[str, Any],
        *,
        process: LocalKernelProcess | None = None,
        connection_file: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.connection_info = connection_info
        self.process = process
        self.connection_file = connection_file
        self.ssh_host: str | None = None
        """The SSH host the kernel is reached through (its ports forwarded), if any."""
        self.auto_restart_limit = AUTO_RESTART_LIMIT
        """How many times this kernel is restarted without being asked if it dies (the
        ``auto_restart`` setting; 0: never)."""
        self._waiting: list[tuple[DeferredTransport, Session]] = []  # consoles before the tunnel
        self._reapers: list[ProcessReaper] = []
        self._watch = QTimer(self)
        self._watch.setInterval(_PROCESS_WATCH_MS)
        self._watch.timeout.connect(self._check_process)
        if process is not None:
            track(process)
            self._watch.start()

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def launch(cls, kernel_name: str, *, cwd: str | None = None) -> "RunningKernel":
        """Spawn a kernel from a kernelspec (returns at once; raises ``KernelSpecNotFound`` or
        ``KernelLaunchError`` with a message naming the problem)."""
        process = LocalKernelProcess(kernel_name, cwd=cwd)
        return cls(process.start(), process=process)

    @classmethod
    def from_connection_file(cls, path: Path) -> "RunningKernel":
        """Connect to a kernel someone else started (raises ``ConnectionFileError``)."""
        return cls(read_connection_file(path), connection_file=path)

    @classmethod
    def over_ssh(cls, host: str, remote_file: str) -> "RunningKernel":
        """A kernel on ``host`` whose connection file there is ``remote_file``, reached through
        forwarded ports that do not exist yet: consoles wait until :meth:`use_connection` (or
        the kernel dies with :meth:`fail`)."""
        kernel = cls({}, connection_file=Path(remote_file))
        kernel.ssh_host = host
        return kernel

    def use_connection(self, connection_info: dict[str, Any]) -> None:
        """The forwarded ports are there: the consoles that waited connect now."""
        self.connection_info = connection_info
        waiting, self._waiting = self._waiting, []
        for deferred, session in waiting:
            session.signature_scheme = str(connection_info.get("signature_scheme", "hmac-sha256"))
            session.key = str(connection_info.get("key", "")).encode()
            deferred.activate(self._zmq(connection_info, session))

    def fail(self, reason: str) -> None:
        """The kernel cannot be reached (its SSH tunnel could not be made)."""
        self._die(reason, auto_restart=False)

    # -- description ---------------------------------------------------------------------------
    @property
    def owned(self) -> bool:
        return self.process is not None

    @property
    def kernel_name(self) -> str:
        if self.process is not None:
            return self.process.kernel_name
        return str(self.connection_info.get("kernel_name") or "")

    @property
    def display_name(self) -> str:
        """What a tab calls this kernel: the kernelspec's display name, or the file it came from."""
        if self.process is not None:
            try:
                return self.process.spec_display_name
            except Exception:  # noqa: BLE001 - a name is not worth failing for
                return self.process.kernel_name
        name = self.kernel_name
        where = f" @ {self.ssh_host}" if self.ssh_host else ""
        if self.connection_file is not None:
            stem = self.connection_file.stem.removeprefix("kernel-")[:8]
            return f"{name or 'kernel'} [{stem}]{where}"
        return (name or "kernel") + where

    @property
    def place(self) -> str:
        """Where the kernel lives, in a few words (the status bar)."""
        return f"{self.ssh_host} (over SSH)" if self.ssh_host else "this computer"

    def describe(self) -> list[str]:
        """Lines for a tab's tooltip: what this kernel is and where it lives."""
        lines = []
        if self.ssh_host:
            lines.append(f"Kernel on {self.ssh_host}, reached over SSH (its ports forwarded), started elsewhere")
        elif self.process is not None and self.process.pid is not None:
            lines.append(f"Kernel process {self.process.pid} on this computer, started by Conch")
        else:
            lines.append("Kernel on this computer, started elsewhere")
        where = self.connection_file or (self.process.connection_file if self.process is not None else "")
        if where:
            lines.append(f"Connection file: {Path(where).name}")
        return lines

    def reattach_hint(self) -> str:
        """How to get back to this kernel once no tab shows it."""
        if self.ssh_host:
            return f"File ▸ Connect over SSH… lists it ({self.ssh_host})"
        where = self.connection_file or (self.process.connection_file if self.process is not None else "")
        return f"File ▸ Connect to Existing Kernel reconnects ({Path(where).name})" if where else ""

    @property
    def can_restart(self) -> bool:
        """Whether Restart offered on a banner can work (a kernel started elsewhere restarts only
        if its owner relaunches it)."""
        return self.owned

    def open_transport(self) -> tuple[Transport, Session]:
        """A new connection to the kernel for one console, and the session that signs for it
        (one that waits, if the kernel's tunnel is still being made)."""
        info = self.connection_info
        session = Session(
            key=str(info.get("key", "")).encode(),
            signature_scheme=str(info.get("signature_scheme", "hmac-sha256")),
        )
        if not info:
            deferred = DeferredTransport()
            self._waiting.append((deferred, session))
            return deferred, session
        return self._zmq(info, session), session

    @staticmethod
    def _zmq(info: dict[str, Any], session: Session) -> ZmqTransport:
        return ZmqTransport(info, session, heartbeat_interval=HEARTBEAT_INTERVAL, heartbeat_timeout=HEARTBEAT_TIMEOUT)

    def unresponsive_text(self) -> str:
        if self.ssh_host:
            return (f"The kernel on {self.ssh_host} is not responding (no heartbeat for {HEARTBEAT_TIMEOUT:.0f} s): "
                    "it is hung or gone, or the SSH connection was lost (Conch reconnects it).")
        what = "hung" if self.owned else "hung, or gone"
        return f"The kernel is not responding (no heartbeat for {HEARTBEAT_TIMEOUT:.0f} s): it is {what}."

    def responsive_text(self) -> str:
        return "The kernel is responding again."

    def diagnose_silence(self, client: "KernelClient") -> str | None:
        """Why a kernel from a connection file has not answered for a few seconds (a kernel
        Conch launched is still starting, one whose tunnel is being made is waiting for it:
        nothing to say)."""
        if self.owned or not self.connection_info:
            return None
        if not client.transport.kernel_seen:
            info = self.connection_info
            return (
                f"Nothing answers at {info.get('ip')} (ports {info.get('shell_port')}…, no heartbeat): "
                "the kernel has probably exited and left its connection file behind. Pick another file."
            )
        return (
            "The kernel answers its heartbeat but not its requests. The key in the connection "
            "file probably does not match the kernel's: check you picked the right file."
        )

    @property
    def interrupt_mode(self) -> str:
        """"signal" for a launched kernel unless its kernelspec says "message"; else "message"."""
        if self.process is None:
            return "message"
        try:
            return self.process.interrupt_mode
        except Exception:  # noqa: BLE001
            return "signal"

    # -- consoles ------------------------------------------------------------------------------
    def detach(
        self, session: object, client: "KernelClient", on_done: Callable[[], object], *, keep: bool = False
    ) -> None:
        """A console leaves. The last one to leave an owned kernel shuts it down (``on_done``
        runs once the process is gone), unless ``keep`` (``exit(keep_kernel=True)``): then it
        runs on until :meth:`shutdown_unattended`. Otherwise ``on_done`` runs on the next turn."""
        if session in self._sessions:
            self._sessions.remove(session)
        if keep and self.state == RUNNING:
            QTimer.singleShot(0, on_done)
            return
        if self._sessions or self.process is None or self.state == CLOSED:
            QTimer.singleShot(0, on_done)
            if not self._sessions:
                self._set_state(CLOSED)
                self._watch.stop()
            return
        self._watch.stop()
        if self.process.is_alive() and self.state != RESTARTING:
            client.shutdown()
        self._set_state(CLOSED)

        def gone() -> None:
            on_done()
            self.closed.emit()

        self._reapers.append(ProcessReaper(self.process, gone, grace=1.0, parent=self))

    def shutdown_unattended(self) -> None:
        """End an owned kernel that no console shows any more (one kept by ``exit(keep_kernel=True)``)."""
        if self._sessions or self.process is None or self.state == CLOSED:
            return
        self._watch.stop()
        self._set_state(CLOSED)
        self._reapers.append(ProcessReaper(self.process, self.closed.emit, grace=0.0, parent=self))

    # -- control -------------------------------------------------------------------------------
    def has_run_code(self) -> bool:
        """Whether the kernel may have run code already: started elsewhere, or another console
        here has talked to it (a new console then asks for its execution counter)."""
        return self.process is None or self._answered

    def interrupt(self, client: "KernelClient") -> str:
        """Interrupt as the kernel allows; returns how ("signal" or "message")."""
        if self.interrupt_mode == "signal" and self.process is not None and self.process.is_alive():
            self.process.interrupt()
            return "signal"
        client.interrupt()
        return "message"

    def restart(self, client: "KernelClient") -> bool:
        """Restart: an owned kernel is replaced by a new process of the same kernelspec;
        another's kernel is asked to restart itself (its owner relaunches it on the same ports).
        Returns False if a restart is under way or the kernel is closed."""
        if self.state in (RESTARTING, CLOSED):
            return False
        if self.process is None:
            client.shutdown(restart=True)
            return True
        self._relaunch()
        return True

    def mark_unresponsive(self) -> None:
        """The heartbeat stopped. Nothing is aborted: a hung kernel may come back. (Before the
        kernel first answered, slowness is the console's to report.)"""
        if self._exit_expected and self.state == RUNNING:
            self._exited()  # a kernel we cannot watch has gone quiet after saying it would exit
            return
        if self.state == RUNNING and self._answered and self.responsive:
            self.responsive = False
            self.responsiveness_changed.emit(False)

    # -- internals -----------------------------------------------------------------------------
    def _launch_again(self, old: LocalKernelProcess) -> None:
        if self.state == CLOSED:
            return
        process = LocalKernelProcess(old.kernel_name, cwd=old.cwd)
        try:
            info = process.start()
        except Exception as error:  # noqa: BLE001 - shown to the user, transcript kept
            self._die(f"Restart failed: {error}", auto_restart=False)
            return
        track(process)
        self.process = process
        self.connection_info = info
        self.dead_reason = None
        self.exited_on_request = self._exit_expected = False
        self.responsive = True
        self._answered = False
        self._watch.start()
        self.restarted.emit(info)  # consoles reconnect first, so "running" finds new clients
        self._set_state(RUNNING)

    def _check_process(self) -> None:
        if self.process is None or self.process.is_alive():
            return
        self._watch.stop()
        code = self.process.exit_code
        if self._exit_expected:
            self._exited()
        elif not self._answered:
            self._die(
                f"The kernel exited (exit code {code}) before it answered. Check that its kernelspec "
                f"“{self.kernel_name}” works (`jupyter kernelspec list`); Kernel ▸ Restart tries again.",
                auto_restart=False,
            )
        else:
            self._die(f"The kernel died (exit code {code}).", auto_restart=True)

    def _exited(self) -> None:
        if self.state in (DEAD, CLOSED):
            return
        self._watch.stop()
        self.exited_on_request = True
        self.dead_reason = "The kernel exited because it was asked to (exit). Kernel ▸ Restart starts a new one."
        self._set_state(DEAD)
        self.exited.emit(self.dead_reason)

    def _die(self, reason: str, *, auto_restart: bool) -> None:
        if self.state in (DEAD, CLOSED):
            return
        auto_restart = auto_restart and bool(self._sessions)  # nobody would see a restarted kernel
        limit = self.auto_restart_limit
        again = auto_restart and self.process is not None and self.auto_restarts < limit
        if again:
            self.auto_restarts += 1
            reason += f" Restarting it automatically ({self.auto_restarts} of {limit})…"
        elif auto_restart and self.process is not None and limit > 0:
            times = "once" if limit == 1 else f"{limit} times"
            reason += f" It was restarted automatically {times} already; Kernel ▸ Restart starts a new one."
        elif "Kernel ▸ Restart" not in reason:
            reason += " Kernel ▸ Restart starts a new one."
        self.dead_reason = reason
        self._set_state(DEAD)
        log.info("kernel %s: %s", self.kernel_name, reason)
        self.died.emit(reason)
        if again:
            QTimer.singleShot(0, self._relaunch)

    def _relaunch(self) -> None:
        """Kill the current process (if still there) and start the kernelspec again."""
        if self.process is None or self.state in (RESTARTING, CLOSED):
            return
        old = self.process
        self._watch.stop()
        self._set_state(RESTARTING)
        self.restarting.emit()
        self._reapers.append(ProcessReaper(old, lambda: self._launch_again(old), grace=0.0, parent=self))

