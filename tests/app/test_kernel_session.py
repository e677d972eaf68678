"""Kernel sessions: death, shutdown and the transcript surviving both (real ipykernel)."""
from __future__ import annotations

import os

import pytest
from pytestqt.qtbot import QtBot

from conch import start_kernel
from conch.app.kernel.launcher import KernelSpecNotFound
from conch.app.model.transcript import CellState, Notice
from conch.app.kernel.status import KernelStatus

from ..conftest import pid_exists


def test_shutdown_returns_at_once_and_leaves_no_process(qtbot: QtBot) -> None:
    session = start_kernel("python3")
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=30000)
    assert session.process is not None and session.process.pid is not None
    pid = session.process.pid
    connection_file = session.process.connection_file
    session.shutdown()
    qtbot.waitUntil(lambda: not pid_exists(pid), timeout=2500)
    qtbot.waitUntil(lambda: not os.path.exists(connection_file), timeout=2000)


def test_kernel_death_is_shown_and_the_transcript_stays(qtbot: QtBot) -> None:
    session = start_kernel("python3")
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=30000)
    finished: list[str] = []
    session.execution_finished.connect(finished.append)
    session.execute("print('before')")
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=30000)
    with qtbot.waitSignal(session.died, timeout=5000) as died:
        session.execute("import os; os._exit(1)")
    assert "died" in died.args[0] and "exit code 1" in died.args[0]
    assert session.status is KernelStatus.DEAD
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=2000)  # the fatal execution ended, aborted
    cells = list(session.transcript.cells())
    assert cells[0].outputs[0].text == "before\n"
    assert cells[1].state is CellState.ABORTED
    notice = session.transcript.entries[-1]
    assert isinstance(notice, Notice) and notice.level == "error" and "died" in notice.text
    session.shutdown()


def test_unknown_kernelspec_raises_a_clear_error(qtbot: QtBot) -> None:
    with pytest.raises(KernelSpecNotFound) as info:
        start_kernel("no-such-kernel")
    assert "no-such-kernel" in str(info.value) and "python3" in str(info.value)


def test_restart_replaces_the_process_keeps_the_transcript_and_resets_state(qtbot: QtBot) -> None:
    session = start_kernel("python3")
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=30000)
    finished: list[str] = []
    session.execution_finished.connect(finished.append)
    session.execute("x = 41")
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=30000)
    assert session.process is not None
    old_pid = session.process.pid
    assert old_pid is not None
    statuses: list[str] = []
    session.status_changed.connect(statuses.append)
    session.restart()
    assert session.status is KernelStatus.STARTING and statuses[0] is KernelStatus.STARTING
    session.execute("x")  # while restarting: refused with a notice, never left hanging
    assert "restarting" in session.transcript.entries[-1].text  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: session.process is not None and session.process.pid != old_pid, timeout=10000)
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=30000)
    assert not pid_exists(old_pid)
    session.execute("print('x' in dir())")
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=30000)
    cells = list(session.transcript.cells())
    assert cells[-1].outputs[0].text == "False\n" and cells[-1].execution_count == 1
    assert any(isinstance(e, Notice) and e.text == "Kernel restarted" for e in session.transcript.entries)
    assert not any(isinstance(e, Notice) and "died" in e.text for e in session.transcript.entries)
    session.shutdown()
    new_pid = session.process.pid
    assert new_pid is not None
    qtbot.waitUntil(lambda: not pid_exists(new_pid), timeout=3000)
