"""What Enter does: run the input, or start a new line, as the kernel's ``is_complete`` says."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QTextCursor

from conch.app.kernel.status import KernelStatus
from conch.widgets.status_look import look

if TYPE_CHECKING:
    from conch.app.kernel_session import KernelSession
    from conch.widgets.input_editor import InputEditor

IS_COMPLETE_TIMEOUT_MS = 1000
_PARAGRAPH = "\u2029"  # how QTextDocument stores a line break


class EnterController(QObject):
    """Decides Enter for one editor, without ever blocking or dropping a key.

    Enter at the end of the input puts a line break there at once and marks it *pending*;
    the user can go on typing. The kernel then decides each pending break, oldest first,
    on the text before it:

    - ``complete`` / ``invalid`` / ``unknown`` → that text runs (and leaves the editor; what
      was typed after the break stays); ``invalid`` code gets its error from the kernel.
    - ``incomplete`` → the break stays and gets the kernel's indent.
    - No answer within 1 s → the breaks stay as plain new lines and :attr:`status_message`
      says why.

    A busy or starting kernel cannot answer, so breaks wait for it to be free (the prompt
    shows "queued"; Esc makes them plain new lines). Enter inside a multi-line input (with
    text after the cursor) only starts a new line. Empty (or blank) input runs nothing, as in
    IPython: Enter on it just leaves a fresh prompt.
    """

    status_message = Signal(str)
    """Something the user should know (shown in the status bar)."""
    status_retracted = Signal(str)
    """A message sent earlier no longer describes the present (the kernel is free again)."""
    queued_changed = Signal(bool)
    """Pending Enters wait for a busy kernel (True), or no longer (False)."""

    def __init__(
        self,
        editor: "InputEditor",
        kernel: "KernelSession",
        run: Callable[[str], object],
        timeout_ms: int = IS_COMPLETE_TIMEOUT_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._editor = editor
        self._kernel = kernel
        self._run = run
        self._pending: list[QTextCursor] = []  # each at a line break Enter inserted
        self._asked: tuple[str, QTextCursor, str] | None = None  # (msg_id, pending break, code asked about)
        self._queued = False
        self._state_message = ""  # the status message that holds only while the kernel is in its state
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self._on_timeout)
        editor.set_action("execute", self.enter)
        editor.set_action("execute_now", self.run_now)
        kernel.status_changed.connect(self._on_status)
        kernel.execution_finished.connect(self._decide_next)

    @property
    def queued(self) -> bool:
        """Pending Enters are waiting for the kernel to be free."""
        return self._queued

    @property
    def pending(self) -> int:
        """How many Enters are not decided yet."""
        return len(self._pending)

    # -- actions -------------------------------------------------------------------------------
    def enter(self) -> bool:
        editor = self._editor
        code = editor.code()
        cursor = editor.textCursor()
        if code[editor.code_point():].strip() and "\n" in code:
            editor.insert_newline()  # editing inside a multi-line input
            return True
        if not code.strip() and not self._pending:
            editor.clear()  # nothing to run: the prompt stays as it is
            return True
        if self._kernel.status.gone:
            self._say_state(f"{look(self._kernel.status).waiting} Your input is kept.")
            return True
        cursor.clearSelection()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText("\n")
        editor.setTextCursor(cursor)
        mark = QTextCursor(editor.document())
        mark.setPosition(cursor.position() - 1)  # on the break (inserting after it leaves it there)
        self._pending.append(mark)
        self._decide_next()
        return True

    def run_now(self) -> bool:
        """Shift+Enter: run whatever is in the editor without asking the kernel."""
        self._forget_pending()
        if not self._editor.code().strip():
            self._editor.clear()
            return True
        self._submit(self._editor.code(), self._editor.document().characterCount())
        return True

    def cancel(self) -> bool:
        """Esc: pending Enters waiting for a busy kernel become plain new lines."""
        if not self._queued:
            return False
        self._forget_pending()
        self.status_message.emit("Queued run cancelled; the input stays in the editor.")
        return True

    # -- deciding ------------------------------------------------------------------------------
    def _decide_next(self, *_: object) -> None:
        if self._asked is not None:
            return
        self._pending = [mark for mark in self._pending if _is_break(mark)]
        if not self._pending:
            self._set_queued(False)
            return
        kernel = self._kernel
        if kernel.status.gone:
            self._forget_pending()
            self._say_state(f"{look(kernel.status).waiting} Your input is kept.")
            return
        mark = self._pending[0]
        code = self._editor.text_before(mark.position())
        if not code.strip():
            # Nothing before this break: drop the blank text and the break, run nothing.
            self._pending.pop(0)
            self._cut(mark.position() + 1)
            self._decide_next()
            return
        if kernel.status is not KernelStatus.IDLE or kernel.is_busy():
            self._set_queued(True)
            return
        msg_id = kernel.is_complete(code, self._on_reply)
        if msg_id is None:
            self._set_queued(True)
            return
        self._set_queued(False)
        self._asked = (msg_id, mark, code)
        self._timer.start()

    def _on_reply(self, reply: dict[str, Any]) -> None:
        if self._asked is None or reply.get("parent_header", {}).get("msg_id") != self._asked[0]:
            return  # answered after the timeout: the line break already stayed
        _, mark, asked = self._asked
        self._asked = None
        self._timer.stop()
        if mark not in self._pending or not _is_break(mark):
            self._decide_next()
            return
        code = self._editor.text_before(mark.position())
        if code != asked:  # edited above the break meanwhile: ask about the new text
            self._decide_next()
            return
        self._pending.remove(mark)
        if reply.get("content", {}).get("status") == "incomplete":
            indent = reply.get("content", {}).get("indent")
            self._indent_after(mark, indent if isinstance(indent, str) else "")
        else:
            self._submit(code, mark.position() + 1)
        self._decide_next()

    def _on_timeout(self) -> None:
        if self._asked is None:
            return
        self._asked = None
        self._forget_pending()
        self.status_message.emit(
            "The kernel did not say within 1 s whether the input is complete, so Enter started "
            "a new line. Shift+Enter runs the input now."
        )

    def _indent_after(self, mark: QTextCursor, indent: str) -> None:
        line = QTextCursor(mark)
        line.movePosition(QTextCursor.MoveOperation.NextCharacter)
        if indent and not line.block().text()[:1].isspace():
            line.insertText(indent)

    def _forget_pending(self) -> None:
        self._pending.clear()
        self._asked = None
        self._timer.stop()
        self._set_queued(False)

    def _set_queued(self, queued: bool) -> None:
        if queued:
            status = self._kernel.status
            self._say_state(look(status if status.waiting else KernelStatus.BUSY).waiting)
        elif self._queued:
            self._retract_state()
        if queued != self._queued:
            self._queued = queued
            self.queued_changed.emit(queued)

    def _on_status(self, status: KernelStatus) -> None:
        if status.ready and self._state_message and not self._pending:
            self._retract_state()  # e.g. "dead" said before a restart
        self._decide_next()

    def _say_state(self, text: str) -> None:
        """Say something that holds only while the kernel stays in its present state."""
        if text != self._state_message:
            self._retract_state()
            self._state_message = text
            self.status_message.emit(text)

    def _retract_state(self) -> None:
        if self._state_message:
            text, self._state_message = self._state_message, ""
            self.status_retracted.emit(text)

    def _submit(self, code: str, end: int) -> None:
        """Run ``code`` and remove it (up to UTF-16 position ``end``) from the editor."""
        if not self._kernel.accepts_requests:
            status = self._kernel.status
            why = look(status).waiting if status.gone else "The kernel is restarting."
            self._forget_pending()
            self.status_message.emit(f"Not run: {why} Your input is kept.")
            return
        self._cut(end)
        self._run(code.rstrip())

    def _cut(self, end: int) -> None:
        """Remove the editor's text up to UTF-16 position ``end``."""
        cut = QTextCursor(self._editor.document())
        cut.setPosition(min(end, self._editor.document().characterCount() - 1), QTextCursor.MoveMode.KeepAnchor)
        cut.removeSelectedText()


def _is_break(mark: QTextCursor) -> bool:
    return mark.document().characterAt(mark.position()) == _PARAGRAPH
