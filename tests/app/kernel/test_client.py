"""KernelClient: protocol logic against a scripted transport, then against a real ipykernel."""
from __future__ import annotations

import os
import signal
from typing import Any, Iterator

import pytest
from jupyter_client.session import Session
from pytestqt.qtbot import QtBot

from conch.app.kernel.client import KernelClient, session_for
from conch.app.kernel.launcher import LocalKernelProcess
from conch.app.kernel.transport import (
    CONTROL,
    IOPUB,
    SHELL,
    STDIN,
    HeartbeatHandler,
    Message,
    MessageHandler,
    ProblemHandler,
)
from conch.app.kernel.zmq_bridge import ZmqTransport
from conch.app.kernel.status import KernelStatus


class Recorder:
    """Everything a KernelClient announced, in order."""

    def __init__(self, client: KernelClient) -> None:
        self.client = client
        self.log: list[tuple[str, Any]] = []
        self.iopub: list[Message] = []
        self.finished: list[tuple[str, Message]] = []
        self.statuses: list[str] = []
        self.ready: list[dict[str, Any]] = []
        self.stdin: list[Message] = []
        self.problems: list[str] = []
        self.heartbeats: list[bool] = []
        client.iopub_message.connect(self._on_iopub)
        client.execution_finished.connect(self._on_finished)
        client.status_changed.connect(self._on_status)
        client.kernel_ready.connect(self.ready.append)
        client.stdin_request.connect(self.stdin.append)
        client.problem.connect(self.problems.append)
        client.heartbeat.connect(self.heartbeats.append)

    def _on_iopub(self, message: Message) -> None:
        self.iopub.append(message)
        self.log.append(("iopub", message["msg_type"]))

    def _on_finished(self, msg_id: str, reply: Message) -> None:
        self.finished.append((msg_id, reply))
        self.log.append(("finished", msg_id))

    def _on_status(self, status: str) -> None:
        self.statuses.append(status)
        self.log.append(("status", status))

    def finished_ids(self) -> list[str]:
        return [msg_id for msg_id, _ in self.finished]

    def reply_for(self, msg_id: str) -> Message:
        return next(reply for mid, reply in self.finished if mid == msg_id)

    def outputs_for(self, msg_id: str, msg_type: str | None = None) -> list[Message]:
        return [
            m
            for m in self.iopub
            if m["parent_header"].get("msg_id") == msg_id and msg_type in (None, m["msg_type"])
        ]

    def stream_text(self, msg_id: str, name: str = "stdout") -> str:
        # stdout only by default: ipykernel forwards fd-level stderr (debugpy's
        # startup warning, say) under whichever request happens to be current.
        return "".join(
            m["content"]["text"] for m in self.outputs_for(msg_id, "stream") if m["content"]["name"] == name
        )

    def run(self, qtbot: QtBot, code: str, timeout: int = 10_000, **kwargs: Any) -> str:
        msg_id = self.client.execute(code, **kwargs)
        qtbot.waitUntil(lambda: msg_id in self.finished_ids(), timeout=timeout)
        return msg_id


# -- protocol logic with a scripted transport (no kernel, no Qt) ----------------------


class ScriptedTransport:
    """Records what the client sends; the test plays the kernel's side by hand."""

    def __init__(self) -> None:
        self.kernel = Session(key=b"k")
        self.sent: list[tuple[str, Message]] = []
        self.on_message: MessageHandler | None = None
        self.on_problem: ProblemHandler | None = None
        self.on_heartbeat: HeartbeatHandler | None = None
        self.closed = 0

    def start(self, on_message: MessageHandler, on_problem: ProblemHandler, on_heartbeat: HeartbeatHandler) -> None:
        self.on_message, self.on_problem, self.on_heartbeat = on_message, on_problem, on_heartbeat

    def send(self, channel: str, message: Message) -> None:
        self.sent.append((channel, message))

    @property
    def heartbeat_ok(self) -> bool:
        return True

    @property
    def kernel_seen(self) -> bool:
        return True

    @property
    def dropped_messages(self) -> int:
        return 0

    def close(self) -> None:
        self.closed += 1

    def last(self, msg_type: str) -> Message:
        return [m for _, m in self.sent if m["msg_type"] == msg_type][-1]

    def deliver(self, channel: str, msg_type: str, content: dict[str, Any], parent: Message | None = None) -> None:
        assert self.on_message is not None
        self.on_message(channel, self.kernel.msg(msg_type, content, parent=parent))

    def status(self, state: str, parent: Message | None = None) -> None:
        self.deliver(IOPUB, "status", {"execution_state": state}, parent)

    def make_ready(self, version: str = "5.3") -> None:
        request = self.last("kernel_info_request")
        self.status("busy", request)
        content = {"protocol_version": version, "language_info": {"name": "python"}, "status": "ok"}
        self.deliver(SHELL, "kernel_info_reply", content, request)
        self.status("idle", request)


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptedTransport, KernelClient, Recorder]]:
    transport = ScriptedTransport()
    client = KernelClient(transport, Session(key=b"k"))
    recorder = Recorder(client)
    client.start()
    yield transport, client, recorder
    client.close()


def test_status_is_starting_until_kernel_info_then_follows_iopub(scripted: Any) -> None:
    transport, client, rec = scripted
    assert client.status is KernelStatus.STARTING
    assert transport.sent[0][0] == SHELL and transport.sent[0][1]["msg_type"] == "kernel_info_request"
    transport.status("busy")  # IOPub is connected, but kernel_info has not answered yet
    assert client.status is KernelStatus.STARTING
    transport.make_ready("5.4")
    assert client.status is KernelStatus.IDLE
    assert client.language_info == {"name": "python"}
    assert rec.ready == [client.kernel_info] and rec.problems == []
    transport.status("busy")
    transport.status("restarting")
    assert rec.statuses == [KernelStatus.IDLE, KernelStatus.BUSY, KernelStatus.STARTING]
    client.mark_dead("process exited")
    transport.status("idle")
    assert client.status is KernelStatus.DEAD and rec.statuses[-1] is KernelStatus.DEAD
    assert rec.problems == ["process exited"]


def test_kernel_info_is_held_until_iopub_speaks(scripted: Any) -> None:
    transport, client, rec = scripted
    first = transport.last("kernel_info_request")
    transport.deliver(SHELL, "kernel_info_reply", {"protocol_version": "5.3"}, first)
    # IOPub silent so far: not ready yet, and the kernel is asked again.
    assert client.status is KernelStatus.STARTING and rec.ready == []
    probe = transport.last("kernel_info_request")
    assert probe["msg_id"] != first["msg_id"]
    transport.deliver(IOPUB, "iopub_welcome", {"subscription": ""})
    assert client.status is KernelStatus.IDLE and len(rec.ready) == 1
    transport.deliver(SHELL, "kernel_info_reply", {"protocol_version": "5.3"}, probe)
    assert len(rec.ready) == 1  # the probe's answer is not a second readiness


def test_other_protocol_major_version_is_a_problem(scripted: Any) -> None:
    transport, client, rec = scripted
    transport.make_ready("4.1")
    assert rec.problems and "4.1" in rec.problems[0]
    assert client.status is KernelStatus.IDLE


@pytest.mark.parametrize("reply_first", [True, False])
def test_execution_finishes_once_after_reply_and_idle_in_either_order(scripted: Any, reply_first: bool) -> None:
    transport, client, rec = scripted
    transport.make_ready()
    msg_id = client.execute("1+1")
    request = transport.last("execute_request")
    assert request["msg_id"] == msg_id and request["content"]["code"] == "1+1"
    transport.status("busy", request)
    transport.deliver(IOPUB, "execute_result", {"data": {"text/plain": "2"}}, request)
    if reply_first:
        transport.deliver(SHELL, "execute_reply", {"status": "ok"}, request)
        assert rec.finished == []
        transport.status("idle", request)
    else:
        transport.status("idle", request)
        assert rec.finished == []
        transport.deliver(SHELL, "execute_reply", {"status": "ok"}, request)
    assert [(mid, r["content"]["status"]) for mid, r in rec.finished] == [(msg_id, "ok")]
    # Every IOPub message of the execution was announced before it finished.
    assert rec.log.index(("iopub", "execute_result")) < rec.log.index(("finished", msg_id))
    transport.status("idle", request)
    transport.deliver(SHELL, "execute_reply", {"status": "ok"}, request)
    assert len(rec.finished) == 1


def test_replies_are_routed_by_parent_and_requests_use_their_channels(scripted: Any) -> None:
    transport, client, rec = scripted
    transport.make_ready()
    got: list[Message] = []
    complete_id = client.complete("pri", 3, got.append)
    client.is_complete("for x in y:", got.append)
    client.history(got.append, n=5)
    client.inspect("print", 5, 1, got.append)
    client.interrupt()
    client.shutdown(restart=True)
    channels = {m["msg_type"]: ch for ch, m in transport.sent}
    assert channels["interrupt_request"] == CONTROL and channels["shutdown_request"] == CONTROL
    assert transport.last("shutdown_request")["content"] == {"restart": True}
    assert transport.last("history_request")["content"] == {
        "hist_access_type": "tail", "n": 5, "output": False, "raw": True,
    }
    other = transport.last("is_complete_request")
    transport.deliver(SHELL, "is_complete_reply", {"status": "incomplete"}, other)
    transport.deliver(SHELL, "complete_reply", {"matches": ["print"]}, transport.last("complete_request"))
    assert [m["msg_type"] for m in got] == ["is_complete_reply", "complete_reply"]
    assert got[1]["parent_header"]["msg_id"] == complete_id
    assert rec.finished == []


def test_input_reply_answers_the_input_request_on_stdin(scripted: Any) -> None:
    transport, client, rec = scripted
    transport.make_ready()
    transport.deliver(STDIN, "input_request", {"prompt": "x?", "password": False})
    assert len(rec.stdin) == 1
    client.input_reply("42")
    channel, reply = transport.sent[-1]
    assert (channel, reply["msg_type"], reply["content"]) == (STDIN, "input_reply", {"value": "42"})
    assert reply["parent_header"]["msg_id"] == rec.stdin[0]["msg_id"]
    client.close()
    client.close()
    assert transport.closed == 1


def test_session_for_uses_the_connection_key() -> None:
    session = session_for({"key": "abc", "signature_scheme": "hmac-sha256"})
    assert session.key == b"abc" and session.signature_scheme == "hmac-sha256"


# -- against a real ipykernel ----------------------------------------------------------


@pytest.fixture
def kernel(qtbot: QtBot, connection_info: dict[str, Any]) -> Iterator[Recorder]:
    session = session_for(connection_info)
    transport = ZmqTransport(connection_info, session, heartbeat_interval=0.5, heartbeat_timeout=2.0)
    client = KernelClient(transport, session)
    recorder = Recorder(client)
    client.start()
    try:
        qtbot.waitUntil(lambda: client.status is KernelStatus.IDLE, timeout=30_000)
        yield recorder
    finally:
        client.close()


def test_kernel_info_makes_the_client_idle_with_python_language_info(qtbot: QtBot, kernel: Recorder) -> None:
    client = kernel.client
    # Idle at once; the busy/idle pair IOPub carries for a repeated kernel_info may follow it.
    qtbot.waitUntil(lambda: client.status is KernelStatus.IDLE, timeout=5000)
    assert client.language_info["name"] == "python"
    assert client.kernel_info is not None
    assert str(client.kernel_info["protocol_version"]).startswith("5.")
    assert kernel.ready == [client.kernel_info]
    assert kernel.problems == []


def test_print_streams_and_finishes_exactly_once(qtbot: QtBot, kernel: Recorder) -> None:
    msg_id = kernel.run(qtbot, "print('hi')")
    assert kernel.stream_text(msg_id) == "hi\n"
    assert kernel.reply_for(msg_id)["content"]["status"] == "ok"
    second = kernel.run(qtbot, "2 + 3")  # give a duplicate finish the chance to show up
    assert kernel.outputs_for(second, "execute_result")[0]["content"]["data"]["text/plain"] == "5"
    assert kernel.finished_ids() == [msg_id, second]
    states = [m["content"]["execution_state"] for m in kernel.outputs_for(msg_id, "status")]
    assert states == ["busy", "idle"]
    assert kernel.client.status is KernelStatus.IDLE


def test_error_is_published_and_the_reply_says_error(qtbot: QtBot, kernel: Recorder) -> None:
    msg_id = kernel.run(qtbot, "1/0")
    errors = kernel.outputs_for(msg_id, "error")
    assert len(errors) == 1 and errors[0]["content"]["ename"] == "ZeroDivisionError"
    reply = kernel.reply_for(msg_id)["content"]
    assert reply["status"] == "error" and reply["ename"] == "ZeroDivisionError"


def test_twenty_thousand_lines_arrive_complete_and_in_order(qtbot: QtBot, kernel: Recorder) -> None:
    msg_id = kernel.run(qtbot, "for i in range(20000): print(i)", timeout=60_000)
    assert kernel.stream_text(msg_id).splitlines() == [str(i) for i in range(20000)]
    # Messages flushed one by one really are thousands of ZMQ messages, not a few big ones.
    msg_id = kernel.run(qtbot, "import sys\nfor i in range(3000): print(i, flush=True)", timeout=60_000)
    assert len([m for m in kernel.outputs_for(msg_id, "stream") if m["content"]["name"] == "stdout"]) > 1000
    assert kernel.stream_text(msg_id).splitlines() == [str(i) for i in range(3000)]


def test_input_request_is_answered(qtbot: QtBot, kernel: Recorder) -> None:
    msg_id = kernel.client.execute("answer = input('x?')\nprint('got', answer)", allow_stdin=True)
    qtbot.waitUntil(lambda: len(kernel.stdin) == 1, timeout=10_000)
    request = kernel.stdin[0]
    assert request["content"]["prompt"] == "x?" and not request["content"]["password"]
    assert request["parent_header"]["msg_id"] == msg_id
    kernel.client.input_reply("forty-two")
    qtbot.waitUntil(lambda: msg_id in kernel.finished_ids(), timeout=10_000)
    assert "got forty-two\n" in kernel.stream_text(msg_id)
    assert kernel.reply_for(msg_id)["content"]["status"] == "ok"


def test_interrupt_request_stops_an_endless_loop(qtbot: QtBot, kernel: Recorder) -> None:
    msg_id = kernel.client.execute("while True: pass")
    qtbot.waitUntil(lambda: kernel.client.status is KernelStatus.BUSY, timeout=10_000)
    kernel.client.interrupt()
    qtbot.waitUntil(lambda: msg_id in kernel.finished_ids(), timeout=10_000)
    assert [m["content"]["ename"] for m in kernel.outputs_for(msg_id, "error")] == ["KeyboardInterrupt"]
    assert kernel.reply_for(msg_id)["content"]["status"] == "error"


def test_shell_helpers_get_their_replies(qtbot: QtBot, kernel: Recorder) -> None:
    replies: dict[str, Message] = {}

    def keep(message: Message) -> None:
        replies[message["msg_type"]] = message

    client = kernel.client
    client.complete("import o", 8, keep)
    client.inspect("len", 3, 0, keep)
    client.is_complete("for i in range(3):", keep)
    client.history(keep, n=10)
    qtbot.waitUntil(lambda: len(replies) == 4, timeout=10_000)
    assert "os" in replies["complete_reply"]["content"]["matches"]
    assert replies["inspect_reply"]["content"]["found"] is True
    assert "text/plain" in replies["inspect_reply"]["content"]["data"]
    assert replies["is_complete_reply"]["content"]["status"] == "incomplete"
    assert replies["history_reply"]["content"]["status"] == "ok"
    assert isinstance(replies["history_reply"]["content"]["history"], list)


def test_heartbeat_is_lost_on_sigstop_and_back_on_sigcont(
    qtbot: QtBot, kernel: Recorder, kernel_process: LocalKernelProcess
) -> None:
    pid = kernel_process.pid
    assert pid is not None and kernel.heartbeats == []
    kernel_process_group = pid  # the launcher starts kernels in their own session
    os.killpg(kernel_process_group, signal.SIGSTOP)
    try:
        qtbot.waitUntil(lambda: kernel.heartbeats == [False], timeout=5_000)
        assert kernel.client.transport.heartbeat_ok is False
    finally:
        os.killpg(kernel_process_group, signal.SIGCONT)
    qtbot.waitUntil(lambda: kernel.heartbeats == [False, True], timeout=10_000)
    assert kernel.client.transport.heartbeat_ok is True
    msg_id = kernel.run(qtbot, "print('still here')")  # and the kernel works after the stall
    assert kernel.stream_text(msg_id) == "still here\n"


def test_shutdown_request_ends_the_kernel_process(
    qtbot: QtBot, kernel: Recorder, kernel_process: LocalKernelProcess
) -> None:
    replies: list[Message] = []
    kernel.client.request("shutdown_request", {"restart": False}, channel=CONTROL, on_reply=replies.append)
    qtbot.waitUntil(lambda: bool(replies), timeout=10_000)
    assert replies[0]["msg_type"] == "shutdown_reply"
    qtbot.waitUntil(lambda: not kernel_process.is_alive(), timeout=10_000)
    assert kernel_process.exit_code == 0
    kernel.client.mark_dead("kernel exited")
    assert kernel.client.status is KernelStatus.DEAD and kernel.statuses[-1] is KernelStatus.DEAD


# -- a kernel that never publishes its idle status ----------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked() -> Iterator[tuple[ScriptedTransport, KernelClient, Recorder, FakeClock]]:
    transport, clock = ScriptedTransport(), FakeClock()
    client = KernelClient(transport, Session(key=b"k"), clock=clock)
    recorder = Recorder(client)
    client.start()
    transport.make_ready()
    yield transport, client, recorder, clock
    client.close()


def tick(client: KernelClient, clock: FakeClock, seconds: float = 0.5) -> list[str]:
    """Time passes; the session's timer asks the client to look for overdue executions."""
    clock.now += seconds
    return client.finish_overdue()


def test_a_reply_without_idle_finishes_after_the_grace_period_of_silence(clocked: Any) -> None:
    from conch.app.kernel.client import IDLE_GRACE

    transport, client, rec, clock = clocked
    msg_id = client.execute("print(1)")
    request = transport.last("execute_request")
    transport.status("busy", request)
    transport.deliver(SHELL, "execute_reply", {"status": "ok", "execution_count": 1}, request)
    assert client.awaiting_idle
    finished: list[str] = []
    for _ in range(int(IDLE_GRACE / 0.5)):  # not within the grace period
        finished += tick(client, clock)
    assert finished == [] and rec.finished == [] and client.status is KernelStatus.BUSY
    finished += tick(client, clock)
    assert finished == [msg_id] and rec.finished_ids() == [msg_id]
    assert client.status is KernelStatus.IDLE and not client.awaiting_idle
    transport.status("idle", request)  # a late idle is harmless: no second finish
    transport.deliver(SHELL, "execute_reply", {"status": "ok"}, request)
    assert tick(client, clock, 10) == [] and rec.finished_ids() == [msg_id]


def test_iopub_traffic_after_the_reply_postpones_finishing_without_idle(clocked: Any) -> None:
    transport, client, rec, clock = clocked
    msg_id = client.execute("flood()")
    request = transport.last("execute_request")
    transport.deliver(SHELL, "execute_reply", {"status": "ok"}, request)
    for i in range(20):  # output still being drained (a backlog behind the reply): keep waiting
        transport.deliver(IOPUB, "stream", {"name": "stdout", "text": f"{i}\n"}, request)
        assert tick(client, clock) == []
    # A stalled event loop: the first look after a long pause never counts as silence.
    assert tick(client, clock, 30) == []
    transport.status("idle", request)  # the idle was only late
    assert rec.finished_ids() == [msg_id]


def test_no_reply_means_still_running_however_long_it_takes(clocked: Any) -> None:
    transport, client, rec, clock = clocked
    running = client.execute("import time; time.sleep(3600)")
    request = transport.last("execute_request")
    transport.status("busy", request)
    transport.deliver(STDIN, "input_request", {"prompt": "x?", "password": False}, request)
    for _ in range(100):  # a long cell, waiting for input too: its reply comes at its end
        assert tick(client, clock, 60) == []
    assert rec.finished == [] and client.status is KernelStatus.BUSY
    transport.deliver(SHELL, "execute_reply", {"status": "ok"}, request)
    transport.status("idle", request)
    assert rec.finished_ids() == [running]


def test_a_real_kernel_that_stops_publishing_status_still_finishes(qtbot: QtBot, kernel: Recorder) -> None:
    client = kernel.client
    sabotage = client.execute("get_ipython().kernel._publish_status = lambda *args, **kwargs: None")

    def finished(msg_id: str) -> bool:
        client.finish_overdue()  # what the session's timer does
        return msg_id in kernel.finished_ids()

    qtbot.waitUntil(lambda: finished(sabotage), timeout=8_000)
    assert kernel.reply_for(sabotage)["content"]["status"] == "ok"
    assert [m["content"]["execution_state"] for m in kernel.outputs_for(sabotage, "status")] == ["busy"]
    next_id = client.execute("print('next')")
    qtbot.waitUntil(lambda: finished(next_id), timeout=8_000)
    assert kernel.stream_text(next_id) == "next\n" and client.status is KernelStatus.IDLE
