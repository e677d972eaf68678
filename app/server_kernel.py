"""A kernel on a Jupyter Server, JupyterHub or Kernel Gateway: REST for its life, a WebSocket
per console for its messages."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from jupyter_client.session import Session
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QSslCertificate

from conch.app.kernel.server_api import ApiCall, ServerApi
from conch.app.kernel.server_answers import ServerErrorKind
from conch.app.kernel.server_url import ServerAddress
from conch.app.kernel.status import KernelStatus
from conch.app.kernel.transport import Transport
from conch.app.kernel.ws_losses import ConnectionLost, LostReason
from conch.app.kernel_life import KernelLife, Lifecycle
from conch.app.server_link import BACKOFF, ServerLink

if TYPE_CHECKING:
    from conch.app.kernel.client import KernelClient

log = logging.getLogger(__name__)

RESTART_CHECKS = 60
RESTART_CHECK_MS = 250
"""After the server restarts a dead kernel, it is asked every 250 ms (15 s at most) whether
the new process is up before the consoles connect again."""


class ServerKernel(KernelLife):
    """A kernel that lives on a Jupyter server.

    Started here (:meth:`start`: ``POST /api/kernels``; *owned*, shut down with ``DELETE`` when
    its last console closes) or attached to (:meth:`attach`: left running). Interrupt and
    restart go through REST. Each console gets a :class:`ServerLink`; a dropped connection is
    reopened (the tab says "connection lost, reconnecting…" and keeps everything), a kernel
    the server no longer has (404) is *culled*, one that died on the server (iopub ``status:
    dead``) is dead, and a refused token or certificate stops the reconnecting with a message
    that says what to do. Returns at once from every call: nothing waits on the network.
    """

    located = Signal(str)
    """The kernel has its id on the server (at once when attached; after the POST when started)."""

    def __init__(
        self,
        api: ServerApi | None,
        kernel_id: str | None,
        *,
        kernel_name: str,
        owned: bool,
        spec_display_name: str | None = None,
        where: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.api = api
        self.address: ServerAddress | None = api.address if api is not None else None
        self.where = where or (api.address.display_name if api is not None else "a server")
        """Where the kernel lives, as the user knows it (a server URL, or an SSH host)."""
        self.kernel_id = (kernel_id or "") if api is not None else ""
        self._wanted_id = kernel_id or ""
        self._kernel_name = kernel_name
        self._spec_display_name = spec_display_name
        self._owned = owned
        self._links: list[ServerLink] = []
        self._calls: set[ApiCall[Any]] = set()
        self._culled = False
        self._restart_checks = 0
        self.after_close: Callable[[Callable[[], None]], None] | None = None
        """Runs when the last console has left (and a kernel Conch started is deleted), before
        the consoles hear they are closed; it calls what it is given when it is done."""
        self._ever_open = False
        self.ca_certificates: list[QSslCertificate] = list(api.ca_certificates()) if api is not None else []
        self.connection_info: dict[str, Any] = {}
        self.process = None
        self.connection_file = None

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def start(cls, api: ServerApi, kernel_name: str, spec_display_name: str | None = None) -> "ServerKernel":
        """Ask the server for a new kernel of ``kernel_name``; returns at once (the kernel has
        its id when :attr:`located` comes, or dies with the server's reason)."""
        kernel = cls(api, None, kernel_name=kernel_name, owned=True, spec_display_name=spec_display_name)
        kernel._begin()
        return kernel

    @classmethod
    def attach_to(cls, api: ServerApi, kernel_id: str, kernel_name: str = "") -> "ServerKernel":
        """A kernel that runs on the server already (left running when the last console closes)."""
        kernel = cls(api, kernel_id, kernel_name=kernel_name, owned=False)
        kernel._call(api.kernel(kernel_id), kernel._on_described)
        return kernel

    @classmethod
    def pending(
        cls, kernel_name: str, *, where: str, kernel_id: str | None = None, spec_display_name: str | None = None
    ) -> "ServerKernel":
        """A kernel on a server not reachable yet (an SSH connection is being made): a new one
        of ``kernel_name``, or the running ``kernel_id``, once :meth:`use_server` gives the server,
        or dead with the reason :meth:`fail` gives."""
        return cls(None, kernel_id, kernel_name=kernel_name, owned=kernel_id is None,
                   spec_display_name=spec_display_name, where=where)

    def use_server(self, api: ServerApi) -> None:
        """The server is reachable now, through ``api``: start or attach the kernel."""
        if self.state is not Lifecycle.RUNNING or self.api is not None:
            return
        self.api, self.address = api, api.address
        self.ca_certificates = list(api.ca_certificates())
        if self._wanted_id:
            self.kernel_id = self._wanted_id
            self._call(api.kernel(self.kernel_id), self._on_described)
            self.located.emit(self.kernel_id)
        else:
            self._begin()

    def fail(self, reason: str) -> None:
        """The server could not be reached (its SSH connection failed): the kernel is dead."""
        self._die(reason, restart_hint=False)

    @property
    def _server(self) -> ServerApi:
        assert self.api is not None, "the kernel has no server yet"
        return self.api

    @property
    def reachable(self) -> bool:
        """The kernel has a server and an id: consoles can connect."""
        return self.api is not None and bool(self.kernel_id)

    def _begin(self) -> None:
        assert self.api is not None
        self._call(self._server.start_kernel(self._kernel_name), self._on_started)

    # -- description ---------------------------------------------------------------------------
    @property
    def owned(self) -> bool:
        return self._owned

    @property
    def kernel_name(self) -> str:
        return self._kernel_name

    @property
    def display_name(self) -> str:
        address = self.address
        if address is None or address.display_name != self.where:
            where = self.where  # an SSH host: what the user typed, not the local forward
        else:
            where = address.host if address.port in (80, 443) else address.host_and_port
        return f"{self._spec_display_name or self._kernel_name or 'kernel'} @ {where}"

    @property
    def place(self) -> str:
        return self.where

    def describe(self) -> list[str]:
        who = "started by Conch" if self._owned else "started elsewhere"
        lines = [f"Kernel on the server {self.where}, {who}"]
        if self.kernel_id:
            lines.append(f"Kernel id: {self.kernel_id}")
        return lines

    def reattach_hint(self) -> str:
        return f"File ▸ Connect to Server… lists it ({self.where})"

    @property
    def can_restart(self) -> bool:
        return not self._culled and self.api is not None

    @property
    def interrupt_mode(self) -> str:
        return "request"

    @property
    def link_status(self) -> KernelStatus | None:
        if self._culled:
            return KernelStatus.CULLED
        if self.state in (Lifecycle.DEAD, Lifecycle.CLOSED):
            return None
        if not self.kernel_id or not self._ever_open:
            return KernelStatus.CONNECTING
        if any(not link.open for link in self._links):
            return KernelStatus.RECONNECTING
        return None

    def link_detail(self) -> str:
        attempts = max((link.attempts for link in self._links if not link.open), default=0)
        if self.link_status is not KernelStatus.RECONNECTING or not attempts:
            return ""
        return f"attempt {attempts}, then every {BACKOFF[-1]:g} s"

    def has_run_code(self) -> bool:
        return not self._owned or self._answered

    def diagnose_silence(self, client: "KernelClient") -> str | None:
        if self.kernel_id and self._ever_open and not client.transport.kernel_seen:
            return (f"The server {self.where} is connected, but the kernel has not answered: "
                    "it may still be starting there.")
        return None

    def unresponsive_text(self) -> str:
        lost = next((link.last_lost for link in self._links if not link.open and link.last_lost), None)
        why = f" ({lost.text})" if lost is not None else ""
        return (f"The connection to {self.where} was lost{why}; reconnecting… "
                "The transcript and your input are kept.")

    def responsive_text(self) -> str:
        return f"Connected to {self.where} again; output sent meanwhile follows."

    # -- consoles ------------------------------------------------------------------------------
    def open_transport(self) -> tuple[Transport, Session]:
        session = Session()  # the server signs: no key here
        link = ServerLink(
            self, session, on_open=self._link_open, on_lost=self._link_lost, on_kernel_status=self._kernel_status
        )
        self._links.append(link)
        return link, session

    def detach(
        self, session: object, client: "KernelClient", on_done: Callable[[], object], *, keep: bool = False
    ) -> None:
        """A console leaves; the last one to leave a kernel Conch started deletes it on the
        server (unless ``keep``). ``on_done`` runs once that is answered (or at once)."""
        if session in self._sessions:
            self._sessions.remove(session)
        self._forget_link(client)
        if self._sessions:
            on_done()
            return
        owned_and_there = self._owned and self.kernel_id and not self._culled and not keep
        self._set_state(Lifecycle.CLOSED)

        def finish() -> None:
            on_done()
            self.closed.emit()

        def deleted() -> None:
            if self.after_close is None:
                finish()
            else:
                self.after_close(finish)  # e.g. stop the server Conch started over SSH, then say so

        if not owned_and_there:
            deleted()
            return
        self._call(self._server.shutdown_kernel(self.kernel_id), lambda _call: deleted())

    def shutdown_unattended(self) -> None:
        """Delete a kernel Conch started that no console shows any more."""
        if self._sessions or not self._owned or not self.kernel_id or self.state is Lifecycle.CLOSED:
            return
        self._set_state(Lifecycle.CLOSED)
        self._call(self._server.shutdown_kernel(self.kernel_id), lambda _call: self.closed.emit())

    # -- control -------------------------------------------------------------------------------
    def interrupt(self, client: "KernelClient") -> str:
        if self.kernel_id:
            self._call(self._server.interrupt(self.kernel_id), self._on_control_answer)
        return "request"

    def restart(self, client: "KernelClient") -> bool:
        if self.state in (Lifecycle.RESTARTING, Lifecycle.CLOSED) or self._culled or self.api is None:
            return False
        self._set_state(Lifecycle.RESTARTING)
        self.restarting.emit()  # the consoles close their links; new ones follow the restart
        self._links.clear()
        if not self.kernel_id:  # it never started: start one now
            self.dead_reason = None
            self._begin()
        else:
            self._call(self._server.restart(self.kernel_id), self._on_restarted)
        return True

    def mark_unresponsive(self) -> None:
        if self.state is Lifecycle.RUNNING and self.responsive:
            self.responsive = False
            self.responsiveness_changed.emit(False)

    # -- answers -------------------------------------------------------------------------------
    def _call(self, call: ApiCall[Any], then: Callable[[ApiCall[Any]], None]) -> None:
        self._calls.add(call)

        def finished() -> None:
            self._calls.discard(call)
            then(call)

        call.finished.connect(finished)

    def _on_started(self, call: ApiCall[Any]) -> None:
        if self.state is Lifecycle.CLOSED:
            if call.result is not None:  # closed while starting: do not leave it behind
                self._call(self._server.shutdown_kernel(call.result.id), lambda _c: None)
            return
        if call.error is not None or call.result is None:
            self._die(f"Could not start a “{self._kernel_name}” kernel on {self.where}: {call.error}")
            return
        self.kernel_id = call.result.id
        was_restarting = self.state is Lifecycle.RESTARTING
        self._set_state(Lifecycle.RUNNING)
        self.located.emit(self.kernel_id)
        if was_restarting:
            self.restarted.emit({})

    def _on_described(self, call: ApiCall[Any]) -> None:
        if call.result is not None and not self._kernel_name:
            self._kernel_name = call.result.name
            self.state_changed.emit(self.state)  # titles name it now
        elif call.error is not None and call.error.kind is ServerErrorKind.NO_SUCH_KERNEL:
            self._cull(str(call.error))

    def _on_control_answer(self, call: ApiCall[Any]) -> None:
        if call.error is not None:
            if call.error.kind is ServerErrorKind.NO_SUCH_KERNEL:
                self._cull(str(call.error))
            else:
                log.warning("kernel %s: %s", self.kernel_id, call.error)

    def _on_restarted(self, call: ApiCall[Any]) -> None:
        if self.state is Lifecycle.CLOSED:
            return
        if call.error is not None:
            if call.error.kind is ServerErrorKind.NO_SUCH_KERNEL:
                self._cull(str(call.error))
            else:
                self._die(f"Restart failed: {call.error}")
            return
        self.responsive = True
        self._set_state(Lifecycle.RUNNING)
        self.restarted.emit({})

    # -- links ---------------------------------------------------------------------------------
    def _link_open(self, link: ServerLink) -> None:
        first = not self._ever_open
        self._ever_open = True
        if all(other.open for other in self._links):
            self.mark_responsive()
        if first:
            self.state_changed.emit(self.state)  # CONNECTING is over

    def _link_lost(self, link: ServerLink, lost: ConnectionLost) -> bool:
        """What a lost connection means; True: try again later."""
        if self.state is not Lifecycle.RUNNING:
            return False
        if lost.reason is LostReason.HTTP_STATUS and lost.http_status == 404:
            self._call(self._server.kernel(self.kernel_id), self._check_gone)
            return False
        if lost.reason is LostReason.HTTP_STATUS and lost.http_status in (401, 403):
            self._die(f"{lost.text} Check the token (`jupyter server list` shows it), then Kernel ▸ Restart.",
                      restart_hint=False)
            return False
        if lost.reason is LostReason.TLS:
            self._die(f"{lost.text}", restart_hint=False)
            return False
        self.mark_unresponsive()
        self.state_changed.emit(self.state)  # RECONNECTING
        return True

    def _check_gone(self, call: ApiCall[Any]) -> None:
        if call.error is not None and call.error.kind is ServerErrorKind.NO_SUCH_KERNEL:
            self._cull(str(call.error))
        else:  # it is there after all (a server restarting?): keep trying
            for link in self._links:
                if not link.open:
                    link.retry_later()

    def _kernel_status(self, state: str) -> None:
        """The server's own word on the kernel process (iopub ``status``)."""
        if state == "dead":
            self._die(f"The kernel died on {self.where} and its server could not restart it.")
        elif state == "restarting" and self.state is Lifecycle.RUNNING:
            log.info("kernel %s: the server is restarting it", self.kernel_id)
            self.restarted_in_place.emit(
                f"The kernel died on {self.where}, and its server is starting it again: "
                "what was defined in it is gone."
            )
            # The server's connection to the old process does not carry over: consoles
            # connect again once the server says the new one is up.
            self._set_state(Lifecycle.RESTARTING)
            self.restarting.emit()
            self._links.clear()
            self._restart_checks = RESTART_CHECKS
            self._check_restarted()
        elif state == "shutdown" and self.state is Lifecycle.RUNNING and self.kernel_id:
            self._call(self._server.kernel(self.kernel_id), self._check_gone)

    def _check_restarted(self) -> None:
        if self.state is not Lifecycle.RESTARTING:
            return
        self._call(self._server.kernel(self.kernel_id), self._on_restart_checked)

    def _on_restart_checked(self, call: ApiCall[Any]) -> None:
        if self.state is not Lifecycle.RESTARTING:
            return
        if call.error is not None and call.error.kind is ServerErrorKind.NO_SUCH_KERNEL:
            self._cull(str(call.error))
            return
        up = call.result is not None and call.result.execution_state not in ("starting", "restarting")
        self._restart_checks -= 1
        if up or self._restart_checks <= 0:
            self.responsive = True
            self._set_state(Lifecycle.RUNNING)
            self.restarted.emit({})
        else:
            QTimer.singleShot(RESTART_CHECK_MS, self._check_restarted)

    def _cull(self, reason: str) -> None:
        if self._culled:
            return
        self._culled = True
        self._die(f"{reason} The transcript is kept; File ▸ Connect to Server… starts or picks another kernel.",
                  restart_hint=False)

    def _die(self, reason: str, *, restart_hint: bool = True) -> None:
        if self.state in (Lifecycle.DEAD, Lifecycle.CLOSED):
            return
        if restart_hint and not self._culled:
            reason += " Kernel ▸ Restart tries again."
        self.dead_reason = reason
        for link in self._links:
            link.close()
        self._set_state(Lifecycle.DEAD)
        log.info("kernel %s: %s", self.kernel_id or self._kernel_name, reason)
        self.died.emit(reason)

    def _forget_link(self, client: "KernelClient") -> None:
        self._links = [link for link in self._links if link is not client.transport]
