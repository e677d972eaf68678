"""SSH hosts as Conch's tabs use them: one master connection per host, kept while a kernel
needs it, reconnected when it drops, and everything Conch started there stopped at the end."""
from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from conch.app.kernel.server_api import ServerApi
from conch.app.kernel.server_url import ServerAddress
from conch.app.ssh.calls import SshCall
from conch.app.ssh.master import MasterState, SshMaster
from conch.app.ssh.prompts import PromptServer, shared_prompt_server
from conch.app.ssh.remote_jupyter import RemoteJupyter, StartedServer
from conch.app.ssh.remote_scripts import stop_server_script
from conch.app.ssh.ssh_args import mux_arguments

if TYPE_CHECKING:
    from conch.app.running_kernel import RunningKernel
    from conch.app.server_kernel import ServerKernel

log = logging.getLogger(__name__)

STOP_AT_EXIT_S = 15.0
"""The longest Conch waits, when it quits, for a Jupyter server it started over SSH to stop."""

Ready = Callable[[str], None]
"""Called with "" when the host is connected, else with why it is not."""


class SshHost(QObject):
    """One host reached with the system ``ssh``: its master connection (prompts go to the
    :class:`PromptServer`), the Jupyter there, and the kernels Conch reaches through it. The
    host stays connected while a kernel uses it (:meth:`retain` / :meth:`release`); a dropped
    master is reconnected at once (its forwards come back on the same local ports, so the
    kernels' own reconnecting finds them); a Jupyter server Conch started there is stopped when
    the last kernel on it goes."""

    state_changed = Signal()

    def __init__(self, destination: str, options: Sequence[str], prompts: PromptServer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.destination = destination
        self.options = list(options)
        self.master = SshMaster(destination, options, prompts=prompts, parent=self)
        self.jupyter = RemoteJupyter(self.master)
        self.started_server: StartedServer | None = None
        self.keep_server = False
        """Leave the server Conch started running when the last tab on it closes."""
        self._users = 0
        self._waiting: list[Ready] = []
        self._calls: set[SshCall[Any]] = set()
        self.master.ready.connect(self._on_ready)
        self.master.failed.connect(self._on_failed)
        self.master.lost.connect(self._on_lost)

    @property
    def where(self) -> str:
        """The host as the user named it, for titles and messages."""
        return f"{self.destination} (over SSH)"

    # -- connection ------------------------------------------------------------------------------
    def when_ready(self, then: Ready) -> None:
        """Connect if not connected; ``then("")`` once connected, ``then(reason)`` if it failed."""
        state = self.master.state
        if state is MasterState.READY:
            then("")
            return
        self._waiting.append(then)
        if state in (MasterState.IDLE, MasterState.FAILED, MasterState.STOPPED):
            self.master.start()

    def retain(self) -> None:
        self._users += 1

    def release(self, then: Callable[[], None] = lambda: None) -> None:
        """A kernel that used the host is gone; the last one stops what Conch started there
        (the server, then the connection) and calls ``then`` once that is done."""
        self._users = max(0, self._users - 1)
        if self._users:
            then()
            return
        server, self.started_server = self.started_server, None
        if server is not None and not self.keep_server and self.master.is_ready:
            self._track(self.jupyter.stop_server(server)).when_done(lambda _call: self._stop_master(then))
        else:
            self._stop_master(then)

    def _stop_master(self, then: Callable[[], None]) -> None:
        """Stop the master connection; ``then`` once its process is gone."""
        if self.master.state in (MasterState.IDLE, MasterState.FAILED, MasterState.STOPPED):
            then()
            return
        done: list[bool] = []

        def stopped() -> None:
            if not done:
                done.append(True)
                self.master.stopped.disconnect(stopped)
                then()

        self.master.stopped.connect(stopped)
        self.master.stop()

    def stop_now(self) -> None:
        """At exit, when nothing waits for answers any more: stop the Jupyter server Conch
        started there (its kernels with it; a few seconds at most), then the connection."""
        server, self.started_server = self.started_server, None
        if server is not None and not self.keep_server and self.master.is_ready:
            script = stop_server_script(server.remote_pid, server.remote_dir)
            command = [self.master.ssh_program, *mux_arguments(
                self.master.control_path, self.destination, ["-T", "--", self.destination, "/bin/sh -s"])]
            try:
                subprocess.run(command, input=script.encode(), capture_output=True, timeout=STOP_AT_EXIT_S, check=False)
            except (OSError, subprocess.TimeoutExpired) as error:
                log.warning("ssh %s: could not stop the Jupyter server there: %s", self.destination, error)
        self.master.stop()

    def _on_ready(self) -> None:
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then("")
        self.state_changed.emit()

    def _on_failed(self, reason: str) -> None:
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then(reason)
        self.state_changed.emit()

    def _on_lost(self, reason: str) -> None:
        log.info("ssh %s: connection lost (%s); reconnecting", self.destination, reason)
        self.state_changed.emit()
        if self._users:
            self.master.reconnect()

    # -- what tabs need ----------------------------------------------------------------------------
    def server_for_kernels(self, then: Callable[[ServerAddress | None, str], None]) -> None:
        """A Jupyter server there to run kernels on, forwarded here: the user's own if one runs,
        else one Conch starts (and stops later). ``then(address, "")`` or ``then(None, why)``."""
        if self.started_server is not None:
            then(self.started_server.address, "")
            return

        def listed(call: SshCall[Any]) -> None:
            servers = call.result if call.ok else None
            if servers:
                self._track(self.jupyter.open_server(servers[0])).when_done(
                    lambda opened: then(opened.result.address if opened.ok and opened.result else None, opened.error or "")
                )
            else:
                self._track(self.jupyter.start_server()).when_done(started)

        def started(call: SshCall[StartedServer]) -> None:
            if not call.ok or call.result is None:
                then(None, call.error or "the Jupyter server did not start")
                return
            self.started_server = call.result
            if call.result.warning:
                log.warning("ssh %s: %s", self.destination, call.result.warning)
            then(call.result.address, "")

        def connected(reason: str) -> None:
            if reason:
                then(None, reason)
            else:
                self._track(self.jupyter.list_servers()).when_done(listed)

        self.when_ready(connected)

    def kernel_on_server(self, kernel: "ServerKernel") -> None:
        """Bring ``kernel`` (made pending) to life on a server there."""
        self.retain()
        kernel.after_close = self.release

        def found(address: ServerAddress | None, reason: str) -> None:
            if address is None:
                kernel.fail(f"Could not reach Jupyter on {self.destination} over SSH: {reason}")
            else:
                kernel.use_server(ServerApi(address, parent=self))

        self.server_for_kernels(found)

    def raw_kernel(self, kernel: "RunningKernel", name: str) -> None:
        """Bring ``kernel`` (made pending) to life: find the connection file ``name`` in the
        host's runtime folder, forward its five ports and connect."""
        self.retain()
        released: list[bool] = []

        def on_state(state: object) -> None:
            from conch.app.kernel_life import Lifecycle

            if state is Lifecycle.CLOSED and not released:
                released.append(True)
                self.release()

        kernel.state_changed.connect(on_state)

        def listed(call: SshCall[Any]) -> None:
            if not call.ok or call.result is None:
                kernel.fail(f"Could not list the kernels on {self.destination}: {call.error}")
                return
            wanted = [f for f in call.result.files if _names(f.path, name)]
            if not wanted:
                kernel.fail(f"No kernel connection file {name!r} in {call.result.folder} on {self.destination}.")
                return
            if wanted[0].connection_info is None:
                kernel.fail(f"{wanted[0].path} on {self.destination} cannot be used: {wanted[0].problem}")
                return
            self._track(self.jupyter.forward_kernel(wanted[0].connection_info)).when_done(forwarded)

        def forwarded(call: SshCall[Any]) -> None:
            if not call.ok or call.result is None:
                kernel.fail(f"Could not forward the kernel's ports from {self.destination}: {call.error}")
                return
            kernel.use_connection(dict(call.result.connection_info))

        def connected(reason: str) -> None:
            if reason:
                kernel.fail(f"Could not connect to {self.destination}: {reason}")
            else:
                self._track(self.jupyter.list_kernel_files()).when_done(listed)

        self.when_ready(connected)

    def _track(self, call: SshCall[Any]) -> SshCall[Any]:
        self._calls.add(call)
        call.finished.connect(lambda: self._calls.discard(call))
        return call


def _names(path: str, name: str) -> bool:
    """Whether the remote file ``path`` is the one the user named (a file name, a path, or the
    id part: ``1234`` names ``kernel-1234.json``)."""
    base = path.rsplit("/", 1)[-1]
    return name in (path, base) or base == f"kernel-{name}.json" or (len(name) >= 4 and name in base)


class SshHosts(QObject):
    """Every SSH host of the application, one :class:`SshHost` per destination and options,
    sharing one :class:`PromptServer` (ssh's questions reach the GUI through it)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.prompts = shared_prompt_server()
        self._hosts: dict[tuple[str, tuple[str, ...]], SshHost] = {}

    def host(self, destination: str, options: Sequence[str] = ()) -> SshHost:
        key = (destination, tuple(options))
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = SshHost(destination, options, self.prompts, self)
        return host

    def stop_all(self) -> None:
        """At exit: stop what Conch started on each host, then every master (no ssh process,
        and no server of Conch's, is left behind)."""
        for host in self._hosts.values():
            host.stop_now()

    _shared: "SshHosts | None" = None

    @classmethod
    def shared(cls) -> "SshHosts":
        """The application's hosts (created on first use; stopped when the application quits)."""
        if cls._shared is None:
            from PySide6.QtCore import QCoreApplication

            cls._shared = SshHosts(QCoreApplication.instance())
            cls._shared.prompts.prompted.connect(_ask_in_a_dialog)
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(cls._shared.stop_all)
        return cls._shared


def _ask_in_a_dialog(prompt: object) -> None:
    """ssh asks something (a passphrase, a host key): a dialog over the active window answers."""
    from PySide6.QtWidgets import QApplication

    from conch.app.ssh.prompt_dialog import PromptDialog

    dialog = PromptDialog(prompt, QApplication.activeWindow())  # type: ignore[arg-type]
    dialog.open()
