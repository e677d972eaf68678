"""Decoding received WebSocket messages and handing them on one at a time (Qt-free).

The transport alternates between reading the socket and calling :meth:`Delivery.step`
until its time slice is used up, so a flood or one huge message never holds the event
loop for long: a huge stream message is handed on in pieces (see :mod:`stream_pieces`),
one piece per step, and nothing received after it is delivered before its last piece.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator

from conch.app.kernel.stream_pieces import PieceSize, is_big_stream, pieces
from conch.app.kernel.transport import IOPUB, Message, MessageHandler
from conch.app.kernel.ws_framing import FrameError, decode
from conch.app.kernel.ws_link import Payload
from conch.app.kernel.ws_problems import ProblemReporter

log = logging.getLogger(__name__)


class Delivery:
    """Received payloads waiting to be decoded and delivered, in arrival order."""

    def __init__(self, problems: ProblemReporter) -> None:
        self._problems = problems
        self._inbox: deque[tuple[str, Payload]] = deque()
        self._split: tuple[str, Iterator[Message]] | None = None
        self._piece_size = PieceSize()
        self.on_message: MessageHandler | None = None
        self.kernel_seen = False
        """True once a well-formed message arrived."""

    @property
    def pending(self) -> bool:
        return self._split is not None or bool(self._inbox)

    def push(self, protocol: str, payload: Payload) -> None:
        """Queue ``payload``, received while the connection spoke ``protocol``."""
        self._inbox.append((protocol, payload))

    def clear(self) -> None:
        self._inbox.clear()
        self._split = None

    def step(self) -> None:
        """Deliver the next message or piece, if any."""
        if self._split is not None:
            self._next_piece()
        elif self._inbox:
            self._deliver(*self._inbox.popleft())

    def _deliver(self, protocol: str, payload: Payload) -> None:
        try:
            channel, message = decode(protocol, payload.data, payload.is_text)
        except FrameError as exc:
            self._problems.drop(str(exc))
            return
        self.kernel_seen = True
        if channel == IOPUB and is_big_stream(message, self._piece_size.chars):
            self._split = (channel, pieces(message, self._piece_size))
            self._next_piece()
            return
        self._dispatch(channel, message)

    def _next_piece(self) -> None:
        assert self._split is not None
        channel, split = self._split
        piece = next(split, None)
        if piece is None:
            self._split = None
            return
        started = time.perf_counter()
        self._dispatch(channel, piece)
        self._piece_size.measure(len(piece["content"]["text"]), time.perf_counter() - started)

    def _dispatch(self, channel: str, message: Message) -> None:
        if self.on_message is None:
            return
        try:
            self.on_message(channel, message)
        except Exception:
            log.exception("message handler failed for %s on %s", message.get("msg_type"), channel)
