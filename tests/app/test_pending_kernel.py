"""A kernel whose connection comes later (an SSH tunnel being made): the console waits, then
works; or it says why it never came."""
from __future__ import annotations

import json
from pathlib import Path

from jupyter_client.manager import KernelManager
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.kernel.status import KernelStatus
from conch.app.kernel_session import KernelSession
from conch.app.running_kernel import RunningKernel


def test_a_console_waits_for_the_connection_then_runs(qtbot: QtBot, foreign_kernel: KernelManager) -> None:
    kernel = RunningKernel.over_ssh("gpu-box", "/run/user/1/jupyter/kernel-abc.json")
    session = KernelSession(kernel)
    console = ConsoleWidget(session)
    qtbot.addWidget(console)
    console.execute("print('typed before the tunnel')")  # waits with the rest
    assert session.status is KernelStatus.STARTING and "gpu-box" in kernel.display_name
    kernel.use_connection(json.loads(Path(foreign_kernel.connection_file).read_text()))
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE and not session.is_busy(), timeout=30000)
    (cell,) = [c for c in session.transcript.cells() if c.code.startswith("print('typed")]
    assert [o.text for o in cell.outputs] == ["typed before the tunnel\n"]
    with qtbot.waitSignal(session.closed, timeout=10000):
        session.shutdown()
    assert foreign_kernel.is_alive()  # attached, not owned: left running


def test_a_tunnel_that_fails_leaves_the_reason_in_the_console(qtbot: QtBot) -> None:
    kernel = RunningKernel.over_ssh("gpu-box", "kernel-abc.json")
    session = KernelSession(kernel)
    console = ConsoleWidget(session)
    qtbot.addWidget(console)
    kernel.fail("ssh: Could not resolve hostname gpu-box.")
    assert session.status is KernelStatus.DEAD
    assert "Could not resolve hostname gpu-box" in console.transcript_text()
    with qtbot.waitSignal(session.closed, timeout=10000):
        session.shutdown()
