"""Helpers shared by the SSH tests (waiting on masters and commands, checking processes)."""
from __future__ import annotations

from typing import Callable

from pytestqt.qtbot import QtBot

from conch.app.ssh.calls import SshCall
from conch.app.ssh.master import MasterState, SshMaster
from tests.ssh_server import process_alive as alive

__all__ = ["MakeMaster", "alive", "finish", "run", "wait_failed", "wait_ready"]

MakeMaster = Callable[..., SshMaster]
READY_MS = 20000


def wait_ready(qtbot: QtBot, master: SshMaster) -> None:
    qtbot.waitUntil(lambda: master.state in (MasterState.READY, MasterState.FAILED), timeout=READY_MS)
    assert master.state is MasterState.READY, master.reason or master.stderr


def wait_failed(qtbot: QtBot, master: SshMaster) -> str:
    qtbot.waitUntil(lambda: master.state is MasterState.FAILED, timeout=READY_MS)
    return master.reason


def run(qtbot: QtBot, master: SshMaster, command: str, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    remote = master.run(command, stdin)
    with qtbot.waitSignal(remote.finished, timeout=15000) as blocker:
        pass
    code, out, err = blocker.args
    return code, out, err


def finish(qtbot: QtBot, call: SshCall, timeout: int = 30000) -> SshCall:  # type: ignore[type-arg]
    """Wait until ``call`` has finished (and emitted ``finished``); returns it."""
    if not call.done:
        with qtbot.waitSignal(call.finished, timeout=timeout):
            pass
    qtbot.waitUntil(lambda: call.done, timeout=timeout)
    return call
