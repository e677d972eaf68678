"""ZmqTransport: a scripted fake kernel for the hard edges, a real ipykernel for the rest."""
from __future__ import annotations

import socket
import time
from typing import Any, Iterator

import pytest
import zmq
from jupyter_client.session import Session
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from conch.app.kernel import zmq_bridge
from conch.app.kernel.client import KernelClient, session_for
from conch.app.kernel.transport import CONTROL, IOPUB, SHELL, Message
from conch.app.kernel.zmq_bridge import ZmqTransport
from conch.app.kernel.status import KernelStatus


class Inbox:
    """The three transport callbacks, recording what they got."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Message]] = []
        self.problems: list[str] = []
        self.heartbeats: list[bool] = []

    def on_message(self, channel: str, message: Message) -> None:
        self.messages.append((channel, message))

    def start(self, transport: ZmqTransport) -> None:
        transport.start(self.on_message, self.problems.append, self.heartbeats.append)

    def of_type(self, msg_type: str) -> list[Message]:
        return [m for _, m in self.messages if m["msg_type"] == msg_type]


class FakeKernel:
    """Bound kernel-side sockets the test drives by hand (ROUTERs, an XPUB, a REP)."""

    def __init__(self, unbound: tuple[str, ...] = ()) -> None:
        self.context: zmq.Context[Any] = zmq.Context()
        self.session = Session(key=b"secret")
        self.sockets: dict[str, zmq.Socket[Any]] = {}
        self.info: dict[str, Any] = {"transport": "tcp", "ip": "127.0.0.1", "key": "secret",
                                     "signature_scheme": "hmac-sha256"}
        kinds = {"shell": zmq.ROUTER, "control": zmq.ROUTER, "stdin": zmq.ROUTER,
                 "iopub": zmq.XPUB, "hb": zmq.REP}
        for name, kind in kinds.items():
            if name in unbound:  # a free port nobody listens on (yet): see bind()
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    self.info[f"{name}_port"] = probe.getsockname()[1]
                continue
            sock = self.context.socket(kind)
            sock.linger = 0
            sock.sndhwm = 0
            self.info[f"{name}_port"] = sock.bind_to_random_port("tcp://127.0.0.1")
            self.sockets[name] = sock
        self._subscribed = False

    def bind(self, name: str, kind: int) -> None:
        sock = self.context.socket(kind)
        sock.linger = 0
        sock.bind(f"tcp://127.0.0.1:{self.info[name + '_port']}")
        self.sockets[name] = sock

    def subscribed(self) -> bool:
        """Polled by waitUntil: has the transport's SUB subscription arrived?"""
        try:
            frame = self.sockets["iopub"].recv(zmq.NOBLOCK)
        except zmq.Again:
            return self._subscribed
        self._subscribed = self._subscribed or frame.startswith(b"\x01")
        return self._subscribed

    def publish(self, msg_type: str, content: dict[str, Any]) -> None:
        self.session.send(self.sockets["iopub"], msg_type, content)

    def publish_raw(self, frames: list[bytes]) -> None:
        self.sockets["iopub"].send_multipart(frames)

    def echo_heartbeats(self) -> None:
        hb = self.sockets["hb"]
        while True:
            try:
                hb.send(hb.recv(zmq.NOBLOCK))
            except zmq.Again:
                return

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close(linger=0)
        self.context.term()


@pytest.fixture
def fake(qtbot: QtBot) -> Iterator[FakeKernel]:
    kernel = FakeKernel()
    yield kernel
    kernel.close()


@pytest.fixture
def fake_transport(qtbot: QtBot, fake: FakeKernel) -> Iterator[tuple[ZmqTransport, Inbox]]:
    """A transport connected to ``fake`` whose IOPub subscription has landed."""
    transport = ZmqTransport(fake.info, session_for(fake.info), heartbeat_interval=60, heartbeat_timeout=60)
    inbox = Inbox()
    inbox.start(transport)
    qtbot.waitUntil(fake.subscribed, timeout=5_000)
    yield transport, inbox
    transport.close()


def test_a_flood_is_delivered_in_order_across_many_event_loop_turns(
    qtbot: QtBot, fake: FakeKernel, fake_transport: tuple[ZmqTransport, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    transport, inbox = fake_transport
    monkeypatch.setattr(zmq_bridge, "DRAIN_SLICE", 0.0)  # yield after every message
    count = 3000
    ticks_during_flood = 0

    def tick() -> None:
        nonlocal ticks_during_flood
        if 0 < len(inbox.messages) < count:
            ticks_during_flood += 1

    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(tick)
    ticker.start()
    for i in range(count):  # all queued before the transport may read any of them
        fake.publish("stream", {"name": "stdout", "text": f"{i}\n"})
    qtbot.waitUntil(lambda: len(inbox.messages) >= count, timeout=30_000)
    ticker.stop()
    assert [m["content"]["text"] for _, m in inbox.messages] == [f"{i}\n" for i in range(count)]
    assert {channel for channel, _ in inbox.messages} == {IOPUB}
    # Each drain returned to the event loop, and the zero-timer picked up what the
    # edge-triggered FD would never have announced again.
    assert ticks_during_flood >= count // 2
    assert transport.dropped_messages == 0


def test_invalid_messages_are_dropped_counted_and_reported_at_most_once_a_second(
    qtbot: QtBot, fake: FakeKernel, fake_transport: tuple[ZmqTransport, Inbox]
) -> None:
    transport, inbox = fake_transport
    forger = Session(key=b"not-the-key")
    good = fake.session.serialize(fake.session.msg("stream", {"name": "stdout", "text": "ok\n"}))
    fake.publish_raw(forger.serialize(forger.msg("stream", {"name": "stdout", "text": "evil\n"})))
    fake.publish_raw([b"no delimiter", b"at all"])
    fake.publish_raw([b"<IDS|MSG>", fake.session.sign([b"{", b"{}", b"{}", b"{}"]), b"{", b"{}", b"{}", b"{}"])
    fake.publish_raw(good)
    fake.publish_raw(good)  # a replayed signature is refused too
    for _ in range(20):
        fake.publish_raw(forger.serialize(forger.msg("stream", {"name": "stdout", "text": "evil\n"})))
    qtbot.waitUntil(lambda: transport.dropped_messages == 24, timeout=5_000)
    assert [m["content"]["text"] for _, m in inbox.messages] == ["ok\n"]
    assert len(inbox.problems) == 1 and "Invalid Signature" in inbox.problems[0]
    # The rest are summarised once the second has passed.
    qtbot.waitUntil(lambda: len(inbox.problems) == 2, timeout=3_000)
    assert "23 invalid messages" in inbox.problems[1]


def test_a_failing_handler_does_not_stop_delivery_and_close_inside_a_handler_is_safe(
    qtbot: QtBot, fake: FakeKernel
) -> None:
    transport = ZmqTransport(fake.info, session_for(fake.info), heartbeat_interval=60, heartbeat_timeout=60)
    seen: list[str] = []

    def handler(channel: str, message: Message) -> None:
        seen.append(message["content"]["text"])
        if len(seen) == 1:
            raise RuntimeError("observer bug")
        if len(seen) == 3:
            transport.close()

    transport.start(handler, lambda text: None, lambda ok: None)
    try:
        qtbot.waitUntil(fake.subscribed, timeout=5_000)
        for text in ("a", "b", "c", "d"):
            fake.publish("stream", {"name": "stdout", "text": text})
        qtbot.waitUntil(lambda: len(seen) == 3, timeout=5_000)
        qtbot.wait(100)
        assert seen == ["a", "b", "c"]
    finally:
        transport.close()  # idempotent
    transport.send(SHELL, fake.session.msg("kernel_info_request"))  # ignored, no error
    with pytest.raises(ValueError):
        transport.send(IOPUB, fake.session.msg("kernel_info_request"))


def test_sends_wait_until_every_channel_is_connected(qtbot: QtBot) -> None:
    fake = FakeKernel(unbound=("stdin",))  # the transport's stdin cannot connect yet
    transport = ZmqTransport(fake.info, session_for(fake.info), heartbeat_interval=60, heartbeat_timeout=60)
    inbox = Inbox()
    inbox.start(transport)
    shell = fake.sockets["shell"]
    try:
        request = fake.session.msg("execute_request", {"code": "input()"})
        transport.send(SHELL, request)
        qtbot.wait(300)
        # The kernel would answer with an input_request its stdin ROUTER would drop.
        assert shell.poll(0) == 0
        fake.bind("stdin", zmq.ROUTER)
        qtbot.waitUntil(lambda: shell.poll(0) != 0, timeout=5_000)
        frames = shell.recv_multipart()
        _, parts = fake.session.feed_identities(frames)
        assert fake.session.deserialize(parts)["msg_id"] == request["msg_id"]
    finally:
        transport.close()
        fake.close()


def fast_heartbeat(fake: FakeKernel) -> tuple[ZmqTransport, Inbox]:
    """A started transport on ``fake`` pinging every 50 ms with a 0.3 s deadline."""
    transport = ZmqTransport(
        fake.info, session_for(fake.info), heartbeat_interval=0.05, heartbeat_timeout=0.3,
        heartbeat_startup_grace=0,
    )
    inbox = Inbox()
    inbox.start(transport)
    return transport, inbox


def test_heartbeat_loss_recreates_the_socket_and_recovers(qtbot: QtBot, fake: FakeKernel) -> None:
    transport, inbox = fast_heartbeat(fake)
    try:
        qtbot.waitUntil(lambda: inbox.heartbeats == [False], timeout=3_000)  # nobody answers
        assert transport.heartbeat_ok is False
        echo = QTimer()
        echo.setInterval(10)
        echo.timeout.connect(fake.echo_heartbeats)
        echo.start()
        qtbot.waitUntil(lambda: inbox.heartbeats == [False, True], timeout=3_000)
        assert transport.heartbeat_ok is True
        qtbot.wait(500)  # several more ping/pong rounds change nothing
        echo.stop()
        assert inbox.heartbeats == [False, True]
    finally:
        transport.close()


def test_a_pong_that_came_while_the_ui_was_frozen_is_not_a_missed_heartbeat(qtbot: QtBot, fake: FakeKernel) -> None:
    transport, inbox = fast_heartbeat(fake)
    hb = fake.sockets["hb"]
    try:
        for _ in range(3):
            qtbot.waitUntil(lambda: bool(hb.poll(0)), timeout=3_000)  # a ping is out
            fake.echo_heartbeats()  # the kernel answers at once...
            time.sleep(0.6)  # ...while the UI thread is busy for twice the deadline
            qtbot.waitUntil(lambda: bool(hb.poll(0)), timeout=3_000)  # the next ping: all due was handled
        assert inbox.heartbeats == [] and transport.heartbeat_ok
    finally:
        transport.close()


def test_kernel_info_round_trip_on_shell_and_control(qtbot: QtBot, connection_info: dict[str, Any]) -> None:
    session = session_for(connection_info)
    transport = ZmqTransport(connection_info, session)
    inbox = Inbox()
    inbox.start(transport)
    try:
        shell_req = session.msg("kernel_info_request")
        control_req = session.msg("kernel_info_request")
        transport.send(SHELL, shell_req)
        transport.send(CONTROL, control_req)
        qtbot.waitUntil(lambda: len(inbox.of_type("kernel_info_reply")) == 2, timeout=30_000)
        by_parent = {m["parent_header"]["msg_id"]: ch for ch, m in inbox.messages
                     if m["msg_type"] == "kernel_info_reply"}
        assert by_parent == {shell_req["msg_id"]: SHELL, control_req["msg_id"]: CONTROL}
        reply = inbox.of_type("kernel_info_reply")[0]["content"]
        assert reply["language_info"]["name"] == "python"
        assert transport.dropped_messages == 0 and inbox.problems == [] and inbox.heartbeats == []
        assert transport.heartbeat_ok
    finally:
        transport.close()
        transport.close()


def test_a_client_with_the_wrong_key_sees_nothing(qtbot: QtBot, connection_info: dict[str, Any]) -> None:
    session = session_for(connection_info)
    good = KernelClient(ZmqTransport(connection_info, session), session)
    wrong_info = dict(connection_info, key="definitely-not-the-key")
    wrong = ZmqTransport(wrong_info, session_for(wrong_info))
    wrong_inbox = Inbox()
    finished: list[str] = []
    streams: list[str] = []
    good.execution_finished.connect(lambda msg_id, reply: finished.append(msg_id))
    good.iopub_message.connect(
        lambda m: streams.append(m["content"]["text"])
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout" else None
    )
    try:
        # The kernel greets its first IOPub subscriber (iopub_welcome): once the wrong
        # client has refused that, its subscription is in place.
        wrong_inbox.start(wrong)
        qtbot.waitUntil(lambda: wrong.dropped_messages >= 1, timeout=30_000)
        good.start()
        qtbot.waitUntil(lambda: good.status is KernelStatus.IDLE, timeout=30_000)
        before = wrong.dropped_messages
        msg_id = good.execute("print('secret output')")
        qtbot.waitUntil(lambda: msg_id in finished, timeout=10_000)
        assert streams == ["secret output\n"]
        # busy, execute_input, stream, idle at least: every one of them refused.
        qtbot.waitUntil(lambda: wrong.dropped_messages >= before + 4, timeout=5_000)
        assert wrong_inbox.messages == []
        assert wrong_inbox.problems and "Invalid Signature" in wrong_inbox.problems[0]
        assert good.transport.dropped_messages == 0
    finally:
        good.close()
        wrong.close()
