"""ChannelsLink (sans-I/O WebSocket) and Liveness, byte by byte, without sockets or Qt."""
from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidURI
from websockets.frames import Close, Frame, Opcode
from websockets.utils import accept_key

from conch.app.kernel.ws_framing import V1_PROTOCOL
from conch.app.kernel.ws_link import ChannelsLink, Liveness, Opened, Payload, ack_promptly
from conch.app.kernel.ws_losses import ConnectionLost, LostReason

URL = "ws://example.org:8888/user/ada/api/kernels/k1/channels?session_id=s1"


def request_headers(link: ChannelsLink) -> tuple[str, dict[str, str]]:
    lines = link.outgoing().decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return lines[0], headers


def upgraded(protocol: str | None = V1_PROTOCOL) -> ChannelsLink:
    link = ChannelsLink(URL, "t0ken")
    _, headers = request_headers(link)
    answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    answer += f"Sec-WebSocket-Accept: {accept_key(headers['Sec-WebSocket-Key'])}\r\n"
    if protocol:
        answer += f"Sec-WebSocket-Protocol: {protocol}\r\n"
    assert link.receive((answer + "\r\n").encode()) == [Opened(protocol or "")]
    return link


def frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False, extensions=[])


def test_the_upgrade_request() -> None:
    link = ChannelsLink(URL.replace("ws://", "http://"), "t0ken")
    assert (link.host, link.port, link.secure, link.where) == ("example.org", 8888, False, "example.org:8888")
    first, headers = request_headers(link)
    assert first == "GET /user/ada/api/kernels/k1/channels?session_id=s1 HTTP/1.1"
    assert headers["Authorization"] == "token t0ken"
    assert headers["Sec-WebSocket-Protocol"] == V1_PROTOCOL
    assert headers["Host"] == "example.org:8888"
    assert "Authorization" not in request_headers(ChannelsLink(URL, ""))[1]
    assert ChannelsLink("https://example.org/x", "").secure


def test_a_malformed_url_fails_at_once() -> None:
    with pytest.raises(InvalidURI):
        ChannelsLink.check_url("ftp://example.org/")


def test_both_formats_and_fragments_are_whole_payloads() -> None:
    link = upgraded()
    assert link.is_open and link.protocol == V1_PROTOCOL
    data = frame(Opcode.BINARY, b"one") + frame(Opcode.TEXT, b"tw", fin=False) + frame(Opcode.CONT, b"o", fin=False)
    assert link.receive(data) == [Payload(b"one", False)]
    assert link.receive(frame(Opcode.CONT, b"!")) == [Payload(b"two!", True)]
    assert upgraded(None).protocol == ""


def test_pings_are_answered_and_our_pings_go_out() -> None:
    link = upgraded()
    assert link.receive(frame(Opcode.PING, b"are you there")) == []
    pong = link.outgoing()
    assert pong[0] == 0x80 | Opcode.PONG
    link.ping()
    assert link.outgoing()[0] == 0x80 | Opcode.PING


def test_a_refused_upgrade_names_the_status_and_the_servers_message() -> None:
    link = ChannelsLink(URL, "t0ken")
    link.outgoing()
    body = json.dumps({"message": "Kernel does not exist: k1", "reason": None}).encode()
    answer = f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    [lost] = link.receive(answer)
    assert isinstance(lost, ConnectionLost)
    assert lost.reason is LostReason.HTTP_STATUS and lost.http_status == 404
    assert lost.text == (
        "The server refused the WebSocket: HTTP 404 Not Found (no such kernel on this server, or a wrong URL): "
        "Kernel does not exist: k1"
    )
    assert link.lost is lost and not link.is_open
    assert link.receive(b"more") == []  # reported once


def test_something_that_is_not_http_is_a_protocol_loss() -> None:
    link = ChannelsLink(URL, "")
    [lost] = link.receive(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    assert isinstance(lost, ConnectionLost) and lost.reason is LostReason.PROTOCOL


def test_eof_before_the_answer_and_eof_mid_connection_are_drops() -> None:
    link = ChannelsLink(URL, "")
    [lost] = link.receive_eof()
    assert isinstance(lost, ConnectionLost) and lost.reason is LostReason.DROPPED
    assert "before answering" in lost.text
    link = upgraded()
    [lost] = link.receive_eof()
    assert isinstance(lost, ConnectionLost) and lost.reason is LostReason.DROPPED
    assert "no close frame" in lost.text


def test_a_close_frame_carries_its_code_and_reason_and_is_echoed() -> None:
    link = upgraded()
    events = link.receive(frame(Opcode.BINARY, b"last") + frame(Opcode.CLOSE, Close(4004, "gone").serialize()))
    assert events[0] == Payload(b"last", False)
    lost = events[1]
    assert isinstance(lost, ConnectionLost) and (lost.close_code, lost.close_reason) == (4004, "gone")
    assert link.outgoing()[0] == 0x80 | Opcode.CLOSE
    assert link.receive_eof() == []


def test_a_protocol_error_after_the_upgrade() -> None:
    link = upgraded()
    [lost] = link.receive(frame(Opcode.CONT, b"nothing to continue"))
    assert isinstance(lost, ConnectionLost) and lost.reason is LostReason.PROTOCOL


def test_liveness_waits_for_silence_and_forgives_a_stalled_event_loop() -> None:
    now = [0.0]
    liveness = Liveness(interval=3, timeout=10, clock=lambda: now[0])
    for moment in (3, 6, 9):
        now[0] = moment
        assert not liveness.tick(data_waiting=False)
    now[0] = 12
    assert liveness.tick(data_waiting=False)  # 12 s of silence
    liveness.restart()
    now[0] = 40  # our own loop stalled for 28 s: no verdict on this tick
    assert not liveness.tick(data_waiting=False)
    now[0] = 43
    assert liveness.tick(data_waiting=False)
    liveness.received()
    now[0] = 46
    assert not liveness.tick(data_waiting=False)
    now[0] = 60
    assert not liveness.tick(data_waiting=True)  # late tick, and bytes are waiting anyway


def test_ack_promptly_ignores_what_is_not_a_socket() -> None:
    ack_promptly(-1)
    with open(__file__, "rb") as file:
        ack_promptly(file.fileno())
