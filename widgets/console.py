"""The console widget: a transcript view above an input editor, bound to a kernel session."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from conch.app.gc_tuning import freeze_startup_heap
from conch.app.kernel.status import KernelStatus
from conch.app.kernel_session import KernelSession
from conch.app.model.outputs import Output
from conch.app.model.exit_command import exit_command
from conch.app.model.history import input_refusal
from conch.app.model.payloads import ExitRequest, NextInput, Page
from conch.app.model.plain_text import transcript_text
from conch.app.running_kernel import RunningKernel
from conch.app.settings import Settings
from conch.widgets.block_factory import RENDERABLE
from conch.widgets.editor.calltip import CallTip
from conch.widgets.editor.completer import Completer
from conch.widgets.editor.completion_popup import CompletionPopup
from conch.widgets.editor.editor_menu import install_editor_menu
from conch.widgets.editor.enter_controller import EnterController
from conch.widgets.editor.history_navigator import HistoryNavigator
from conch.widgets.editor.history_search_bar import HistorySearchBar
from conch.widgets.editor.inspector import Inspector
from conch.widgets.find_bar import FindBar
from conch.widgets.file_runs import FileDropFilter, FileRunner
from conch.app.look.highlight import lexer_for
from conch.widgets.input_editor import InputEditor
from conch.widgets.key_dispatch import KeyDispatcher
from conch.widgets.keymap import KeyMap
from conch.widgets.pager import Pager
from conch.widgets.status_look import look
from conch.widgets.stdin_field import StdinField
from conch.widgets.transcript_view import TranscriptView
from conch.widgets.console_look import ConsoleLook
from conch.widgets.theme import Theme, default_font


class ConsoleWidget(QWidget):
    """A rich console on one kernel session; embed it in any Qt application.

    ``execute(code)`` runs code exactly as if typed and submitted; :attr:`execution_finished`
    fires once per execution when its reply and idle have arrived and its output is in the view.
    """

    execution_finished = Signal(str)
    """An execution finished and its output is in the view; carries the request's msg_id."""
    status_message = Signal(str)
    """A short message for the user (a status bar shows it): why Enter made a new line,
    no completions, a bad settings file, ..."""
    status_retracted = Signal(str)
    """A message sent earlier no longer holds (it described a state that has passed)."""
    exit_requested = Signal(bool)
    """The user asked to close this console (``exit``/``quit``, or the kernel's ``ask_exit``);
    carries ``keep_kernel``. Typed ``exit`` is caught before it reaches the kernel, so whoever
    shows the console can confirm first; the kernel is untouched until the tab is closed."""

    def __init__(
        self, kernel: KernelSession, parent: QWidget | None = None, *, settings: Settings | None = None,
        theme: Theme | None = None,
    ) -> None:
        """``theme``: the console's own colours; without one it follows the application's
        (:class:`~conch.widgets.appearance.Appearance`: light, dark or the system's)."""
        super().__init__(parent)
        self.kernel = kernel
        # Whoever loaded the settings reports their problems (the window shows a banner).
        self._unreported_problems = [] if settings is not None else list(Settings.load().problems)
        self.settings = settings or Settings.load()
        kernel.set_renderable(RENDERABLE)
        keymap = self.keymap = KeyMap(self.settings.shortcuts)
        self.look = ConsoleLook(self, theme, default_font(self.settings.font_family, self.settings.font_size))
        """The console's theme and zoom (:meth:`ConsoleLook.set_zoom`, :meth:`ConsoleLook.set_theme`)."""
        self.view = TranscriptView(kernel.transcript, theme=self.look.theme, metrics=self.look.metrics(), parent=self)
        self.editor = InputEditor(self.view.metrics, keymap, parent=self)
        self.pager = Pager(self.view.theme, self.view.metrics, self)
        self.find_bar = FindBar(self.view, self, keymap)
        self.view.find_requested.connect(self.find_bar.open_bar)
        self.find_bar.closed.connect(self.editor.setFocus)
        self.pager.closed.connect(self._on_pager_closed)
        self.view.interaction_finished.connect(self.editor.setFocus)
        self.stdin_field = StdinField(self.view.metrics, keymap=keymap)
        self.stdin_field.hide()
        self.prompt = QLabel(self)
        self._shown_prompt = ("", "")
        self._language: tuple[object, object] | None = None
        self.prompt.setFont(self.view.metrics.font)
        self.prompt.setFixedWidth(self.view.metrics.gutter_width)
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.prompt.setContentsMargins(4, 5, 0, 0)

        # Editor features, each a small controller on the editor (see conch.widgets.editor).
        self.enter = EnterController(self.editor, kernel, self.execute, parent=self)
        self.completer = Completer(self.editor, kernel, CompletionPopup(self, self.look.theme))
        self.inspector = Inspector(self.editor, kernel, CallTip(self.view.theme, self.view.metrics, self), self.show_page)
        self.history = HistoryNavigator(self.editor, kernel.history)
        self.history_search = HistorySearchBar(self.editor, kernel.history, self)
        self.keys = KeyDispatcher.instance().scope(self, keymap)
        """Keys anywhere in the console: find, copy or interrupt, clear, Esc; typing in the
        transcript goes to the editor."""
        self.keys.bind("find", self._open_find)
        self.keys.bind("copy_or_interrupt", self._copy_or_interrupt)
        self.keys.bind("clear_transcript", self._clear_transcript)
        self.keys.bind("dismiss", self._dismiss)
        self.keys.fallback = self._forward_typing
        self.file_runs = FileRunner(self)
        """Files run with ``%run`` (Run File…, drops), queued while the kernel is busy."""
        self.file_drops = FileDropFilter(self.run_file, self.status_message.emit, self)
        for target in (self, self.view.viewport(), self.editor.viewport()):
            self.file_drops.watch(target)  # a dropped .py runs; dropped text still goes into the editor
        for source in (self.enter, self.completer, self.inspector):
            source.status_message.connect(self.status_message)
        self.enter.status_retracted.connect(self.status_retracted)
        self.enter.queued_changed.connect(self._update_prompt)

        self._build_layout()
        self.editor.submitted.connect(self.execute)
        self.stdin_field.answered.connect(self._answer_input)
        self.stdin_field.interrupt_requested.connect(self.interrupt)
        kernel.execution_finished.connect(self._on_finished)
        kernel.status_changed.connect(self._on_status)
        kernel.ready.connect(self._on_ready)
        kernel.payload.connect(self._on_payload)
        kernel.input_requested.connect(self._on_input_requested)
        kernel.execution_count_changed.connect(self._update_prompt)
        if kernel.client.kernel_info is not None:
            self._on_ready(kernel.client.kernel_info)
        self._update_prompt()
        self.apply_settings(self.settings)

    def _build_layout(self) -> None:
        input_area = QWidget(self)
        input_area.setObjectName("input_area")
        input_row = QHBoxLayout(input_area)
        input_row.setContentsMargins(0, 1, 0, 0)  # room for the border line
        input_row.setSpacing(0)
        input_row.addWidget(self.prompt)
        input_row.addWidget(self.editor, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.pager)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.history_search)
        layout.addWidget(input_area)
        self.setFocusProxy(self.editor)
        self.setAutoFillBackground(True)
        self.look.apply_theme()
        self.look.watch_wheel(self.view.viewport(), self.editor.viewport())
        install_editor_menu(self)

    # -- embedding API -------------------------------------------------------------------------
    def execute(self, code: str) -> str:
        """Run ``code`` as if typed into the editor and submitted; returns the msg_id
        ("" if nothing was sent: ``exit`` in a Python kernel emits :attr:`exit_requested`)."""
        self.completer.close()
        self.inspector.close()
        request = exit_command(code, self.kernel.language_info)
        if request is not None:
            self.kernel.history.add(code)
            self.exit_requested.emit(request.keep_kernel)
            return ""
        msg_id = self.kernel.execute(code)
        self.view.scroll_to_bottom()
        self._update_prompt()
        return msg_id

    def run_file(self, path: str) -> str:
        """Run the script at ``path`` with IPython's ``%run``, as if typed (a cell in the
        transcript, an entry in the history); it waits its turn while the kernel is busy.
        Returns the msg_id, "" if queued or refused (a missing file, a kernel without
        ``%run``: said in the transcript and the status bar)."""
        return self.file_runs.run(path)

    def is_busy(self) -> bool:
        return self.kernel.is_busy()

    def transcript_text(self) -> str:
        return transcript_text(self.kernel.transcript)

    def outputs(self) -> list[Output]:
        return self.kernel.transcript.outputs()

    def export_notebook(self, path: str) -> None:
        """Save the transcript as a Jupyter notebook (validated; raises ``OSError`` or
        ``nbformat.ValidationError``, writing nothing, when it cannot)."""
        from conch.app.export.notebook import write_notebook

        session = self.kernel
        write_notebook(
            session.transcript, path, kernel_name=_notebook_kernel_name(session),
            display_name=session.kernel.display_name, language_info=session.language_info,
        )

    def export_html(self, path: str) -> None:
        """Save the transcript as one self-contained HTML page (images inline, no scripts)."""
        from conch.app.export.html_page import write_html

        session = self.kernel
        write_html(session.transcript, path, title=f"Conch — {session.kernel.display_name}",
                   language_info=session.language_info)

    def apply_settings(self, settings: Settings) -> None:
        """Take the settings that apply while the console runs: its font, its scrollback (old
        lines go at once if it shrank) and how often its local kernel is restarted automatically."""
        self.keymap.set_keys(settings.shortcuts)
        font = default_font(settings.font_family, settings.font_size)
        if font != self.look.font:
            self.look.set_font(font)
        self.settings = settings
        transcript = self.kernel.transcript
        transcript.max_lines = settings.scrollback_lines
        if transcript.stream_line_count() > settings.scrollback_lines:
            transcript.trim_to(settings.scrollback_lines)
        if isinstance(self.kernel.kernel, RunningKernel):
            self.kernel.kernel.auto_restart_limit = settings.auto_restart

    def interrupt(self) -> None:
        """Interrupt the kernel (a signal for a launched kernel, else ``interrupt_request``)."""
        how = self.kernel.interrupt()
        self.status_message.emit(f"Interrupt sent ({'a signal' if how == 'signal' else 'interrupt_request'}).")

    def show_page(self, page: Page) -> None:
        """Open the pager with ``page`` (help text); Esc closes it."""
        self.inspector.close()
        self.pager.show_page(page)

    # -- keys ----------------------------------------------------------------------------------
    def _open_find(self) -> bool:
        self.find_bar.open_bar()
        return True

    def _copy_or_interrupt(self) -> bool:
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit) and focus.hasSelectedText():
            return False  # the find or input field copies its own selection
        if self.editor.textCursor().hasSelection():
            self.editor.copy()
        elif self.view.selected_text():
            self.view.copy()
        elif isinstance(focus, QTextEdit) and focus.textCursor().hasSelection():
            focus.copy()  # the pager
        else:
            self.interrupt()
        return True

    def _clear_transcript(self) -> bool:
        self.kernel.transcript.clear()
        return True

    def _dismiss(self) -> bool:
        """Esc: close the innermost thing that is open; from the transcript, back to the editor."""
        if self.completer.close() or self.inspector.close() or self.enter.cancel():
            return True
        if self.pager.isVisible():
            self.pager.close_pager()
            return True
        if self.find_bar.isVisible():
            self.find_bar.close_bar()
            return True
        if not self.editor.hasFocus() and not self.stdin_field.isVisible():
            self.editor.setFocus()
            return True
        return False

    def _forward_typing(self, receiver: QWidget, event: QKeyEvent) -> bool:
        """Text typed while the transcript (or the read-only pager) has focus goes to the editor."""
        if receiver is self.editor or _takes_text(receiver):
            return False
        if event.matches(QKeySequence.StandardKey.Paste):
            self.editor.setFocus()
            self.editor.paste()
            return True
        modifiers = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        if modifiers or not event.text() or not event.text().isprintable():
            return False  # navigation and shortcuts stay with the transcript
        self.editor.setFocus()
        QApplication.sendEvent(self.editor, QKeyEvent(event.type(), event.key(), event.modifiers(), event.text()))
        return True

    def _on_pager_closed(self) -> None:
        focus = QApplication.focusWidget()
        if focus is None or focus is self.pager or self.pager.isAncestorOf(focus):
            self.editor.setFocus()

    # -- kernel events -------------------------------------------------------------------------
    def _on_ready(self, info: dict[str, object]) -> None:
        QTimer.singleShot(0, freeze_startup_heap)  # everything imported by now lives for good
        language_info = info.get("language_info")
        language = language_info if isinstance(language_info, dict) else {}
        key = (language.get("pygments_lexer"), language.get("name"))
        if key != self._language:  # every kernel_info_reply comes here; most change nothing
            self._language = key
            lexer = lexer_for(language)
            self.view.set_lexer(lexer)
            self.editor.set_lexer(lexer)
        self._update_prompt()
        problems, self._unreported_problems = self._unreported_problems, []
        for problem in problems:  # once, when someone is surely listening
            self.status_message.emit(f"Settings: {problem}")

    def _on_status(self, status: KernelStatus) -> None:
        if not status.ready and status is not KernelStatus.UNRESPONSIVE and self.stdin_field.isVisible():
            self._close_input()
        self._update_prompt()

    def _on_finished(self, msg_id: str) -> None:
        if self.stdin_field.isVisible() and not self.kernel.waiting_for_input:
            self._close_input()  # interrupted while waiting for input
        self.view.flush()
        self._update_prompt()
        self.execution_finished.emit(msg_id)

    def _on_payload(self, payload: object) -> None:
        if isinstance(payload, Page):
            self.show_page(payload)
        elif isinstance(payload, NextInput):
            current = "" if payload.replace else self.editor.code()
            keep = "\n" + current if current.strip() else ""
            code = payload.text.rstrip("\n") + keep
            refusal = input_refusal(code)
            if refusal is not None:  # what the editor has stays; the kernel's text is dropped
                self.status_message.emit(f"The next input from the kernel was not put in the editor: {refusal}.")
                return
            self.editor.set_code(code)  # a big one goes in in slices (see InputEditor.set_code)
        elif isinstance(payload, ExitRequest):
            if not payload.keep_kernel:
                self.kernel.expect_exit()  # the kernel is ending itself: not a death
            self.exit_requested.emit(payload.keep_kernel)

    def _on_input_requested(self, prompt: str, password: bool, _parent: str) -> None:
        self.stdin_field.ask(prompt, password)
        self.view.flush()
        self.view.set_footer(self.stdin_field)
        self.stdin_field.setFocus()
        self._update_prompt()

    def _answer_input(self, value: str) -> None:
        self.kernel.answer_input(value)
        self._close_input()

    def _close_input(self) -> None:
        had_focus = self.stdin_field.field.hasFocus()
        self.view.set_footer(None)
        if had_focus or self.focusWidget() is None:
            self.editor.setFocus()
        self._update_prompt()

    def refresh_prompt(self) -> None:
        """Draw the prompt again (its colours come from the theme)."""
        self._shown_prompt = ("", "")
        self._update_prompt()

    def _update_prompt(self, *_: object) -> None:
        shown = look(self.kernel.status, exited=self.kernel.exited_on_request)
        if shown.prompt is not None:
            text = shown.prompt
            colour = self.view.theme.notice["error"].name() if shown.problem else self.view.theme.muted.name()
        elif self.enter.queued:
            text, colour = "queued", self.view.theme.in_prompt.name()
        elif self.kernel.is_busy():
            text, colour = "In [*]:", self.view.theme.in_prompt.name()
        else:
            text, colour = f"In [{self.kernel.execution_count + 1}]:", self.view.theme.in_prompt.name()
        if (text, colour) != self._shown_prompt:
            self._shown_prompt = (text, colour)
            self.prompt.setText(text)
            palette = self.prompt.palette()
            palette.setColor(self.prompt.foregroundRole(), QColor(colour))
            self.prompt.setPalette(palette)


def _notebook_kernel_name(session: KernelSession) -> str:
    """The kernelspec a notebook should name: the kernel's own, else one for its language."""
    name = session.kernel.kernel_name
    if name:
        return name
    return "python3" if session.language_info.get("name") == "python" else ""


def _takes_text(widget: QWidget | None) -> bool:
    """Whether typing into ``widget`` already goes somewhere (a field, an editable text)."""
    if isinstance(widget, (QLineEdit, QAbstractSpinBox)):
        return True
    return isinstance(widget, (QPlainTextEdit, QTextEdit)) and not widget.isReadOnly()
