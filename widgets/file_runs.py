"""Scripts run in a console with ``%run`` (File ▸ Run File…, a dropped ``.py``), and the drop
handling that starts them."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from conch.app.kernel.status import KernelStatus
from conch.app.run_file import RunFileError, is_runnable_name, run_command, unreadable_reason

if TYPE_CHECKING:
    from conch.widgets.console import ConsoleWidget

DROP_REFUSED = "Only .py and .ipy files can be dropped here; they run in the tab's kernel (%run)."


class FileRunner(QObject):
    """Runs files in one console, as if ``%run <path>`` had been typed: a cell in the transcript,
    an entry in the history. While the kernel is busy or starting, runs wait their turn in order,
    as typed input does."""

    def __init__(self, console: "ConsoleWidget") -> None:
        super().__init__(console)
        self._console = console
        self._queue: list[str] = []
        console.kernel.execution_finished.connect(self._run_queued)
        console.kernel.status_changed.connect(self._run_queued)
        console.kernel.ready.connect(self._run_queued)

    @property
    def queued(self) -> list[str]:
        """Paths waiting for the kernel to be free, oldest first."""
        return list(self._queue)

    def run(self, path: str) -> str:
        """Run the file at ``path`` now, or once the kernel is free. Returns the msg_id ("" when
        queued or refused; a refusal is said in the transcript and the status bar, and the
        editor's text is untouched)."""
        if not self._can_run_now():
            if self._refuse_unreadable(path):
                return ""
            self._queue.append(path)
            self._console.status_message.emit(f"Run File: {path} runs when the kernel is free.")
            return ""
        return self._run_now(path)

    def _can_run_now(self) -> bool:
        kernel = self._console.kernel
        return (
            not self._queue and kernel.status is KernelStatus.IDLE and not kernel.is_busy()
            and kernel.client.kernel_info is not None
        )

    def _run_now(self, path: str) -> str:
        if self._refuse_unreadable(path):
            return ""
        try:
            command = run_command(path, self._console.kernel.client.kernel_info)
        except RunFileError as error:
            self._say(str(error))
            return ""
        return self._console.execute(command.code)

    def _run_queued(self, *_: object) -> None:
        kernel = self._console.kernel
        while self._queue and kernel.status is KernelStatus.IDLE and not kernel.is_busy() \
                and kernel.client.kernel_info is not None:
            if self._run_now(self._queue.pop(0)):
                return  # the next one waits for this one to finish
        if self._queue and kernel.status.gone:
            dropped, self._queue = self._queue, []
            self._say(f"Not run (the kernel is gone): {', '.join(dropped)}")

    def _refuse_unreadable(self, path: str) -> bool:
        reason = unreadable_reason(path)
        if reason is not None:
            self._say(reason)
        return reason is not None

    def _say(self, text: str) -> None:
        self._console.kernel.transcript.add_notice(text, "error")
        self._console.status_message.emit(text)


def dropped_files(mime: QMimeData) -> list[str] | None:
    """The local files a drag carries (None if it carries none: text, web links)."""
    if not mime.hasUrls():
        return None
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return paths or None


class FileDropFilter(QObject):
    """Accepts drops of local ``.py``/``.ipy`` files on the widgets it watches and hands each path
    to ``run``; refuses other files (no drop cursor); leaves everything else (text dropped into
    the editor) to the widget."""

    def __init__(self, run: Callable[[str], object], refused: Callable[[str], object] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run = run
        self._refused = refused

    def watch(self, widget: QWidget) -> None:
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        assert isinstance(event, (QDragEnterEvent, QDragMoveEvent, QDropEvent))
        paths = dropped_files(event.mimeData())
        if paths is None:
            return False  # text and the like: the widget's own drop handling
        if not all(is_runnable_name(path) for path in paths):
            event.ignore()
            if kind is QEvent.Type.DragEnter and self._refused is not None:
                self._refused(DROP_REFUSED)
            return True
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if kind is QEvent.Type.Drop:
            for path in paths:
                self._run(path)
        return True
