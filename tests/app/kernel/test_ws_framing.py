"""Jupyter Server WebSocket framing: round trips, the server's own codec, malformed frames."""
from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session
from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
    serialize_binary_message,
    serialize_msg_to_ws_v1,
)

from conch.app.kernel.ws_framing import (
    LEGACY_PROTOCOL,
    V1_PROTOCOL,
    FrameError,
    decode,
    decode_legacy_binary,
    decode_legacy_text,
    decode_v1,
    encode,
    encode_legacy,
    encode_v1,
)

PROTOCOLS = (V1_PROTOCOL, LEGACY_PROTOCOL)


@pytest.fixture
def session() -> Session:
    return Session(key=b"")


def kernel_message(session: Session, text: str = "hello\n", buffers: list[bytes] | None = None) -> dict[str, Any]:
    parent = session.msg("execute_request", {"code": "print('hello')"})
    message: dict[str, Any] = session.msg("stream", {"name": "stdout", "text": text}, parent=parent)
    message["metadata"] = {"started": "2024-05-06T07:08:09.123456Z", "n": 1}
    message["buffers"] = buffers or []
    return message


def as_zmq_delivers(session: Session, message: dict[str, Any]) -> dict[str, Any]:
    """What ``Session.deserialize`` makes of ``message`` after a trip over ZMQ."""
    frames = session.serialize(message)[1:] + list(message["buffers"])
    return session.deserialize(frames)  # type: ignore[no-any-return]


def comparable(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "buffers": [bytes(buffer) for buffer in message["buffers"]]}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("buffers", [[], [b"\x00\x01binary", b"", b"x" * 1000]])
def test_round_trip_looks_like_zmq(session: Session, protocol: str, buffers: list[bytes]) -> None:
    message = kernel_message(session, buffers=buffers)
    payload, is_text = encode(protocol, "iopub", message, session.pack)
    assert is_text == (protocol == LEGACY_PROTOCOL and not buffers)
    channel, decoded = decode(protocol, payload, is_text)
    assert channel == "iopub"
    expected = as_zmq_delivers(session, message)
    assert comparable(decoded) == comparable(expected)
    assert list(decoded) == list(expected)  # same keys, same order
    assert decoded["header"]["date"] == message["header"]["date"]  # a datetime again
    assert decoded["metadata"]["started"] == "2024-05-06T07:08:09.123456Z"  # metadata is left alone
    assert all(isinstance(buffer, memoryview) for buffer in decoded["buffers"])


def test_v1_layout_matches_the_specification(session: Session) -> None:
    message = kernel_message(session, buffers=[b"abc"])
    frame = encode_v1("shell", message, session.pack)
    (count,) = struct.unpack_from("<Q", frame)
    offsets = struct.unpack_from(f"<{count}Q", frame, 8)
    assert count == 7  # channel, 4 JSON parts, 1 buffer → 6 parts, 7 offsets
    assert offsets[0] == 8 * (count + 1)
    assert offsets[-1] == len(frame)
    assert frame[offsets[0] : offsets[1]] == b"shell"
    assert json.loads(frame[offsets[1] : offsets[2]])["msg_id"] == message["header"]["msg_id"]
    assert frame[offsets[5] : offsets[6]] == b"abc"


def test_v1_agrees_with_the_servers_codec(session: Session) -> None:
    message = kernel_message(session, buffers=[b"buf"])
    # What we send, the server reads as the raw parts it signs and forwards to the kernel.
    channel, parts = deserialize_msg_from_ws_v1(encode_v1("shell", message, session.pack))
    assert channel == "shell"
    assert session.deserialize([b"", *parts]) == session.deserialize([b"", *session.serialize(message)[2:], b"buf"])
    # What the server sends (the kernel's raw parts), we read.
    raw = session.serialize(message)[2:] + [b"buf"]
    channel, decoded = decode_v1(serialize_msg_to_ws_v1(raw, "iopub"))
    assert channel == "iopub"
    assert comparable(decoded) == comparable(as_zmq_delivers(session, message))
    # The server's own status messages are packed from a dict.
    status = session.msg("status", {"execution_state": "restarting"})
    channel, decoded = decode_v1(serialize_msg_to_ws_v1(status, "iopub", session.pack))
    assert decoded["content"] == {"execution_state": "restarting"}
    assert decoded["header"] == status["header"]


def test_legacy_agrees_with_the_servers_codec(session: Session) -> None:
    message = kernel_message(session, buffers=[b"one", b"two"])
    # A binary legacy frame from us, as the server reads it.
    payload, is_text = encode_legacy("shell", message, session.pack)
    assert not is_text
    received = deserialize_binary_message(payload)
    assert received["channel"] == "shell"
    assert received["header"] == message["header"]
    assert [bytes(b) for b in received["buffers"]] == [b"one", b"two"]
    # A text legacy frame from us, as the server reads it (json.loads, then Session.send).
    payload, is_text = encode_legacy("stdin", kernel_message(session), session.pack)
    assert is_text and json.loads(payload)["channel"] == "stdin"
    # What the server sends: deserialize, add channel, json.dumps or serialize_binary_message.
    from_server = as_zmq_delivers(session, message)
    from_server["channel"] = "iopub"
    channel, decoded = decode_legacy_binary(serialize_binary_message(from_server))
    assert channel == "iopub"
    assert comparable(decoded) == comparable(as_zmq_delivers(session, message))
    plain = as_zmq_delivers(session, kernel_message(session))
    text = json.dumps({**plain, "channel": "iopub"}, default=json_default)
    channel, decoded = decode_legacy_text(text.encode())
    assert channel == "iopub"
    assert decoded == plain


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_big_message_round_trip(session: Session, protocol: str) -> None:
    text = ("ünïcödé line\n" * 250_000)  # > 3 MiB
    message = kernel_message(session, text=text, buffers=[bytes(range(256)) * 8192])
    payload, is_text = encode(protocol, "iopub", message, session.pack)
    assert len(payload) > 5 * (1 << 20)
    _channel, decoded = decode(protocol, payload, is_text)
    assert decoded["content"]["text"] == text
    assert bytes(decoded["buffers"][0]) == bytes(range(256)) * 8192


def test_messages_without_a_version_are_adapted_like_zmq(session: Session) -> None:
    message = kernel_message(session)
    del message["header"]["version"]
    message["msg_type"] = message["header"]["msg_type"] = "pyout"
    message["content"] = {"execution_count": 1, "data": {"text/plain": "1"}, "metadata": {}}
    _channel, decoded = decode_v1(encode_v1("iopub", message, session.pack))
    assert decoded["msg_type"] == "execute_result"
    assert comparable(decoded) == comparable(as_zmq_delivers(session, message))


def v1_frame(*parts: bytes, first: int | None = None, count: int | None = None) -> bytes:
    n = len(parts) + 1 if count is None else count
    offsets = [8 * (len(parts) + 2) if first is None else first]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return struct.pack(f"<{len(offsets) + 1}Q", n, *offsets) + b"".join(parts)


GOOD_HEADER = json.dumps({"msg_id": "a", "msg_type": "status", "version": "5.3", "date": "2024-01-01T00:00:00Z"}).encode()


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"", "too short"),
        (struct.pack("<Q", 3) + b"\0" * 24, "at least 6"),
        (struct.pack("<Q", 1 << 40), "too short"),
        (v1_frame(b"iopub", GOOD_HEADER, b"{}", b"{}", b"{}", first=40), "first offset"),
        (v1_frame(b"iopub", GOOD_HEADER, b"{}", b"{}", b"{}")[:-1], "past its end"),
        (v1_frame(b"iopub", GOOD_HEADER, b"{}", b"{}", b"{}") + b"!", "not its length"),
        (v1_frame(b"\xff", GOOD_HEADER, b"{}", b"{}", b"{}"), "not UTF-8"),
        (v1_frame(b"iopub", b"{nope", b"{}", b"{}", b"{}"), "header is not valid JSON"),
        (v1_frame(b"iopub", b"[]", b"{}", b"{}", b"{}"), "header is not a JSON object"),
        (v1_frame(b"iopub", b"{}", b"{}", b"{}", b"{}"), "lacks msg_id"),
        (v1_frame(b"iopub", GOOD_HEADER, b"{}", b"{}", b"3"), "content is not a JSON object"),
    ],
)
def test_malformed_v1_frames_raise_frame_error(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_v1(frame)


def test_backwards_v1_offsets_are_refused() -> None:
    frame = bytearray(v1_frame(b"iopub", GOOD_HEADER, b"{}", b"{}", b"{}"))
    struct.pack_into("<Q", frame, 8 * 3, 10_000)  # offset[2] beyond offset[3]
    with pytest.raises(FrameError, match="backwards"):
        decode_v1(bytes(frame))


def test_a_good_hand_made_v1_frame_decodes() -> None:
    channel, message = decode_v1(v1_frame(b"iopub", GOOD_HEADER, b"{}", b"{}", b'{"execution_state": "idle"}', b"buf"))
    assert channel == "iopub" and message["msg_type"] == "status"
    assert [bytes(b) for b in message["buffers"]] == [b"buf"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"header": {}}', "no channel"),
        (b'{"channel": "iopub", "header": {}}', "lacks parent_header, metadata, content"),
        (b'{"channel": "iopub", "header": {}, "parent_header": {}, "metadata": {}, "content": {}}', "lacks msg_id"),
    ],
)
def test_malformed_legacy_text_frames_raise_frame_error(payload: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_legacy_text(payload)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"\0\0", "too short"),
        (struct.pack("!I", 0), "no parts"),
        (struct.pack("!I", 5) + b"\0" * 8, "too short"),
        (struct.pack("!II", 1, 4) + b"{}", "first offset"),
        (struct.pack("!III", 2, 12, 99) + b"{}", "past its end"),
        (struct.pack("!II", 1, 8) + b"\x80\x81", "not valid JSON"),
    ],
)
def test_malformed_legacy_binary_frames_raise_frame_error(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_legacy_binary(frame)


def test_text_frame_in_v1_is_refused() -> None:
    with pytest.raises(FrameError, match="text frame"):
        decode(V1_PROTOCOL, b"{}", True)
