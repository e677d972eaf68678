"""A tab's content: a console once its kernel is there, or a message saying why not."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedLayout, QVBoxLayout, QWidget

from conch.widgets.kernel_banner import KernelBanner

if TYPE_CHECKING:  # the console pulls in jupyter_client: imported when a kernel starts
    from conch.app.kernel.launcher import LocalKernelProcess
    from conch.app.kernel_session import KernelSession
    from conch.app.running_kernel import RunningKernel
    from conch.app.settings import Settings
    from conch.widgets.console import ConsoleWidget


log = logging.getLogger(__name__)


class KernelTab(QWidget):
    """Connects a console (when :meth:`start` is called) and shows it.

    The kernel comes from one of: a kernelspec name to launch; ``launched``, a process
    already spawned (the first tab gets it so the kernel boots while the window is built);
    ``kernel``, a kernel another tab shows (a second console on it); or ``connection_file``,
    a kernel someone else started. A failure to open it is shown in the tab; trouble later
    (death, silence, a wrong key) appears in a banner above the console with what to do.
    """

    state_changed = Signal()
    """The tab's title or kernel state changed."""
    closed = Signal()
    """After :meth:`shutdown`: the tab's connection is closed (and a kernel only it used is gone)."""
    status_message = Signal(str)
    """A message from the console for the status bar."""
    exit_requested = Signal()
    """The kernel asked to close this tab (the user ran ``exit``)."""
    close_requested = Signal()
    """The user asked (in the banner) to close this tab."""

    def __init__(
        self,
        kernel_name: str = "python3",
        parent: QWidget | None = None,
        *,
        launched: "tuple[LocalKernelProcess, dict[str, Any]] | None" = None,
        kernel: "RunningKernel | None" = None,
        connection_file: Path | None = None,
        settings: "Settings | None" = None,
    ) -> None:
        super().__init__(parent)
        self.kernel_name = kernel_name
        self._launched = launched
        self._shared = kernel
        self._connection_file = connection_file
        self._settings = settings
        self.custom_title: str | None = None
        """A name the user gave the tab (None: named after its kernel)."""
        self.console: "ConsoleWidget | None" = None
        self.error: str | None = None
        what = f"kernel {connection_file}" if connection_file else f"kernel “{kernel_name}”"
        self._message = QLabel(f"Starting {what}…", self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = KernelBanner(self)
        self._stack = QStackedLayout()
        self._stack.addWidget(self._message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addLayout(self._stack, 1)

    @property
    def session(self) -> "KernelSession | None":
        return self.console.kernel if self.console is not None else None

    def start(self) -> None:
        try:
            self._start()
        except Exception as error:  # noqa: BLE001 - shown in the tab; the window must not hang
            log.exception("could not open the console for %s", self.kernel_name)
            self._show_error(f"Could not open a console for “{self.kernel_name}”: {error!r}")

    def _show_error(self, text: str) -> None:
        self.error = text
        self._message.setText(text)
        self._message.setStyleSheet("color: #b3261e; padding: 24px;")
        self.state_changed.emit()

    def _start(self) -> None:
        from conch.app.kernel.connection_files import ConnectionFileError
        from conch.app.kernel.launcher import KernelLaunchError, KernelSpecNotFound
        from conch.app.kernel_session import KernelSession, session_for_launched, start_kernel
        from conch.app.running_kernel import RunningKernel
        from conch.widgets.console import ConsoleWidget

        try:
            if self._shared is not None:
                session = KernelSession(self._shared)
            elif self._connection_file is not None:
                session = KernelSession(RunningKernel.from_connection_file(self._connection_file))
            elif self._launched is not None:
                session = session_for_launched(*self._launched)
            else:
                session = start_kernel(self.kernel_name)
        except (KernelSpecNotFound, KernelLaunchError, ConnectionFileError) as error:
            self._show_error(str(error))
            return
        finally:
            self._launched = self._shared = None
        self.kernel_name = session.kernel.kernel_name or self.kernel_name
        self.console = ConsoleWidget(session, self, settings=self._settings)
        self.console.status_message.connect(self.status_message)
        self.console.exit_requested.connect(lambda _keep: self.exit_requested.emit())
        self._stack.addWidget(self.console)
        self._stack.setCurrentWidget(self.console)
        self.console.editor.setFocus()
        session.status_changed.connect(self._on_status)
        session.execution_finished.connect(lambda _msg_id: self.state_changed.emit())  # its duration
        session.died.connect(self._on_died)
        session.trouble.connect(self._on_trouble)
        self.state_changed.emit()

    # -- state ---------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """"starting", "idle", "busy", "dead", or "error" (no kernel could be opened)."""
        if self.error is not None:
            return "error"
        session = self.session
        return "starting" if session is None else session.status

    def title(self) -> str:
        session = self.session
        name = self.custom_title or (session.kernel.display_name if session is not None else self.kernel_name)
        status = self.status
        shown = {"error": "no kernel", "unresponsive": "not responding"}.get(status, status)
        return name if status in ("idle", "busy") else f"{name} ({shown})"

    def status_text(self) -> str:
        session = self.session
        name = session.kernel.display_name if session is not None else self.kernel_name
        status = self.status
        if status == "error":
            return f"{name}: no kernel"
        if session is None or status != "busy":
            text = f"{name}: {status}"
        else:
            running = session.running_for
            text = f"{name}: busy" + (f", running {running:.1f} s" if running is not None else "")
        if session is not None and session.last_duration is not None:
            text += f" · last run took {session.last_duration:.2f} s"
        return text

    def _on_status(self, status: str) -> None:
        session = self.session
        if status in ("idle", "busy") and self.banner.level == "error":
            self.banner.clear()  # restarted, or responding again
        elif status == "unresponsive" and session is not None:
            actions = [("Restart", self.restart)] if session.kernel.owned else []
            self.banner.show_message(session.unresponsive_text(), "error", actions)
        self.state_changed.emit()

    def _on_died(self, reason: str) -> None:
        session = self.session
        if session is None:
            return
        actions = [("Restart", self.restart)] if session.kernel.owned and "automatically (" not in reason else []
        self.banner.show_message(reason, "error", actions)
        self.state_changed.emit()

    def _on_trouble(self, text: str) -> None:
        if not text:
            if self.banner.level == "warning":
                self.banner.clear()
            return
        session = self.session
        actions = [("Keep Waiting", session.keep_waiting)] if session is not None else []
        actions.append(("Close Tab", self.close_requested.emit))
        self.banner.show_message(text, "warning", actions)

    # -- kernel operations ---------------------------------------------------------------------
    def interrupt(self) -> None:
        if self.console is not None:
            self.console.interrupt()

    def restart(self, clear: bool = False) -> None:
        session = self.session
        if session is not None:
            self.banner.clear()
            if not session.restart(clear=clear):
                self.status_message.emit("The kernel is already restarting.")

    def shutdown(self) -> None:
        """Leave the kernel without waiting (shutting it down if this tab launched it and no
        other tab shows it); :attr:`closed` follows."""
        session = self.session
        if session is None:
            self.closed.emit()
            return
        session.closed.connect(self.closed.emit)
        session.shutdown()
