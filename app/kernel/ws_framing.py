"""Jupyter kernel messages as Jupyter Server WebSocket frames, both ways (Qt-free).

Two wire formats, checked against jupyter_server 2.21
(``services/kernels/connection/base.py`` and ``channels.py``):

- **v1** (subprotocol :data:`V1_PROTOCOL`): every frame is binary. All integers are uint64
  little-endian: ``n``, then ``n`` offsets; ``offset[0] == 8 * (n + 1)`` and the last offset
  is the frame's length. The ``n - 1`` parts between offsets are the channel name, then the
  header, parent_header, metadata and content (UTF-8 JSON), then the buffers. The server
  passes the JSON parts through to the kernel byte for byte (it only signs them), so the
  header is the whole truth: there is no top-level ``msg_id``/``msg_type`` on the wire.
- **legacy** (no subprotocol): a JSON text frame, the message dict with a ``channel`` key.
  A message with buffers is a binary frame instead: a big-endian uint32 count ``n`` (the
  JSON counts as one), ``n`` big-endian uint32 offsets (``offset[0] == 4 * (n + 1)``, no end
  offset: the last part runs to the end of the frame), the JSON, then the buffers. The server
  re-serializes what it receives from the header, parent_header, metadata and content
  (``Session.send``), so here too top-level ``msg_id``/``msg_type`` are ignored on the way in.

Decoded messages have exactly the shape ``jupyter_client.session.Session.deserialize``
gives over ZMQ: ``header``, ``msg_id``, ``msg_type``, ``parent_header`` (dates parsed by
``extract_dates``), ``metadata``, ``content``, ``buffers`` (memoryviews), adapted to the
current protocol version.
"""
from __future__ import annotations

import struct
from typing import Any, Callable

from jupyter_client.adapter import adapt
from jupyter_client.jsonutil import extract_dates
from jupyter_client.session import json_packer, json_unpacker

Message = dict[str, Any]
Packer = Callable[[Any], bytes]

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
LEGACY_PROTOCOL = ""
"""What :func:`encode`/:func:`decode` call the format spoken when the server picks no subprotocol."""

_JSON_PARTS = ("header", "parent_header", "metadata", "content")


class FrameError(ValueError):
    """A WebSocket frame that is not a well-formed Jupyter kernel message; ``str()`` is a short reason."""


# -- both formats ---------------------------------------------------------------------


def encode(protocol: str, channel: str, message: Message, pack: Packer = json_packer) -> tuple[bytes, bool]:
    """``message`` for ``channel`` as one frame in ``protocol``: (payload, is_text)."""
    if protocol == V1_PROTOCOL:
        return encode_v1(channel, message, pack), False
    return encode_legacy(channel, message, pack)


def decode(protocol: str, payload: bytes, is_text: bool) -> tuple[str, Message]:
    """(channel, message) from one frame; raises :class:`FrameError` if it is malformed."""
    if protocol == V1_PROTOCOL:
        if is_text:
            raise FrameError("text frame in the v1 protocol")
        return decode_v1(payload)
    if is_text:
        return decode_legacy_text(payload)
    return decode_legacy_binary(payload)


# -- v1 ---------------------------------------------------------------------------------


def encode_v1(channel: str, message: Message, pack: Packer = json_packer) -> bytes:
    """A v1 binary frame carrying ``message`` on ``channel``."""
    parts: list[bytes | memoryview] = [channel.encode("utf-8")]
    parts.extend(pack(message.get(name) or {}) for name in _JSON_PARTS)
    parts.extend(_as_bytes_like(buffer) for buffer in message.get("buffers") or ())
    count = len(parts) + 1
    offsets = [8 * (count + 1)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    head = struct.pack(f"<{count + 1}Q", count, *offsets)
    return b"".join([head, *parts])


def decode_v1(frame: bytes) -> tuple[str, Message]:
    """(channel, message) from a v1 binary frame."""
    if len(frame) < 8:
        raise FrameError(f"v1 frame of {len(frame)} bytes is too short for its offset count")
    (count,) = struct.unpack_from("<Q", frame)
    if count < 6:
        raise FrameError(f"v1 frame has {count} offsets; a message needs at least 6")
    head_size = 8 * (count + 1)
    if head_size > len(frame):
        raise FrameError(f"v1 frame of {len(frame)} bytes is too short for {count} offsets")
    offsets = struct.unpack_from(f"<{count}Q", frame, 8)
    _check_offsets(offsets, head_size, len(frame), "v1")
    if offsets[-1] != len(frame):
        raise FrameError(f"v1 frame's last offset {offsets[-1]} is not its length {len(frame)}")
    view = memoryview(frame)
    parts = [view[start:end] for start, end in zip(offsets, offsets[1:])]
    try:
        channel = str(parts[0], "utf-8")
    except UnicodeDecodeError:
        raise FrameError("v1 frame's channel name is not UTF-8") from None
    header, parent, metadata, content = (_unpack(bytes(part), name) for part, name in zip(parts[1:5], _JSON_PARTS))
    return channel, _message(header, parent, metadata, content, parts[5:])


# -- legacy -----------------------------------------------------------------------------


def encode_legacy(channel: str, message: Message, pack: Packer = json_packer) -> tuple[bytes, bool]:
    """A legacy frame carrying ``message`` on ``channel``: (payload, is_text)."""
    body: Message = {name: message.get(name) or {} for name in _JSON_PARTS}
    body["msg_id"] = body["header"].get("msg_id")
    body["msg_type"] = body["header"].get("msg_type")
    body["channel"] = channel
    buffers = [_as_bytes_like(buffer) for buffer in message.get("buffers") or ()]
    if not buffers:
        body["buffers"] = []
        return pack(body), True
    parts: list[bytes | memoryview] = [pack(body), *buffers]
    count = len(parts)
    offsets = [4 * (count + 1)]
    for part in parts[:-1]:
        offsets.append(offsets[-1] + len(part))
    head = struct.pack(f"!{count + 1}I", count, *offsets)
    return b"".join([head, *parts]), False


def decode_legacy_text(payload: bytes | str) -> tuple[str, Message]:
    """(channel, message) from a legacy JSON text frame."""
    return _legacy_message(_unpack(payload, "message"), [])


def decode_legacy_binary(frame: bytes) -> tuple[str, Message]:
    """(channel, message) from a legacy binary frame (a message with buffers)."""
    if len(frame) < 4:
        raise FrameError(f"legacy binary frame of {len(frame)} bytes is too short for its part count")
    (count,) = struct.unpack_from("!I", frame)
    if count < 1:
        raise FrameError("legacy binary frame has no parts")
    head_size = 4 * (count + 1)
    if head_size > len(frame):
        raise FrameError(f"legacy binary frame of {len(frame)} bytes is too short for {count} offsets")
    offsets = struct.unpack_from(f"!{count}I", frame, 4)
    _check_offsets(offsets, head_size, len(frame), "legacy binary")
    view = memoryview(frame)
    bounds = [*offsets, len(frame)]
    parts = [view[start:end] for start, end in zip(bounds, bounds[1:])]
    return _legacy_message(_unpack(bytes(parts[0]), "message"), parts[1:])


def _legacy_message(body: Any, buffers: list[memoryview]) -> tuple[str, Message]:
    if not isinstance(body, dict):
        raise FrameError("legacy frame is not a JSON object")
    channel = body.get("channel")
    if not isinstance(channel, str):
        raise FrameError("legacy frame has no channel")
    missing = [name for name in _JSON_PARTS if name not in body]
    if missing:
        raise FrameError(f"legacy frame lacks {', '.join(missing)}")
    header, parent, metadata, content = (body[name] for name in _JSON_PARTS)
    return channel, _message(header, parent, metadata, content, buffers)


# -- shared -----------------------------------------------------------------------------


def _check_offsets(offsets: tuple[int, ...], head_size: int, length: int, kind: str) -> None:
    if offsets[0] != head_size:
        raise FrameError(f"{kind} frame's first offset {offsets[0]} is not {head_size}")
    for start, end in zip(offsets, offsets[1:]):
        if end < start:
            raise FrameError(f"{kind} frame's offsets go backwards ({start} then {end})")
    if offsets[-1] > length:
        raise FrameError(f"{kind} frame's offset {offsets[-1]} is past its end ({length} bytes)")


def _unpack(data: bytes | str, name: str) -> Any:
    try:
        return json_unpacker(data)
    except ValueError as exc:
        raise FrameError(f"{name} is not valid JSON ({exc.__class__.__name__} at {getattr(exc, 'pos', '?')})") from None


def _message(header: Any, parent: Any, metadata: Any, content: Any, buffers: list[memoryview]) -> Message:
    """The message as ``Session.deserialize`` builds it from the same parts."""
    for value, name in ((header, "header"), (parent, "parent_header"), (metadata, "metadata"), (content, "content")):
        if not isinstance(value, dict):
            raise FrameError(f"{name} is not a JSON object")
    msg_id, msg_type = header.get("msg_id"), header.get("msg_type")
    if not isinstance(msg_id, str) or not isinstance(msg_type, str):
        raise FrameError("header lacks msg_id or msg_type")
    message: Message = {
        "header": extract_dates(header),
        "msg_id": msg_id,
        "msg_type": msg_type,
        "parent_header": extract_dates(parent),
        "metadata": metadata,
        "content": content,
        # Copied out of the frame so a kept buffer does not pin the whole frame.
        "buffers": [memoryview(bytes(buffer)) for buffer in buffers],
    }
    try:
        adapted: Message = adapt(message)
    except Exception as exc:  # a pre-5.0 message the adapter cannot make sense of
        raise FrameError(f"cannot adapt {msg_type} to protocol 5 ({exc.__class__.__name__})") from None
    return adapted


def _as_bytes_like(buffer: Any) -> bytes | memoryview:
    if isinstance(buffer, bytes):
        return buffer
    try:
        return memoryview(buffer).cast("B")
    except TypeError:
        raise TypeError(f"message buffer of type {type(buffer).__name__} is not bytes-like") from None
