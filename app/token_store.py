"""Tokens the user asked Conch to remember, in the OS keyring, never in a file of Conch's.

The keyring may be slow (a D-Bus call, an unlock prompt), so every call runs on a worker
thread and answers on the Qt loop; a keyring that is missing or locked answers with an error
to show, never an exception."""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

SERVICE = "conch-jupyter-server"


class _Answer(QObject):
    done = Signal(int, object, str)  # (job number, token or None, error message or "")


class _Job(QRunnable):
    def __init__(self, number: int, work: Callable[[], str | None], answer: _Answer) -> None:
        super().__init__()
        self._number = number
        self._work = work
        self._answer = answer

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as error:  # noqa: BLE001 - any keyring failure is a message
            self._answer.done.emit(self._number, None, f"the system keyring is not available ({type(error).__name__}: {error})")
            return
        self._answer.done.emit(self._number, result, "")


class TokenStore(QObject):
    """Reads, saves and forgets tokens by server URL, off the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._answer = _Answer()
        # Queued: the answer is emitted on a worker thread and must be handled on this one.
        self._answer.done.connect(self._finish, Qt.ConnectionType.QueuedConnection)
        self._pending: dict[int, Callable[[str | None, str], None]] = {}
        self._count = 0

    def load(self, url: str, then: Callable[[str | None, str], None]) -> None:
        """``then(token or None, error)`` on the Qt loop."""
        self._run(lambda: _keyring().get_password(SERVICE, url), then)

    def save(self, url: str, token: str, then: Callable[[str | None, str], None] = lambda _t, _e: None) -> None:
        def work() -> None:
            _keyring().set_password(SERVICE, url, token)

        self._run(work, then)

    def forget(self, url: str) -> None:
        def work() -> None:
            try:
                _keyring().delete_password(SERVICE, url)
            except Exception:  # noqa: BLE001 - nothing saved: nothing to forget
                pass

        self._run(work, lambda _t, _e: None)

    def _run(self, work: Callable[[], str | None], then: Callable[[str | None, str], None]) -> None:
        self._count += 1
        self._pending[self._count] = then
        QThreadPool.globalInstance().start(_Job(self._count, work, self._answer))

    @Slot(int, object, str)
    def _finish(self, number: int, token: object, error: str) -> None:
        then = self._pending.pop(number, None)
        if error:
            log.warning("keyring: %s", error)
        if then is not None:
            then(token if isinstance(token, str) else None, error)


def _keyring():  # type: ignore[no-untyped-def]
    import keyring

    return keyring
