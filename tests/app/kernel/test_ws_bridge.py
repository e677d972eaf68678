"""WebSocketTransport against real Jupyter Servers and a Kernel Gateway, through KernelClient."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from jupyter_client.session import Session
from pytestqt.qtbot import QtBot

from conch.app.kernel.client import KernelClient
from conch.app.kernel.transport import Message
from conch.app.kernel.ws_bridge import WebSocketTransport
from conch.app.kernel.ws_framing import LEGACY_PROTOCOL, V1_PROTOCOL
from conch.app.kernel.ws_losses import ConnectionLost, ConnectionState, LostReason
from tests.app.kernel.tcp_proxy import CuttableProxy
from tests.remote_servers import RunningServer, free_port
from tests.remote_servers import hub_like_server, jupyter_server, kernel_gateway, legacy_jupyter_server  # noqa: F401

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
READY_MS = 30_000
RUN_MS = 20_000


def channels_url(base: str, kernel_id: str, session_id: str) -> str:
    return base.replace("http", "ws", 1) + f"api/kernels/{kernel_id}/channels?session_id={session_id}"


class Console:
    """A KernelClient over a WebSocketTransport, recording what arrives."""

    def __init__(self, url: str, token: str, **options: Any) -> None:
        session = Session(key=b"")
        self.transport = WebSocketTransport(url, token, session, **options)
        self.client = KernelClient(self.transport, session)
        self.iopub: list[Message] = []
        self.finished: dict[str, Message] = {}
        self.stdin: list[Message] = []
        self.problems: list[str] = []
        self.heartbeats: list[bool] = []
        self.states: list[str] = []
        self.losses: list[ConnectionLost] = []
        self.client.iopub_message.connect(self.iopub.append)
        self.client.execution_finished.connect(lambda msg_id, reply: self.finished.__setitem__(msg_id, reply))
        self.client.stdin_request.connect(self.stdin.append)
        self.client.problem.connect(self.problems.append)
        self.client.heartbeat.connect(self.heartbeats.append)
        self.transport.connecting.connect(lambda: self.states.append("connecting"))
        self.transport.opened.connect(lambda protocol: self.states.append(f"open {protocol or 'legacy'}"))
        self.transport.lost.connect(self.losses.append)

    def start(self, qtbot: QtBot) -> None:
        self.client.start()
        qtbot.waitUntil(lambda: self.client.kernel_info is not None, timeout=READY_MS)

    def run(self, qtbot: QtBot, code: str, timeout: int = RUN_MS) -> str:
        msg_id = self.client.execute(code)
        qtbot.waitUntil(lambda: msg_id in self.finished, timeout=timeout)
        return msg_id

    def outputs(self, msg_id: str, msg_type: str) -> list[Message]:
        return [m for m in self.iopub if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == msg_type]

    def stdout(self, msg_id: str) -> str:
        return "".join(m["content"]["text"] for m in self.outputs(msg_id, "stream") if m["content"]["name"] == "stdout")

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def consoles() -> Iterator[list[Console]]:
    made: list[Console] = []
    yield made
    for console in made:
        console.close()


@pytest.fixture
def kernels() -> Iterator[list[tuple[RunningServer, str]]]:
    started: list[tuple[RunningServer, str]] = []
    yield started
    for server, kernel_id in started:
        server.rest("DELETE", f"api/kernels/{kernel_id}")


def open_console(
    server: RunningServer, consoles: list[Console], kernels: list[tuple[RunningServer, str]], **options: Any
) -> Console:
    kernel_id = server.start_kernel()
    kernels.append((server, kernel_id))
    console = Console(channels_url(server.url, kernel_id, str(uuid.uuid4())), server.token, **options)
    consoles.append(console)
    return console


@pytest.mark.parametrize(
    ("server_name", "options", "expected_protocol"),
    [
        ("jupyter_server", {}, V1_PROTOCOL),
        ("legacy_jupyter_server", {}, LEGACY_PROTOCOL),
        ("jupyter_server", {"protocols": ()}, LEGACY_PROTOCOL),
        ("hub_like_server", {}, V1_PROTOCOL),
        ("kernel_gateway", {}, V1_PROTOCOL),
    ],
)
def test_a_console_session_end_to_end(
    qtbot: QtBot, request: pytest.FixtureRequest, consoles: list[Console], kernels: list[tuple[RunningServer, str]],
    server_name: str, options: dict[str, Any], expected_protocol: str,
) -> None:  # fmt: skip
    server: RunningServer = request.getfixturevalue(server_name)
    console = open_console(server, consoles, kernels, **options)
    console.start(qtbot)
    assert console.transport.protocol == expected_protocol
    assert console.states[:2] == ["connecting", f"open {expected_protocol or 'legacy'}"]
    assert console.client.kernel_info is not None
    assert console.client.kernel_info["protocol_version"].startswith("5.")
    assert console.transport.kernel_seen and console.transport.heartbeat_ok

    msg_id = console.run(qtbot, "print('hello over a WebSocket')")
    assert console.stdout(msg_id) == "hello over a WebSocket\n"
    assert console.finished[msg_id]["content"]["status"] == "ok"
    header = console.finished[msg_id]["header"]
    assert header["date"].tzinfo is not None  # dates parsed, as over ZMQ

    code = f"from IPython.display import display, Image\nimport base64\ndisplay(Image(base64.b64decode('{PNG}')))"
    msg_id = console.run(qtbot, code)
    [display] = console.outputs(msg_id, "display_data")
    assert display["content"]["data"]["image/png"] == PNG

    msg_id = console.run(qtbot, "1/0")
    [error] = console.outputs(msg_id, "error")
    assert error["content"]["ename"] == "ZeroDivisionError"
    assert console.finished[msg_id]["content"]["status"] == "error"

    msg_id = console.client.execute("name = input('name? ')\nprint('hi', name)")
    qtbot.waitUntil(lambda: bool(console.stdin), timeout=RUN_MS)
    assert console.stdin[0]["content"]["prompt"] == "name? "
    console.client.input_reply("ada")
    qtbot.waitUntil(lambda: msg_id in console.finished, timeout=RUN_MS)
    assert "hi ada" in console.stdout(msg_id)

    replies: list[Message] = []
    console.client.complete("import o", 8, replies.append)
    qtbot.waitUntil(lambda: bool(replies), timeout=RUN_MS)
    assert "os" in replies[0]["content"]["matches"]
    assert console.problems == [] and console.transport.dropped_messages == 0


@pytest.mark.parametrize("server_name", ["jupyter_server", "legacy_jupyter_server"])
def test_a_message_bigger_than_a_mebibyte(
    qtbot: QtBot, request: pytest.FixtureRequest, consoles: list[Console], kernels: list[tuple[RunningServer, str]],
    server_name: str,
) -> None:  # fmt: skip
    console = open_console(request.getfixturevalue(server_name), consoles, kernels)
    console.start(qtbot)
    # 2.5 MB: the server's default iopub_data_rate_limit (1 MB/s over 3 s) drops a bigger one.
    msg_id = console.run(qtbot, "print('x' * 2_500_000)")
    text = console.stdout(msg_id)
    assert text == "x" * 2_500_000 + "\n"
    assert len(console.outputs(msg_id, "stream")) > 1  # handed on in pieces across event-loop turns


def test_wrong_token_is_lost_with_http_403(
    qtbot: QtBot, jupyter_server: RunningServer, consoles: list[Console], kernels: list[tuple[RunningServer, str]]
) -> None:
    kernel_id = jupyter_server.start_kernel()
    kernels.append((jupyter_server, kernel_id))
    console = Console(channels_url(jupyter_server.url, kernel_id, str(uuid.uuid4())), "not-the-token")
    consoles.append(console)
    console.client.start()
    qtbot.waitUntil(lambda: bool(console.losses), timeout=READY_MS)
    [lost] = console.losses
    assert lost.reason is LostReason.HTTP_STATUS and lost.http_status == 403
    assert "403" in lost.text and "token" in lost.text
    assert "not-the-token" not in lost.text and jupyter_server.token not in lost.text
    assert console.transport.state is ConnectionState.LOST
    assert console.heartbeats == [False]


def test_unknown_kernel_is_lost_with_http_404(qtbot: QtBot, jupyter_server: RunningServer, consoles: list[Console]) -> None:
    console = Console(channels_url(jupyter_server.url, str(uuid.uuid4()), str(uuid.uuid4())), jupyter_server.token)
    consoles.append(console)
    console.client.start()
    qtbot.waitUntil(lambda: bool(console.losses), timeout=READY_MS)
    [lost] = console.losses
    assert lost.reason is LostReason.HTTP_STATUS and lost.http_status == 404
    assert "no such kernel" in lost.text


def test_refused_port_is_lost_as_refused(qtbot: QtBot, consoles: list[Console]) -> None:
    port = free_port()
    console = Console(f"ws://127.0.0.1:{port}/api/kernels/k/channels?session_id=s", "token")
    consoles.append(console)
    console.client.start()
    qtbot.waitUntil(lambda: bool(console.losses), timeout=READY_MS)
    [lost] = console.losses
    assert lost.reason is LostReason.REFUSED
    assert f"127.0.0.1:{port}" in lost.text


def test_a_drop_mid_cell_then_reconnect_delivers_every_line_once(
    qtbot: QtBot, tmp_path: Path, jupyter_server: RunningServer, consoles: list[Console],
    kernels: list[tuple[RunningServer, str]],
) -> None:  # fmt: skip
    kernel_id = jupyter_server.start_kernel()
    kernels.append((jupyter_server, kernel_id))
    with CuttableProxy("127.0.0.1", jupyter_server.port) as proxy:
        url = channels_url(f"http://127.0.0.1:{proxy.port}/", kernel_id, str(uuid.uuid4()))
        console = Console(url, jupyter_server.token)
        consoles.append(console)
        console.start(qtbot)
        marker = tmp_path / "printed-12"
        code = (
            "import time, pathlib\n"
            "for i in range(25):\n"
            "    print(f'line {i}', flush=True)\n"
            f"    if i == 12: pathlib.Path({str(marker)!r}).touch()\n"
            "    time.sleep(0.1)\n"
        )
        msg_id = console.client.execute(code)
        qtbot.waitUntil(lambda: "line 5\n" in console.stdout(msg_id), timeout=RUN_MS)
        proxy.cut()
        qtbot.waitUntil(lambda: bool(console.losses), timeout=RUN_MS)
        assert console.losses[0].reason is LostReason.DROPPED
        assert console.heartbeats == [False]
        # Lines 6…12 are printed while nobody is connected: the server buffers them.
        qtbot.waitUntil(marker.exists, timeout=RUN_MS)
        before_reconnect = console.stdout(msg_id).splitlines()
        console.transport.reconnect()
        qtbot.waitUntil(lambda: msg_id in console.finished, timeout=RUN_MS)
    lines = console.stdout(msg_id).splitlines()
    assert lines == [f"line {i}" for i in range(25)]
    assert 6 <= len(before_reconnect) <= 12  # so line 12 at least came from the server's replay
    assert "Replaying" in jupyter_server.stderr()
    assert console.heartbeats == [False, True]
    assert console.states == ["connecting", "open " + V1_PROTOCOL, "connecting", "open " + V1_PROTOCOL]


def test_messages_sent_while_disconnected_are_held_until_reconnected(
    qtbot: QtBot, jupyter_server: RunningServer, consoles: list[Console], kernels: list[tuple[RunningServer, str]]
) -> None:
    kernel_id = jupyter_server.start_kernel()
    kernels.append((jupyter_server, kernel_id))
    with CuttableProxy("127.0.0.1", jupyter_server.port) as proxy:
        url = channels_url(f"http://127.0.0.1:{proxy.port}/", kernel_id, str(uuid.uuid4()))
        console = Console(url, jupyter_server.token)
        consoles.append(console)
        console.start(qtbot)
        proxy.cut()
        qtbot.waitUntil(lambda: bool(console.losses), timeout=RUN_MS)
        msg_id = console.client.execute("print(6 * 7)")  # queued: not connected
        console.transport.reconnect()
        qtbot.waitUntil(lambda: msg_id in console.finished, timeout=RUN_MS)
    assert console.stdout(msg_id) == "42\n"
