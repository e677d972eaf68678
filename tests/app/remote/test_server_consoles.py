"""Consoles on kernels on real Jupyter servers on 127.0.0.1: Jupyter Server (v1 and legacy
WebSocket protocols), one under a JupyterHub-like base path, and a Kernel Gateway. Each does
what a console does on a local kernel: every output kind, stdin, completion, interrupt,
restart, shutdown; and attaching to a kernel started through REST."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget, attach_kernel, start_kernel
from conch.app.kernel.status import KernelStatus
from conch.app.kernel_session import KernelSession
from conch.app.model.outputs import ErrorOutput, RichOutput, StreamOutput
from tests.remote_servers import (  # noqa: F401 - fixtures
    RunningServer,
    hub_like_server,
    jupyter_server,
    kernel_gateway,
    legacy_jupyter_server,
)

SERVERS = ["jupyter_server", "legacy_jupyter_server", "hub_like_server", "kernel_gateway"]


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> RunningServer:
    running: RunningServer = request.getfixturevalue(request.param)
    return running


def open_console(qtbot: QtBot, session: KernelSession) -> ConsoleWidget:
    console = ConsoleWidget(session)
    qtbot.addWidget(console)
    console.resize(800, 600)
    console.show()
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=60_000)
    return console


@pytest.fixture
def remote_console(qtbot: QtBot, server: RunningServer) -> Iterator[tuple[ConsoleWidget, RunningServer]]:
    session = start_kernel("python3", server=server.url, token=server.token)
    console = open_console(qtbot, session)
    yield console, server
    if session.kernel.state.value != "closed":
        with qtbot.waitSignal(session.closed, timeout=20_000):
            session.shutdown()


def run(qtbot: QtBot, console: ConsoleWidget, code: str, timeout: int = 30_000) -> list[object]:
    with qtbot.waitSignal(console.execution_finished, timeout=timeout):
        console.execute(code)
    return list(console.outputs())


EVERY_KIND = """
import sys
from IPython.display import HTML, Markdown, Latex, SVG, Image, display
print('out')
print('err', file=sys.stderr)
display(HTML('<table><tr><td>cell</td></tr></table>'))
display(Markdown('*md*'))
display(Latex('$x^2$'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'))
import base64
display(Image(base64.b64decode(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='
)))
h = display(Markdown('before'), display_id=True)
h.update(Markdown('after'))
6 * 7
"""


def test_every_output_kind_arrives_as_from_a_local_kernel(qtbot: QtBot, remote_console: tuple[ConsoleWidget, RunningServer]) -> None:
    console, _server = remote_console
    outputs = run(qtbot, console, EVERY_KIND)
    streams = {o.kind: o.text for o in outputs if isinstance(o, StreamOutput)}
    assert streams == {"stdout": "out\n", "stderr": "err\n"}
    kinds = [o.mime_type for o in outputs if isinstance(o, RichOutput)]
    assert kinds == ["text/html", "text/markdown", "text/latex", "image/svg+xml", "image/png", "text/markdown", "text/plain"]
    updated = [o for o in outputs if isinstance(o, RichOutput) and o.display_id]
    assert updated[0].data["text/markdown"] == "after"
    assert outputs[-1].text == "42"
    error = run(qtbot, console, "1/0")[-1]
    assert isinstance(error, ErrorOutput) and "ZeroDivisionError" in error.text


def test_input_completion_and_interrupt_work_through_the_server(qtbot: QtBot, remote_console: tuple[ConsoleWidget, RunningServer]) -> None:
    console, _server = remote_console
    # stdin: the field appears, the typed answer reaches the kernel
    with qtbot.waitSignal(console.execution_finished, timeout=30_000):
        console.execute("name = input('who? ')\nprint('hi', name)")
        qtbot.waitUntil(lambda: console.stdin_field.isVisible(), timeout=15_000)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is console.stdin_field.field, timeout=5_000)
        qtbot.keyClicks(QApplication.focusWidget(), "ada")
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert console.outputs()[-1].text.endswith("hi ada\n")
    # completion: Tab in the editor completes a unique name
    run(qtbot, console, "remote_unique_name = 1")
    console.editor.setFocus()
    qtbot.keyClicks(console.editor, "remote_uni")
    qtbot.keyClick(console.editor, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: console.editor.code() == "remote_unique_name", timeout=15_000)
    console.editor.clear()
    # history: Up brings back what ran
    qtbot.keyClick(console.editor, Qt.Key.Key_Up)
    assert console.editor.code() == "remote_unique_name = 1"
    console.editor.clear()
    # help: the kernel's inspect reply comes back through the server
    replies: list[dict[str, object]] = []
    console.kernel.inspect("len", 3, replies.append)
    qtbot.waitUntil(lambda: bool(replies), timeout=15_000)
    content = replies[0]["content"]
    assert isinstance(content, dict) and content["found"] and "text/plain" in content["data"]
    # interrupt (REST): a busy loop ends with KeyboardInterrupt
    with qtbot.waitSignal(console.execution_finished, timeout=30_000):
        console.execute("while True: pass")
        qtbot.waitUntil(lambda: console.kernel.running_for is not None, timeout=15_000)
        assert console.kernel.interrupt() == "request"
    assert "KeyboardInterrupt" in console.outputs()[-1].text


def test_restart_gives_a_fresh_kernel_and_the_console_goes_on(qtbot: QtBot, remote_console: tuple[ConsoleWidget, RunningServer]) -> None:
    console, server = remote_console
    run(qtbot, console, "kept = 5")
    kernel_id = console.kernel.kernel.kernel_id
    assert console.kernel.restart()
    qtbot.waitUntil(lambda: console.kernel.status is KernelStatus.IDLE, timeout=60_000)
    outputs = run(qtbot, console, "print('kept' in dir())")
    assert outputs[-1].text == "False\n"
    assert console.kernel.kernel.kernel_id == kernel_id  # the same kernel on the server, restarted
    assert "Kernel restarted" in console.transcript_text()


def test_closing_the_console_deletes_the_kernel_it_started(qtbot: QtBot, server: RunningServer) -> None:
    session = start_kernel("python3", server=server.url, token=server.token)
    open_console(qtbot, session)
    kernel_id = session.kernel.kernel_id
    assert kernel_id in server.kernel_ids()
    with qtbot.waitSignal(session.closed, timeout=20_000):
        session.shutdown()
    assert kernel_id not in server.kernel_ids()


def test_attaching_to_a_kernel_started_through_rest_leaves_it_running(qtbot: QtBot, server: RunningServer) -> None:
    kernel_id = server.start_kernel()
    try:
        session = attach_kernel(kernel_id, server=server.url, token=server.token)
        console = open_console(qtbot, session)
        assert session.kernel.kernel_name == "python3" or session.kernel.kernel_name == ""
        assert run(qtbot, console, "print(2 + 2)")[-1].text == "4\n"
        with qtbot.waitSignal(session.closed, timeout=20_000):
            session.shutdown()
        assert kernel_id in server.kernel_ids()
    finally:
        server.rest("DELETE", f"/api/kernels/{kernel_id}")


# -- drops -------------------------------------------------------------------------------------

def test_a_drop_mid_cell_loses_no_line_and_shows_none_twice(qtbot: QtBot, jupyter_server: RunningServer) -> None:
    from tests.app.kernel.tcp_proxy import CuttableProxy

    with CuttableProxy("127.0.0.1", jupyter_server.port) as proxy:
        session = start_kernel("python3", server=f"http://127.0.0.1:{proxy.port}/", token=jupyter_server.token)
        console = open_console(qtbot, session)
        code = "import time\nfor i in range(120):\n    print(f'line {i}', flush=True)\n    time.sleep(0.01)"
        with qtbot.waitSignal(console.execution_finished, timeout=60_000):
            console.execute(code)
            qtbot.waitUntil(lambda: "line 30" in console.transcript_text(), timeout=30_000)
            proxy.cut()
        (stream,) = console.outputs()
        lines = stream.text.splitlines()
        numbers = [int(line.split()[1]) for line in lines]
        assert numbers == sorted(set(numbers))  # in order, none shown twice
        assert numbers[-1] == 119 and numbers[:30] == list(range(30))
        # What the server had already written into the connection that was cut is gone (the
        # protocol has no acknowledgements); everything it buffered after noticing is replayed.
        assert len(numbers) >= 117, f"lost {sorted(set(range(120)) - set(numbers))}"
        text = console.transcript_text()
        assert "was lost" in text and "reconnecting" in text and "again" in text  # said, then resolved
        assert session.status is KernelStatus.IDLE
        assert run(qtbot, console, "print('after')")[-1].text == "after\n"
        with qtbot.waitSignal(session.closed, timeout=20_000):
            session.shutdown()


def test_output_the_server_drops_is_announced_in_conch_s_words(qtbot: QtBot, jupyter_server: RunningServer) -> None:
    # The fixture's server keeps Jupyter's default iopub limits (1 MB/s over 3 s).
    session = start_kernel("python3", server=jupyter_server.url, token=jupyter_server.token)
    console = open_console(qtbot, session)
    run(qtbot, console, "print('x' * 5_000_000)\nprint('after')", timeout=60_000)
    text = console.transcript_text()
    assert "Output was dropped by the Jupyter server" in text and "ZMQChannelsWebsocketConnection.iopub_data_rate_limit=0" in text
    assert "IOPub data rate exceeded" not in text  # the server's own wording was replaced
    with qtbot.waitSignal(session.closed, timeout=20_000):
        session.shutdown()


def test_a_second_tab_on_a_remote_kernel_sees_the_first_tab_s_cells(qtbot: QtBot, jupyter_server: RunningServer) -> None:
    from ..conftest import close_window, open_window, wait_idle
    from conch.app.kernel.server_url import parse_server_url

    window = open_window(qtbot, tabs=0)
    first = window.new_server_tab(parse_server_url(jupyter_server.url, token=jupyter_server.token), "python3")
    wait_idle(qtbot, first, 60_000)
    second = window.new_tab_on_current_kernel()
    assert second is not None
    wait_idle(qtbot, second, 60_000)
    assert first.shared and second.shared and first.title().startswith("⇄")
    assert first.console is not None and second.console is not None
    with qtbot.waitSignal(first.console.execution_finished, timeout=30_000):
        first.console.execute("shared_value = 7 * 6\nprint(shared_value)")
    qtbot.waitUntil(lambda: "42" in second.console.transcript_text(), timeout=10_000)
    assert run(qtbot, second.console, "print(shared_value + 1)")[-1].text == "43\n"
    qtbot.waitUntil(lambda: not first.running_code, timeout=10_000)  # the first tab sees it end too
    kernel_id = first.session.kernel.kernel_id if first.session else ""
    close_window(qtbot, window)
    assert kernel_id not in jupyter_server.kernel_ids()


def test_a_kernel_that_dies_on_the_server_is_said_apart_from_a_lost_connection(
    qtbot: QtBot, jupyter_server: RunningServer
) -> None:
    import os
    import signal

    session = start_kernel("python3", server=jupyter_server.url, token=jupyter_server.token)
    console = open_console(qtbot, session)
    run(qtbot, console, "import os\nbefore = 1\nprint(os.getpid())")
    pid = int(console.outputs()[-1].text)
    os.kill(pid, signal.SIGKILL)  # the server notices, restarts it and says "restarting" on iopub
    qtbot.waitUntil(lambda: "died on" in console.transcript_text(), timeout=30_000)
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=60_000)
    assert "was lost" not in console.transcript_text()  # not mistaken for a dropped connection
    assert "NameError" in run(qtbot, console, "before")[-1].text
    with qtbot.waitSignal(session.closed, timeout=20_000):
        session.shutdown()
