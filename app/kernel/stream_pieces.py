"""Cutting a huge stream message into pieces the UI can take one event-loop turn at a time (Qt-free).

A kernel may send megabytes of text in one ``stream`` message (ipykernel joins everything
written between two flushes). Interpreting it in one go would freeze the window, so the
transport hands such a message on as several messages with the same header and parent,
each carrying a piece of the text, in order; nothing else from that channel is delivered
until the last piece has been. A terminal-text model fed the pieces ends up exactly as if
fed the whole text (escape sequences cut in two are held back until the next piece).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Message = dict[str, Any]

MIN_PIECE = 1024
MAX_PIECE = 1 << 20
TARGET_SECONDS = 0.004
"""How long handling one piece should take; the piece size adapts to what it costs."""


def is_big_stream(message: Message, limit: int) -> bool:
    """Whether ``message`` is a stream message whose text is longer than ``limit``."""
    if message.get("msg_type") != "stream" and message.get("header", {}).get("msg_type") != "stream":
        return False
    text = message.get("content", {}).get("text")
    return isinstance(text, str) and len(text) > limit


def pieces(message: Message, size: "PieceSize") -> Iterator[Message]:
    """``message`` again as messages with consecutive pieces of its text (a line break ends a
    piece when one is near its end, so pieces are mostly whole lines)."""
    text: str = message["content"]["text"]
    start = 0
    while start < len(text):
        end = min(len(text), start + size.chars)
        if end < len(text):
            newline = text.rfind("\n", start + size.chars * 3 // 4, end)
            if newline >= 0:
                end = newline + 1
        piece = dict(message)
        piece["content"] = {**message["content"], "text": text[start:end]}
        yield piece
        start = end


class PieceSize:
    """The piece length that takes about :data:`TARGET_SECONDS` to handle, learned as it goes
    (tabs cost a hundred times what plain letters do)."""

    def __init__(self, chars: int = 16384) -> None:
        self.chars = chars

    def measure(self, chars: int, seconds: float) -> None:
        """Handling ``chars`` characters took ``seconds``: size the next piece to fit the target."""
        if chars <= 0:
            return
        per_char = max(seconds, 1e-6) / chars
        wanted = int(TARGET_SECONDS / per_char)
        # Move halfway towards the estimate: one unlucky piece (a GC pause) must not swing it.
        self.chars = max(MIN_PIECE, min(MAX_PIECE, (self.chars + wanted) // 2))
