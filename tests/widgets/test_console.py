"""The console widget against a real ipykernel, through the embedding API."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.model.outputs import RichOutput
from conch.app.model.transcript import Notice

from .conftest import run


def test_print_shows_stdout_text(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "print('hello from the kernel')")
    (out,) = console.outputs()
    assert (out.kind, out.mime_type, out.text) == ("stdout", "text/plain", "hello from the kernel\n")
    assert "In [1]: print('hello from the kernel')\nhello from the kernel\n" in console.transcript_text()
    assert not console.is_busy()


def test_stderr_is_its_own_kind(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "import sys; print('e', file=sys.stderr)")
    assert [(o.kind, o.text) for o in console.outputs()] == [("stderr", "e\n")]


def test_exception_is_an_error_item(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "1/0")
    (error,) = console.outputs()
    assert error.kind == "error"
    assert "ZeroDivisionError" in error.text and "\x1b" not in error.text
    assert "ZeroDivisionError: division by zero" in console.transcript_text()


def test_expression_result_has_out_prompt(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "6 * 7")
    (result,) = console.outputs()
    assert (result.kind, result.text) == ("result", "42")
    assert "In [1]: 6 * 7\nOut[1]: 42\n" in console.transcript_text()


def test_inline_matplotlib_plot_is_a_png(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(
        qtbot,
        console,
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2]);",
        timeout=60000,
    )
    pngs = [o for o in console.outputs() if o.mime_type == "image/png"]
    assert len(pngs) == 1 and pngs[0].kind == "display"
    assert isinstance(pngs[0], RichOutput)
    image = QImage.fromData(pngs[0].binary("image/png"))
    assert not image.isNull() and image.width() > 100


def test_execution_finished_fires_once_per_execution(qtbot: QtBot, console: ConsoleWidget) -> None:
    finished: list[str] = []
    console.execution_finished.connect(finished.append)
    ids = [console.execute(f"print({i})") for i in range(3)]
    assert console.is_busy()
    qtbot.waitUntil(lambda: len(finished) >= 3, timeout=30000)
    # A further execution proves no late duplicates were still queued for the first three.
    run(qtbot, console, "pass")
    assert finished[:3] == ids and len(finished) == 4
    assert [o.text for o in console.outputs()] == ["0\n", "1\n", "2\n"]


def test_typing_and_enter_executes(qtbot: QtBot, console: ConsoleWidget) -> None:
    console.editor.setFocus()
    qtbot.keyClicks(console.editor, "print(2 + 3)")
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        qtbot.keyClick(console.editor, Qt.Key.Key_Return)
    assert [o.text for o in console.outputs()] == ["5\n"]
    assert console.editor.toPlainText() == ""


def test_ansi_colours_reach_the_model(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, r"print('\x1b[31mred\x1b[0m plain')")
    (out,) = console.outputs()
    assert out.text == "red plain\n"
    spans = out.content.line_spans(0)  # type: ignore[union-attr]
    assert spans[0] == ("red", spans[0][1]) and spans[0][1].fg == 1


def test_screenshot_is_readable(qtbot: QtBot, console: ConsoleWidget, tmp_path: Path) -> None:
    for code in ("print('hello')", "import sys; print('e', file=sys.stderr)", "1/0", "6 * 7"):
        run(qtbot, console, code)
    image = console.grab().toImage()
    target = Path(os.environ.get("CONCH_SCREENSHOT_DIR", tmp_path)) / "console.png"
    assert image.save(str(target))
    # The transcript drew something other than background: text pixels in its upper half.
    background = image.pixelColor(image.width() - 30, 5)
    inked = sum(
        1
        for y in range(0, image.height() // 2, 3)
        for x in range(0, image.width() - 40, 3)
        if image.pixelColor(x, y) != background
    )
    assert inked > 200


def test_the_first_screen_shows_the_kernels_banner(qtbot: QtBot, console: ConsoleWidget) -> None:
    first = console.kernel.transcript.entries[0]
    assert isinstance(first, Notice) and first.level == "banner" and "IPython" in first.text
    assert console.transcript_text().startswith("Python 3")


def test_a_display_update_reaches_a_result_that_carried_its_display_id(qtbot: QtBot, console: ConsoleWidget) -> None:
    publish_result = (
        "ip = get_ipython(); hook = ip.displayhook\n"
        "_ = hook.session.send(hook.pub_socket, 'execute_result', {'data': {'text/plain': \"'old'\"}, 'metadata': {},"
        " 'execution_count': ip.execution_count, 'transient': {'display_id': 'shown-result'}},"
        " parent=hook.parent_header, ident=hook.topic)"
    )
    run(qtbot, console, publish_result)
    (result,) = console.outputs()
    assert result.kind == "result" and result.text == "'old'"
    run(qtbot, console, "from IPython.display import update_display; update_display({'text/plain': \"'new'\"}, raw=True, display_id='shown-result')")
    assert [o.text for o in console.outputs()] == ["'new'"]
    console.view.flush()
    text = console.transcript_text()
    assert "]: 'new'" in text and "]: 'old'" not in text
