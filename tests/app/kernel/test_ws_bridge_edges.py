"""WebSocketTransport against scripted WebSocket peers: the edges a real server rarely shows."""
from __future__ import annotations

import hashlib
import logging
import shutil
import ssl
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from jupyter_client.session import Session
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from conch.app.kernel import ws_bridge
from conch.app.kernel.transport import IOPUB, SHELL, Message
from conch.app.kernel.ws_bridge import WebSocketTransport
from conch.app.kernel.ws_framing import V1_PROTOCOL
from conch.app.kernel.ws_losses import ConnectionLost, ConnectionState, LostReason
from tests.app.kernel.ws_test_servers import ScriptedServer, SilentServer, self_signed_certificate

KERNEL = Session(key=b"")
WAIT_MS = 10_000


def stream(text: str) -> Message:
    message: Message = KERNEL.msg("stream", {"name": "stdout", "text": text})
    return message


def v1(message: Message, channel: str = IOPUB) -> bytes:
    frame: bytes = serialize_msg_to_ws_v1(message, channel, KERNEL.pack)
    return frame


class Peer:
    """A transport and everything it reported."""

    def __init__(self, url: str, **options: Any) -> None:
        self.transport = WebSocketTransport(url, "sekrit-token", Session(key=b""), **options)
        self.messages: list[tuple[str, Message]] = []
        self.problems: list[str] = []
        self.heartbeats: list[bool] = []
        self.losses: list[ConnectionLost] = []
        self.opened: list[str] = []
        self.transport.lost.connect(self.losses.append)
        self.transport.opened.connect(self.opened.append)

    def start(self) -> None:
        self.transport.start(lambda channel, message: self.messages.append((channel, message)),
                             self.problems.append, self.heartbeats.append)  # fmt: skip

    def texts(self) -> list[str]:
        return [m["content"]["text"] for _, m in self.messages if m["msg_type"] == "stream"]


@pytest.fixture
def cleanup() -> Iterator[list[Any]]:
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        thing.close()


def start_peer(cleanup: list[Any], url: str, **options: Any) -> Peer:
    peer = Peer(url, **options)
    cleanup.append(peer.transport)
    peer.start()
    return peer


def serve(cleanup: list[Any], script: Any, **options: Any) -> ScriptedServer:
    server = ScriptedServer(script, **options)
    cleanup.append(server)
    return server


def hold_open(connection: ServerConnection) -> None:
    try:
        for _ in connection:  # until the client goes
            pass
    except ConnectionClosed:
        pass


def test_the_upgrade_carries_the_token_and_offers_v1_and_the_token_is_never_logged(
    qtbot: QtBot, cleanup: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(cleanup, lambda c: (c.send(v1(stream("hi\n"))), hold_open(c)))
    peer = start_peer(cleanup, server.url())
    qtbot.waitUntil(lambda: peer.texts() == ["hi\n"], timeout=WAIT_MS)
    headers = server.requests[0]
    assert headers["Authorization"] == "token sekrit-token"
    assert headers["Sec-WebSocket-Protocol"] == V1_PROTOCOL
    assert peer.opened == [V1_PROTOCOL] and peer.transport.state is ConnectionState.OPEN
    ours = [record for record in caplog.records if not record.name.startswith("websockets.server")]
    assert ours and not any("sekrit" in record.getMessage() for record in ours)


def test_messages_sent_before_the_upgrade_are_held_and_sent_in_order(qtbot: QtBot, cleanup: list[Any]) -> None:
    received: list[str] = []

    def record(connection: ServerConnection) -> None:
        for frame in connection:
            assert isinstance(frame, bytes)
            channel, parts = deserialize_msg_from_ws_v1(frame)
            received.append(f"{channel} {KERNEL.unpack(parts[0])['msg_type']}")

    server = serve(cleanup, record)
    peer = start_peer(cleanup, server.url())
    for msg_type in ("kernel_info_request", "execute_request", "complete_request"):
        peer.transport.send(SHELL, KERNEL.msg(msg_type, {}))
    assert peer.transport.state is ConnectionState.CONNECTING
    qtbot.waitUntil(lambda: len(received) == 3, timeout=WAIT_MS)
    assert received == ["shell kernel_info_request", "shell execute_request", "shell complete_request"]


def test_malformed_frames_are_dropped_counted_and_reported_at_most_once_a_second(
    qtbot: QtBot, cleanup: list[Any]
) -> None:
    def garbage_then_good(connection: ServerConnection) -> None:
        connection.send(b"\x01\x00")
        connection.send("a text frame in v1")
        for _ in range(20):
            connection.send(b"\xff" * 40)
        connection.send(v1(stream("still fine\n")))
        hold_open(connection)

    server = serve(cleanup, garbage_then_good)
    peer = start_peer(cleanup, server.url())
    qtbot.waitUntil(lambda: peer.texts() == ["still fine\n"], timeout=WAIT_MS)
    assert peer.transport.dropped_messages == 22
    qtbot.waitUntil(lambda: len(peer.problems) == 2, timeout=WAIT_MS)  # the first, then one summary
    assert "too short" in peer.problems[0]
    assert peer.problems[1].startswith("Dropped 21 invalid messages")
    assert peer.transport.state is ConnectionState.OPEN


def test_a_flood_is_delivered_in_order_across_many_event_loop_turns(
    qtbot: QtBot, cleanup: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 3000
    frames = [v1(stream(f"{i}\n")) for i in range(count)]
    server = serve(cleanup, lambda c: ([c.send(frame) for frame in frames], hold_open(c)))
    monkeypatch.setattr(ws_bridge, "PUMP_SLICE", 0.0)  # yield after every step
    peer = start_peer(cleanup, server.url())
    ticks_during_flood = 0

    def tick() -> None:
        nonlocal ticks_during_flood
        ticks_during_flood += 0 < len(peer.messages) < count

    ticker = QTimer()
    ticker.timeout.connect(tick)
    ticker.start(0)
    qtbot.waitUntil(lambda: len(peer.messages) >= count, timeout=30_000)
    ticker.stop()
    assert peer.texts() == [f"{i}\n" for i in range(count)]
    assert ticks_during_flood >= count // 2


def test_a_huge_stream_message_is_handed_on_in_pieces(qtbot: QtBot, cleanup: list[Any]) -> None:
    text = "".join(f"{i:07d} some text on a line\n" for i in range(300_000))  # 9 MB
    server = serve(cleanup, lambda c: (c.send(v1(stream(text))), c.send(v1(stream("after\n"))), hold_open(c)))
    peer = start_peer(cleanup, server.url())
    qtbot.waitUntil(lambda: peer.texts()[-1:] == ["after\n"], timeout=30_000)
    texts = peer.texts()
    assert "".join(texts[:-1]) == text
    assert len(texts) > 2
    assert len({m["header"]["msg_id"] for _, m in peer.messages[:-1]}) == 1  # pieces of one message


def test_legacy_frames_with_and_without_buffers(qtbot: QtBot, cleanup: list[Any]) -> None:
    with_buffers = {**KERNEL.msg("comm_msg", {"data": {}}), "buffers": [b"\x00\x01\x02"], "channel": IOPUB}
    plain = {**stream("plain\n"), "channel": IOPUB}

    def legacy(connection: ServerConnection) -> None:
        connection.send(serialize_binary_message(with_buffers))
        connection.send(KERNEL.pack(plain).decode())
        hold_open(connection)

    server = serve(cleanup, legacy, v1=False)
    peer = start_peer(cleanup, server.url())
    qtbot.waitUntil(lambda: len(peer.messages) == 2, timeout=WAIT_MS)
    assert peer.opened == [""]
    (_, comm), (_, printed) = peer.messages
    assert [bytes(b) for b in comm["buffers"]] == [b"\x00\x01\x02"]
    assert printed["content"]["text"] == "plain\n"


def test_a_close_from_the_server_is_lost_with_its_code_and_reason(qtbot: QtBot, cleanup: list[Any]) -> None:
    server = serve(cleanup, lambda c: (c.send(v1(stream("last words\n"))), c.close(4001, "kernel gone")))
    peer = start_peer(cleanup, server.url())
    qtbot.waitUntil(lambda: bool(peer.losses), timeout=WAIT_MS)
    [lost] = peer.losses
    assert (lost.reason, lost.close_code, lost.close_reason) == (LostReason.CLOSED, 4001, "kernel gone")
    assert "4001" in lost.text and "kernel gone" in lost.text
    qtbot.waitUntil(lambda: peer.texts() == ["last words\n"], timeout=WAIT_MS)
    assert peer.heartbeats == [False] and not peer.transport.heartbeat_ok


def test_the_servers_pings_are_answered(qtbot: QtBot, cleanup: list[Any]) -> None:
    server = serve(cleanup, hold_open, ping_interval=0.1)
    start_peer(cleanup, server.url(), ping_interval=60)  # none of our own: every pong answers the server
    qtbot.waitUntil(lambda: any(c.latency > 0 for c in server.connections()), timeout=WAIT_MS)


def test_silence_after_the_upgrade_is_lost_as_a_ping_timeout(qtbot: QtBot, cleanup: list[Any]) -> None:
    server = SilentServer(upgrade=True)
    cleanup.append(server)
    peer = start_peer(cleanup, server.url(), ping_interval=0.1, ping_timeout=0.5)
    qtbot.waitUntil(lambda: bool(peer.losses), timeout=WAIT_MS)
    assert peer.opened == [V1_PROTOCOL]
    assert peer.losses[0].reason is LostReason.PING_TIMEOUT
    assert peer.heartbeats == [False]


def test_no_answer_to_the_upgrade_is_lost_as_a_connect_timeout(qtbot: QtBot, cleanup: list[Any]) -> None:
    server = SilentServer(upgrade=False)
    cleanup.append(server)
    peer = start_peer(cleanup, server.url(), connect_timeout=0.3)
    qtbot.waitUntil(lambda: bool(peer.losses), timeout=WAIT_MS)
    assert peer.losses[0].reason is LostReason.CONNECT_TIMEOUT and peer.opened == []


def test_reconnecting_from_inside_the_lost_handler(qtbot: QtBot, cleanup: list[Any]) -> None:
    connections = iter(range(100))
    lock = threading.Lock()

    def first_closes(connection: ServerConnection) -> None:
        with lock:
            number = next(connections)
        if number == 0:
            connection.close(1011, "try again")
            return
        connection.send(v1(stream("second time lucky\n")))
        hold_open(connection)

    server = serve(cleanup, first_closes)
    peer = Peer(server.url())
    cleanup.append(peer.transport)
    peer.transport.lost.connect(lambda _lost: peer.transport.reconnect())
    peer.start()
    qtbot.waitUntil(lambda: peer.texts() == ["second time lucky\n"], timeout=WAIT_MS)
    assert [lost.close_code for lost in peer.losses] == [1011]
    assert peer.heartbeats == []  # reconnected before the loss was worth reporting as a heartbeat
    peer.transport.close()
    peer.transport.close()
    peer.transport.send(SHELL, KERNEL.msg("kernel_info_request", {}))  # dropped quietly once closed
    assert peer.transport.state is ConnectionState.CLOSED


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificate")
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def tls_server(cleanup: list[Any], certificate: tuple[Path, Path]) -> ScriptedServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return serve(cleanup, lambda c: (c.send(v1(stream("secret\n"))), hold_open(c)), ssl_context=context)


def test_an_untrusted_certificate_is_reported_with_its_fingerprint(
    qtbot: QtBot, cleanup: list[Any], certificate: tuple[Path, Path]
) -> None:
    server = tls_server(cleanup, certificate)
    peer = start_peer(cleanup, server.url("wss"))
    qtbot.waitUntil(lambda: bool(peer.losses), timeout=WAIT_MS)
    [lost] = peer.losses
    der = ssl.PEM_cert_to_DER_cert(certificate[0].read_text())
    expected = hashlib.sha256(der).hexdigest().upper()
    assert lost.reason is LostReason.TLS
    assert lost.fingerprint is not None and lost.fingerprint.replace(":", "") == expected
    assert lost.fingerprint in lost.text
    assert peer.messages == [] and peer.opened == []


def test_a_certificate_passed_as_trusted_is_accepted(
    qtbot: QtBot, cleanup: list[Any], certificate: tuple[Path, Path]
) -> None:
    server = tls_server(cleanup, certificate)
    peer = start_peer(cleanup, server.url("https"), ca_certificates=[certificate[0].read_bytes()])
    qtbot.waitUntil(lambda: peer.texts() == ["secret\n"], timeout=WAIT_MS)
    assert peer.losses == []
