"""A tab's content: a console once its kernel is there, or a message saying why not."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedLayout, QVBoxLayout, QWidget

from conch.app.kernel.status import KernelStatus
from conch.widgets.kernel_banner import KernelBanner
from conch.widgets.status_look import look

if TYPE_CHECKING:  # the console pulls in jupyter_client: imported when a kernel starts
    from conch.app.kernel.launcher import LocalKernelProcess
    from conch.app.kernel_session import Kernel, KernelSession
    from conch.app.session_memory import TabRecord
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
    status_retracted = Signal(str)
    """A message sent earlier no longer holds."""
    exit_requested = Signal(bool)
    """The user ran ``exit`` (or the kernel asked to close): carries ``keep_kernel``."""
    close_requested = Signal()
    """The user asked (in the banner) to close this tab."""
    zoom_requested = Signal(int)
    """The user zoomed this tab's console (Ctrl+wheel): carries the new zoom step."""

    def __init__(
        self,
        kernel_name: str = "python3",
        parent: QWidget | None = None,
        *,
        launched: "tuple[LocalKernelProcess, dict[str, Any]] | None" = None,
        kernel: "Kernel | None" = None,
        connection_file: Path | None = None,
        settings: "Settings | None" = None,
        origin: "TabRecord | None" = None,
    ) -> None:
        super().__init__(parent)
        from conch.app.session_memory import TabRecord

        self.origin = origin or (
            TabRecord("connection_file", path=str(connection_file)) if connection_file else TabRecord("local")
        )
        """Where the tab's kernel came from, to open a tab like it next time (see ``conch.app.window_session``)."""
        self.kernel_name = kernel_name
        self._launched = launched
        self._shared = kernel
        self._connection_file = connection_file
        self._settings = settings
        self.custom_title: str | None = None
        """A name the user gave the tab (None: named after its kernel)."""
        self.kernel_number = 0
        """Which of the window's kernels with this display name it shows (1, 2, ...; 0: not yet)."""
        self.console_number = 0
        """Which of the window's tabs on this kernel it is (1, 2, ...; 0: not yet)."""
        self.shared = False
        """Another tab in the window shows the same kernel."""
        self.console: "ConsoleWidget | None" = None
        self.zoom = 0
        """The console's zoom step (the window's: every tab of a window shows the same size)."""
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

    def apply_settings(self, settings: "Settings") -> None:
        """New settings (from Edit ▸ Preferences): the console takes them now (scrollback,
        automatic restarts), a console not yet started when it starts."""
        self._settings = settings
        if self.console is not None:
            self.console.apply_settings(settings)

    def set_zoom(self, step: int) -> None:
        """Show the console at zoom ``step`` (now, or once it exists)."""
        self.zoom = step
        if self.console is not None:
            self.console.look.set_zoom(step)

    def start(self) -> None:
        try:
            self._start()
        except Exception as error:  # noqa: BLE001 - shown in the tab; the window must not hang
            log.exception("could not open the console for %s", self.kernel_name)
            self._show_error(f"Could not open a console for “{self.kernel_name}”: {error!r}")

    def _show_error(self, text: str) -> None:
        self.error = text
        self._message.setText(text)
        self._message.setProperty("role", "error")  # coloured by the theme's stylesheet
        self._message.setStyleSheet("padding: 24px;")
        self.state_changed.emit()

    def _start(self) -> None:
        from conch.app.kernel.connection_files import ConnectionFileError
        from conch.app.kernel.launcher import KernelLaunchError, KernelSpecNotFound
        from conch.app.embedding import session_for_launched, start_kernel
        from conch.app.kernel_session import KernelSession
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
        self.console.status_retracted.connect(self.status_retracted)
        self.console.exit_requested.connect(self.exit_requested)
        self.console.look.set_zoom(self.zoom)
        self.console.look.zoom_changed.connect(self._on_zoomed)
        self._stack.addWidget(self.console)
        self._stack.setCurrentWidget(self.console)
        self.console.editor.setFocus()
        session.status_changed.connect(self._on_status)
        session.execution_finished.connect(lambda _msg_id: self.state_changed.emit())  # its duration
        session.died.connect(self._on_died)
        session.trouble.connect(self._on_trouble)
        session.exited.connect(self._on_exited)
        self.banner.acted.connect(self.focus_editor)
        self.state_changed.emit()

    def _on_zoomed(self, step: int) -> None:
        if step != self.zoom:
            self.zoom = step
            self.zoom_requested.emit(step)

    def focus_editor(self) -> None:
        """Put the keyboard focus in this tab's input editor (when it has a console)."""
        if self.console is not None:
            self.console.editor.setFocus()

    # -- state ---------------------------------------------------------------------------------
    @property
    def status(self) -> KernelStatus:
        """The state of the tab's kernel (ERROR: no kernel could be opened)."""
        if self.error is not None:
            return KernelStatus.ERROR
        session = self.session
        return KernelStatus.STARTING if session is None else session.status

    def title(self) -> str:
        """The tab's text: its name (a number tells kernels of one kind apart, and tabs on one
        kernel), a ⇄ when another tab shares its kernel, and the state when it is not running."""
        session = self.session
        name = self.custom_title or (session.kernel.display_name if session is not None else self.kernel_name)
        if not self.custom_title:
            name += f" #{self.kernel_number}" if self.kernel_number > 1 else ""
            name += f" ({self.console_number})" if self.shared and self.console_number > 1 else ""
        if self.shared:
            name = f"⇄ {name}"
        status = self.status
        if status.ready:
            return name
        return f"{name} ({look(status, exited=session is not None and session.exited_on_request).word})"

    def tooltip(self) -> str:
        """Names the kernel behind the tab, and who else shows it."""
        session = self.session
        lines = [self.status_text()]
        if session is not None:
            kernel = session.kernel
            lines += kernel.describe()
            if self.shared:
                lines.append(f"Shared by {kernel.console_count} tabs: each shows what the others run")
        return "\n".join(lines)

    def status_text(self) -> str:
        session = self.session
        name = session.kernel.display_name if session is not None else self.kernel_name
        status = self.status
        if status is KernelStatus.ERROR:
            return f"{name}: {look(status).word}"
        if session is None or status is not KernelStatus.BUSY:
            text = f"{name}: {look(status, exited=session is not None and session.exited_on_request).word}"
            detail = session.kernel.link_detail() if session is not None else ""
            text += f" ({detail})" if detail else ""
        else:
            running = session.running_for
            text = f"{name}: busy" + (f", running {running:.1f} s" if running is not None else "")
        if session is not None and session.last_duration is not None:
            text += f" · last run took {session.last_duration:.2f} s"
        return text

    def _on_status(self, status: KernelStatus) -> None:
        session = self.session
        if status.ready and self.banner.level == "error":
            self.banner.clear()  # restarted, or responding again
        elif status is KernelStatus.UNRESPONSIVE and session is not None:
            actions = [("Restart", self.restart)] if session.kernel.can_restart else []
            self.banner.show_message(session.unresponsive_text(), "error", actions)
        self.state_changed.emit()

    def _on_died(self, reason: str) -> None:
        session = self.session
        if session is None:
            return
        actions = [("Restart", self.restart)] if session.kernel.can_restart and "automatically (" not in reason else []
        self.banner.show_message(reason, "error", actions)
        self.state_changed.emit()

    def _on_exited(self, reason: str) -> None:
        actions = [("Restart", self.restart), ("Close Tab", self.close_requested.emit)]
        self.banner.show_message(reason, "info", actions)
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

    def shutdown(self, keep_kernel: bool = False) -> None:
        """Leave the kernel without waiting (shutting it down if this tab launched it and no
        other tab shows it, unless ``keep_kernel``); :attr:`closed` follows."""
        session = self.session
        if session is None:
            self.closed.emit()
            return
        session.closed.connect(self._on_session_closed)  # a method: never called once the tab is gone
        session.shutdown(keep_kernel=keep_kernel)

    def _on_session_closed(self) -> None:
        self.closed.emit()

    @property
    def running_code(self) -> bool:
        """The tab's kernel is running code (this tab's, or another client's), not just
        answering a completion or help request."""
        session = self.session
        return session is not None and session.running_code()
