"""A tab's content: a console once its kernel is launched, or a message saying why not."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

if TYPE_CHECKING:  # the console pulls in jupyter_client: imported when a kernel starts
    from conch.app.kernel.launcher import LocalKernelProcess
    from conch.app.settings import Settings
    from conch.widgets.console import ConsoleWidget


log = logging.getLogger(__name__)


class KernelTab(QWidget):
    """Launches a kernel (when :meth:`start` is called) and shows its console.

    ``launched`` is a kernel process already spawned (with its connection info), which the
    first tab gets so the kernel boots while the window is being built. A launch failure
    (unknown kernelspec, missing executable) is shown in the tab.
    """

    state_changed = Signal()
    """The tab's title or kernel state changed."""
    closed = Signal()
    """After :meth:`shutdown`: the tab's kernel (if it launched one) is gone."""
    status_message = Signal(str)
    """A message from the console for the status bar."""
    exit_requested = Signal()
    """The kernel asked to close this tab (the user ran ``exit``)."""

    def __init__(
        self,
        kernel_name: str,
        parent: QWidget | None = None,
        *,
        launched: "tuple[LocalKernelProcess, dict[str, Any]] | None" = None,
        settings: "Settings | None" = None,
    ) -> None:
        super().__init__(parent)
        self.kernel_name = kernel_name
        self._settings = settings
        self._launched = launched
        self.console: "ConsoleWidget | None" = None
        self.error: str | None = None
        self._message = QLabel(f"Starting kernel “{kernel_name}”…", self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._message)

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
        from conch.app.kernel.launcher import KernelLaunchError, KernelSpecNotFound
        from conch.app.kernel_session import session_for_launched, start_kernel
        from conch.widgets.console import ConsoleWidget

        try:
            if self._launched is not None:
                session = session_for_launched(*self._launched)
                self._launched = None
            else:
                session = start_kernel(self.kernel_name)
        except (KernelSpecNotFound, KernelLaunchError) as error:
            self._show_error(str(error))
            return
        self.console = ConsoleWidget(session, self, settings=self._settings)
        self.console.status_message.connect(self.status_message)
        self.console.exit_requested.connect(lambda _keep: self.exit_requested.emit())
        self._stack.addWidget(self.console)
        self._stack.setCurrentWidget(self.console)
        self.console.editor.setFocus()
        session.status_changed.connect(lambda _: self.state_changed.emit())
        self.state_changed.emit()

    def title(self) -> str:
        if self.console is None:
            return self.kernel_name
        status = self.console.kernel.status
        return self.kernel_name if status in ("idle", "busy") else f"{self.kernel_name} ({status})"

    def status_text(self) -> str:
        if self.error is not None:
            return f"{self.kernel_name}: no kernel"
        if self.console is None:
            return f"{self.kernel_name}: starting"
        return f"{self.kernel_name}: {self.console.kernel.status}"

    def interrupt(self) -> None:
        if self.console is not None:
            self.console.kernel.interrupt()

    def restart(self) -> None:
        if self.console is not None:
            self.console.kernel.restart()

    def shutdown(self) -> None:
        """Shut the kernel down without waiting; :attr:`closed` follows."""
        if self.console is None:
            self.closed.emit()
            return
        self.console.kernel.closed.connect(self.closed.emit)
        self.console.kernel.shutdown()
