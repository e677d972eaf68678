"""File ▸ Run File… and a .py dropped on the window: ``%run`` in the tab's kernel (real ipykernel)."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from conch.app.main_window import MainWindow
from conch.app.run_file import RunFileError, quote_for_run, run_command
from conch.widgets.console import ConsoleWidget
from tests.app.conftest import close_window, open_window

IPYTHON_INFO = {"implementation": "ipython", "language_info": {"name": "python"}}


# -- Qt-free: the %run line --------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/tmp/plain.py", "/tmp/with space/a b.py", "/tmp/$x/$HOME.py", "/tmp/$$/a$.b.py", "/tmp/it's \"q\".py",
    "/tmp/{a}/{{b}}.py", "/tmp/ünï cödé/é.py", "/tmp/back\\slash.py", "/tmp/#;&|*?[x].py",
])
def test_quoting_reads_back_through_ipython_expansion_and_splitting(path: str) -> None:
    from IPython.utils._process_common import arg_split
    from IPython.utils.text import DollarFormatter

    quoted = quote_for_run(path)
    expanded = DollarFormatter().vformat(quoted, args=[], kwargs={"x": "X", "a": "A", "b": "B", "HOME": "H"})
    assert arg_split(expanded, posix=True, strict=True) == [path]


def test_only_ipython_kernels_run_files() -> None:
    assert run_command("/tmp/a.py", IPYTHON_INFO).code == "%run /tmp/a.py"
    with pytest.raises(RunFileError, match="needs an IPython kernel; this one is xpython"):
        run_command("/tmp/a.py", {"implementation": "xpython", "language_info": {"name": "python"}})
    with pytest.raises(RunFileError, match="this one is IRkernel"):
        run_command("/tmp/a.py", {"implementation": "IRkernel", "language_info": {"name": "R"}})
    with pytest.raises(RunFileError, match="line break"):
        run_command("/tmp/a\nb.py", IPYTHON_INFO)


# -- through the window ------------------------------------------------------------------------
def _console(window: MainWindow) -> ConsoleWidget:
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    return tab.console


def _drop(widget: QWidget, paths: list[Path]) -> tuple[bool, bool]:
    """Drag ``paths`` onto the middle of ``widget`` and drop them there, as a file manager does.
    Returns whether the drag enter and the drop were accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPoint(widget.width() // 2, widget.height() // 2)
    target = widget.childAt(point) or widget
    local = QPointF(target.mapFrom(widget, point))
    enter = QDragEnterEvent(local.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False, False
    drop = QDropEvent(local, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return True, drop.isAccepted()


def _run_and_check(qtbot: QtBot, console: ConsoleWidget, marker: str) -> None:
    """The kernel holds ``ran_marker`` set by the file (checked with a following execution)."""
    with qtbot.waitSignal(console.execution_finished, timeout=20000):
        console.execute("print('got', ran_marker)")
    qtbot.waitUntil(lambda: f"got {marker}" in console.transcript_text(), timeout=10000)


def test_a_dropped_py_file_runs(qtbot: QtBot, tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text("print('hello from the file')\nran_marker = 'first'\n")
    window = open_window(qtbot)
    console = _console(window)
    console.editor.set_code("half-typed input")
    with qtbot.waitSignal(console.execution_finished, timeout=20000):
        assert _drop(console.view.viewport(), [script]) == (True, True)
    text = console.transcript_text()
    assert f"%run {script}" in text and "hello from the file" in text
    assert console.kernel.history.entries[-1] == f"%run {script}"  # in history, as if typed
    assert console.editor.code() == "half-typed input"  # nothing typed is lost
    _run_and_check(qtbot, console, "first")
    close_window(qtbot, window)


def test_a_path_with_spaces_and_dollars_runs(qtbot: QtBot, tmp_path: Path) -> None:
    folder = tmp_path / "my $HOME {x} it's"
    folder.mkdir()
    script = folder / "a $b.py"
    script.write_text("import sys\nprint('argv0', sys.argv[0])\nran_marker = 'second'\n")
    window = open_window(qtbot)
    console = _console(window)
    with qtbot.waitSignal(console.execution_finished, timeout=20000):
        console.execute("b = 'WRONG'; HOME = 'WRONG'; x = 'WRONG'")
    with qtbot.waitSignal(console.execution_finished, timeout=20000):
        assert _drop(console.editor.viewport(), [script]) == (True, True)
    qtbot.waitUntil(lambda: f"argv0 {script}" in console.transcript_text(), timeout=10000)
    assert "Error" not in console.transcript_text()
    _run_and_check(qtbot, console, "second")
    close_window(qtbot, window)


def test_other_files_are_refused_and_text_still_drops_into_the_editor(qtbot: QtBot, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("print('must not run')\n")
    window = open_window(qtbot)
    console = _console(window)
    before = console.transcript_text()
    assert _drop(console.view.viewport(), [other]) == (False, False)
    assert _drop(console.editor.viewport(), [other]) == (False, False)
    assert console.transcript_text() == before
    mime = QMimeData()
    mime.setText("dropped text")
    viewport = console.editor.viewport()
    point = QPointF(10, 10)
    enter = QDragEnterEvent(point.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(viewport, QDropEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                                Qt.KeyboardModifier.NoModifier))
    assert "dropped text" in console.editor.code()
    close_window(qtbot, window)


def test_a_missing_file_gives_a_message_and_loses_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot)
    console = _console(window)
    console.editor.set_code("keep me")
    missing = tmp_path / "gone.py"
    assert console.run_file(str(missing)) == ""
    assert f"{missing} does not exist" in console.transcript_text()
    assert f"{missing} does not exist" in window.statusBar().currentMessage()
    assert console.editor.code() == "keep me"
    assert not console.is_busy()
    close_window(qtbot, window)


def test_a_run_while_busy_waits_its_turn(qtbot: QtBot, tmp_path: Path) -> None:
    script = tmp_path / "later.py"
    script.write_text("ran_marker = 'queued'\nprint('ran after the sleep')\n")
    window = open_window(qtbot)
    console = _console(window)
    console.execute("import time; time.sleep(1); print('slept')")
    assert console.run_file(str(script)) == ""
    assert console.file_runs.queued == [str(script)]
    qtbot.waitUntil(lambda: "ran after the sleep" in console.transcript_text(), timeout=20000)
    text = console.transcript_text()
    assert text.index("slept") < text.index("%run")
    qtbot.waitUntil(lambda: not console.is_busy(), timeout=10000)
    _run_and_check(qtbot, console, "queued")
    close_window(qtbot, window)


def test_run_file_from_the_menu(qtbot: QtBot, tmp_path: Path) -> None:
    script = tmp_path / "menu.py"
    script.write_text("ran_marker = 'menu'\nprint('from the menu')\n")
    window = open_window(qtbot)
    console = _console(window)
    (action,) = [a for m in window.menuBar().actions() for a in m.menu().actions() if a.text().startswith("R&un File")]
    action.trigger()
    dialog = next(d for d in window.findChildren(QFileDialog) if d.isVisible())
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.selectFile(str(script))
    with qtbot.waitSignal(console.execution_finished, timeout=20000):
        dialog.accept()
    assert "from the menu" in console.transcript_text()
    _run_and_check(qtbot, console, "menu")
    close_window(qtbot, window)
