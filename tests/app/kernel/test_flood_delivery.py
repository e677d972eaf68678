"""Floods from a real ipykernel: a huge message reaches the model in pieces across event-loop
turns, rebuilt exactly."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from conch.app.kernel.stream_pieces import MIN_PIECE, PieceSize, is_big_stream, pieces
from conch.app.kernel_session import KernelSession
from conch.app.model.terminal_text import TerminalText


def run(qtbot: QtBot, kernel: KernelSession, code: str) -> str:
    with qtbot.waitSignal(kernel.execution_finished, timeout=60000) as blocker:
        msg_id = kernel.execute(code)
    assert blocker.args == [msg_id]
    return msg_id


def test_a_huge_stream_message_arrives_in_pieces_with_the_ui_turning_in_between(qtbot: QtBot, kernel: KernelSession) -> None:
    turns = [0]
    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: turns.__setitem__(0, turns[0] + 1))
    seen: list[tuple[int, int]] = []  # (text length, UI turns so far) of each stream message

    def on_iopub(message: dict[str, Any]) -> None:
        if message.get("msg_type") == "stream":
            seen.append((len(message["content"]["text"]), turns[0]))

    kernel.client.iopub_message.connect(on_iopub)
    ticker.start()
    code = "import sys\nsys.stdout.write(('\\x1b[31m' + 'r' * 60 + '\\x1b[0m\\t|\\n') * 40000); sys.stdout.flush()"
    run(qtbot, kernel, code)
    ticker.stop()
    assert len(seen) > 4, f"{len(seen)} deliveries"  # one kernel message, handed on in pieces
    assert seen[-1][1] - seen[0][1] >= 5  # the event loop turned again and again in between
    (output,) = kernel.transcript.outputs()
    content = output.content
    assert content.line_count() == 40000
    last = content.line_spans(39999)
    assert [t for t, _ in last] == ["r" * 60, " " * 4 + "|"] and last[0][1].fg == 1


def test_pieces_rebuild_exactly_the_text_whatever_their_size() -> None:
    text = "".join(f"\x1b[3{i % 8}m{i}\x1b[0m\t\r\n" + "\b" * (i % 3) for i in range(5000))
    message = {"msg_type": "stream", "header": {"msg_type": "stream"}, "content": {"name": "stdout", "text": text}}
    assert is_big_stream(message, 1000) and not is_big_stream(message, len(text))
    whole = TerminalText()
    whole.feed(text)
    for size in (MIN_PIECE, 3000, 50_000):
        fed = TerminalText()
        parts = list(pieces(message, PieceSize(size)))
        assert all(p["content"]["name"] == "stdout" and p["header"] is message["header"] for p in parts)
        for part in parts:
            fed.feed(part["content"]["text"])
        assert "".join(p["content"]["text"] for p in parts) == text
        assert fed.plain_text() == whole.plain_text()
        assert [fed.line_spans(i) for i in range(fed.line_count())] == [whole.line_spans(i) for i in range(whole.line_count())]


def test_the_piece_size_follows_what_pieces_cost() -> None:
    size = PieceSize(16384)
    for _ in range(20):
        size.measure(size.chars, size.chars * 2e-6)  # 2 µs a character: tabs
    assert size.chars < 4000
    for _ in range(20):
        size.measure(size.chars, size.chars * 5e-9)  # 5 ns a character: plain text
    assert size.chars > 200_000
