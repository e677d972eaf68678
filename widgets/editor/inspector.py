"""Help for the name at the cursor: Shift+Tab, or typing ``(`` after a name."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, QRect, Signal
from PySide6.QtGui import QTextCursor

from conch.app.model.payloads import Page
from conch.widgets.editor.calltip import CallTip

if TYPE_CHECKING:
    from conch.app.kernel_session import KernelSession
    from conch.widgets.input_editor import InputEditor


class Inspector(QObject):
    """Sends ``inspect_request`` and shows the reply in a :class:`CallTip`.

    The tip closes on Esc, when the cursor leaves the call (moves before its ``(`` or past
    its closing ``)``) or the line, and when the input is run. Shift+Tab while a tip is open
    shows the whole text in the pager (``open_page``).
    """

    status_message = Signal(str)
    """Something the user should know (no help found, kernel unavailable)."""

    def __init__(
        self,
        editor: "InputEditor",
        kernel: "KernelSession",
        tip: CallTip,
        open_page: Callable[[Page], None],
    ) -> None:
        super().__init__(editor)
        self._editor = editor
        self._kernel = kernel
        self.tip = tip
        self._open_page = open_page
        self._request: tuple[str, str, int, bool] | None = None  # (msg_id, code, position, explicit)
        self._anchor_position = 0  # where the tip's call starts (UTF-16), e.g. just after "("
        editor.set_action("inspect", self.inspect)
        editor.typed.connect(self._on_typed)
        editor.cursorPositionChanged.connect(self._follow_cursor)

    def inspect(self) -> bool:
        """Shift+Tab: help for the name at the cursor (the pager if the tip is already open)."""
        if self.tip.isVisible() and self.tip.full_text:
            self._open_page(Page({"text/plain": self.tip.full_text}))
            self.close()
            return True
        self._ask(explicit=True)
        return True

    def close(self) -> bool:
        """Hide the tip; False if it was not shown."""
        self._request = None
        if not self.tip.isVisible():
            return False
        self.tip.hide()
        return True

    def _on_typed(self, text: str) -> None:
        if text != "(":
            return
        line = self._editor.line_before_cursor()[:-1].rstrip()
        if line and (line[-1].isidentifier() or line[-1].isdigit() or line[-1] in ")]"):
            self._ask(explicit=False)

    def _ask(self, explicit: bool) -> None:
        code = self._editor.code()
        position = self._editor.textCursor().position()
        msg_id = self._kernel.inspect(code, self._editor.code_point(position), self._on_reply)
        if msg_id is None:
            if explicit:
                self.status_message.emit("No help: the kernel is not running.")
            return
        self._request = (msg_id, code, position, explicit)

    def _on_reply(self, reply: dict[str, Any]) -> None:
        if self._request is None or reply.get("parent_header", {}).get("msg_id") != self._request[0]:
            return
        _, code, position, explicit = self._request
        self._request = None
        now = self._editor.code()
        if now[:position] != code[:position] or self._editor.textCursor().position() < position:
            return  # typed over or moved away: the help is for something else now
        content = reply.get("content", {})
        data = content.get("data") or {}
        text = data.get("text/plain") if content.get("status") == "ok" and content.get("found") else None
        if not isinstance(text, str) or not text.strip():
            if explicit:
                self.status_message.emit("No help found for the name at the cursor.")
            return
        self._anchor_position = position
        self.tip.show_help(text, self._anchor_rect(position))

    def _anchor_rect(self, position: int) -> QRect:
        cursor = QTextCursor(self._editor.document())
        cursor.setPosition(position)
        cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
        rect = self._editor.cursorRect(cursor)
        parent = self.tip.parentWidget()
        assert parent is not None
        return QRect(self._editor.viewport().mapTo(parent, rect.topLeft()), rect.size())

    def _follow_cursor(self) -> None:
        if not self.tip.isVisible():
            return
        cursor = self._editor.textCursor()
        start = self._anchor_position
        document = self._editor.document()
        if cursor.position() < start or document.findBlock(start) != cursor.block():
            self.close()
            return
        between = self._editor.code()[self._editor.code_point(start):self._editor.code_point()]
        if between.count(")") > between.count("("):
            self.close()  # the call's closing parenthesis was typed
