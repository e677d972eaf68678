"""ssh's questions (passphrases, passwords, codes, host keys) brought to the GUI.

:class:`PromptServer` owns a ``QLocalServer`` in Conch's private runtime folder; the askpass
helper (:mod:`conch.app.ssh.askpass`) connects to it once per question. Each question becomes a
:class:`Prompt` emitted by ``prompted``; whoever shows it calls ``answer(text)`` or ``cancel()``
(never blocking: the helper waits, not Conch). A prompt ssh stops waiting for (the connection
failed, was stopped) ends as EXPIRED and emits ``done`` too, so a dialog showing it can close.

Tests answer programmatically: ``server.set_answerer(lambda prompt: prompt.answer("secret"))``.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from conch.app.ssh.askpass import SOCKET_ENV, TAG_ENV
from conch.app.ssh.prompt_text import PromptInfo, PromptKind, PromptOutcome, classify
from conch.app.ssh.runtime import askpass_wrapper, runtime_dir

MAX_REQUEST_BYTES = 64 * 1024
HOST_KEY_RETRIES = 2
"""After this many "Please type 'yes', 'no' or the fingerprint" in a row, Conch answers no itself."""


class Prompt(QObject):
    """One question from ssh. ``done`` is emitted once, when it is answered, cancelled or expired."""

    done = Signal()

    def __init__(self, info: PromptInfo, *, tag: str, destination: str, attempt: int, socket: QLocalSocket) -> None:
        super().__init__()
        self.info = info
        self.tag = tag
        self.destination = destination
        """The connection asking, as its owner named it (e.g. ``ada@cluster``)."""
        self.attempt = attempt
        """1 for the first time this exact question comes; 2 after a wrong passphrase, and so on."""
        self.outcome = PromptOutcome.PENDING
        self.accepted: bool | None = None
        """A yes/no question answered: whether the answer was yes (None otherwise)."""
        self._socket: QLocalSocket | None = socket

    @property
    def kind(self) -> PromptKind:
        return self.info.kind

    @property
    def text(self) -> str:
        return self.info.text

    @property
    def secret(self) -> bool:
        return self.info.secret

    @property
    def is_done(self) -> bool:
        return self.outcome is not PromptOutcome.PENDING

    def answer(self, text: str) -> None:
        """Give ssh ``text`` (a host-key question takes ``yes`` or ``no``: see :meth:`accept`)."""
        if self.info.yes_no:
            given = text.strip()
            self.accepted = given.lower() == "yes" or (bool(self.info.fingerprint) and given == self.info.fingerprint)
        self._finish({"answer": text}, PromptOutcome.ANSWERED)

    def accept(self) -> None:
        """Yes (trust the host key / confirm)."""
        self.answer("yes")

    def reject(self) -> None:
        """No (do not trust the host key / do not confirm)."""
        self.answer("no")

    def cancel(self) -> None:
        """Answer nothing: ssh takes it as an empty answer (a key is skipped, a host key refused)."""
        self._finish({"cancel": True}, PromptOutcome.CANCELLED)

    def expire(self) -> None:
        """Stop waiting for an answer (ssh gave up, or the connection is being stopped)."""
        self._finish({"cancel": True}, PromptOutcome.EXPIRED)

    def asked_on(self, socket: QLocalSocket) -> bool:
        return self._socket is socket

    def _finish(self, reply: dict[str, object], outcome: PromptOutcome) -> None:
        if self.is_done:
            return
        socket, self._socket = self._socket, None
        self.outcome = outcome
        if socket is not None and socket.state() == QLocalSocket.LocalSocketState.ConnectedState:
            socket.write(json.dumps(reply).encode("utf-8") + b"\n")
            socket.flush()
            socket.disconnectFromServer()
        self.done.emit()


class PromptServer(QObject):
    """The GUI end of the askpass helper: one local socket for every ssh connection of Conch.

    A connection calls :meth:`register` for a tag and starts ssh with :meth:`environment(tag)`;
    questions whose tag is not registered are cancelled at once.
    """

    prompted = Signal(object)
    """A :class:`Prompt` to show (emitted only when no answerer is set)."""

    def __init__(self, parent: QObject | None = None, *, folder: Path | None = None) -> None:
        super().__init__(parent)
        folder = folder or runtime_dir()
        self.wrapper = askpass_wrapper(folder)
        self.socket_path = str(folder / f"askpass-{os.getpid()}-{secrets.token_hex(4)}")
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.socket_path)
        if not self._server.listen(self.socket_path):
            raise OSError(f"cannot listen for ssh questions at {self.socket_path}: {self._server.errorString()}")
        self._server.newConnection.connect(self._accept)
        self._destinations: dict[str, str] = {}
        self._observers: dict[str, Callable[[Prompt], None]] = {}
        self._pending: list[Prompt] = []
        self._seen: dict[tuple[str, str], int] = {}
        self._retries: dict[str, int] = {}
        self._answerer: Callable[[Prompt], None] | None = None

    def register(self, destination: str, observer: Callable[[Prompt], None] | None = None) -> str:
        """A new tag for a connection to ``destination`` (a name for people). ``observer`` sees
        each of its prompts first (before the answerer or ``prompted``), to keep their history."""
        tag = secrets.token_hex(16)
        self._destinations[tag] = destination
        if observer is not None:
            self._observers[tag] = observer
        return tag

    def unregister(self, tag: str) -> None:
        """Forget ``tag``; its pending prompts expire (their dialogs close)."""
        self._destinations.pop(tag, None)
        self._observers.pop(tag, None)
        for prompt in self.pending(tag):
            prompt.expire()
        self._seen = {key: count for key, count in self._seen.items() if key[0] != tag}
        self._retries.pop(tag, None)

    def environment(self, tag: str) -> dict[str, str]:
        """Variables that route ssh's questions for ``tag`` here (OpenSSH ≥ 8.4)."""
        return {
            "SSH_ASKPASS": str(self.wrapper),
            "SSH_ASKPASS_REQUIRE": "force",
            SOCKET_ENV: self.socket_path,
            TAG_ENV: tag,
        }

    def pending(self, tag: str | None = None) -> list[Prompt]:
        return [prompt for prompt in self._pending if tag is None or prompt.tag == tag]

    def set_answerer(self, answerer: Callable[[Prompt], None] | None) -> None:
        """Answer prompts with ``answerer(prompt)`` instead of emitting ``prompted`` (tests, scripts)."""
        self._answerer = answerer

    def close(self) -> None:
        for prompt in self.pending():
            prompt.cancel()
        self._server.close()

    # -- the socket ------------------------------------------------------------------------------
    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            buffer = bytearray()
            socket.readyRead.connect(lambda s=socket, b=buffer: self._read(s, b))
            socket.disconnected.connect(lambda s=socket: self._gone(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket, buffer: bytearray) -> None:
        buffer += bytes(socket.readAll().data())
        if len(buffer) > MAX_REQUEST_BYTES:
            socket.abort()
            return
        if b"\n" not in buffer or socket.property("conch_read"):
            return
        socket.setProperty("conch_read", True)
        try:
            request = json.loads(bytes(buffer).split(b"\n", 1)[0].decode("utf-8"))
            tag, text, hint = str(request["tag"]), str(request["prompt"]), str(request.get("hint") or "")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            socket.abort()
            return
        destination = self._destinations.get(tag)
        if destination is None:
            socket.write(b'{"cancel": true}\n')
            socket.disconnectFromServer()
            return
        info = classify(text, hint)
        count = self._seen.get((tag, text), 0) + 1
        self._seen[(tag, text)] = count
        prompt = Prompt(info, tag=tag, destination=destination, attempt=count, socket=socket)
        self._pending.append(prompt)
        prompt.done.connect(lambda p=prompt: self._forget(p))
        observer = self._observers.get(tag)
        if observer is not None:
            observer(prompt)
        if info.kind is PromptKind.HOST_KEY and info.retry:
            self._retries[tag] = self._retries.get(tag, 0) + 1
            if self._retries[tag] > HOST_KEY_RETRIES:
                prompt.reject()
                return
        if self._answerer is not None:
            self._answerer(prompt)
        else:
            self.prompted.emit(prompt)

    def _gone(self, socket: QLocalSocket) -> None:
        for prompt in list(self._pending):
            if prompt.asked_on(socket):
                prompt.expire()

    def _forget(self, prompt: Prompt) -> None:
        if prompt in self._pending:
            self._pending.remove(prompt)


_shared: PromptServer | None = None


def shared_prompt_server() -> PromptServer:
    """The application's prompt server (created on first use, a child of the QCoreApplication)."""
    global _shared
    if _shared is None:
        _shared = PromptServer(QCoreApplication.instance())
        _shared.destroyed.connect(_drop_shared)
    return _shared


def _drop_shared() -> None:
    global _shared
    _shared = None
