"""A console on a real python3 kernel, shut down (and checked gone) after each test."""
from __future__ import annotations

from typing import Iterator

import pytest
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.kernel_session import KernelSession


@pytest.fixture(scope="session", autouse=True)
def _stop_latex_worker() -> Iterator[None]:
    yield
    from conch.widgets.latex_renderer import LatexRenderer

    LatexRenderer.stop_shared()


@pytest.fixture
def console(qtbot: QtBot, kernel: KernelSession) -> ConsoleWidget:
    widget = ConsoleWidget(kernel)
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


def run(qtbot: QtBot, console: ConsoleWidget, code: str, timeout: int = 30000) -> str:
    """Execute ``code`` and wait for its execution_finished; returns the msg_id."""
    with qtbot.waitSignal(console.execution_finished, timeout=timeout) as blocker:
        msg_id = console.execute(code)
    assert blocker.args == [msg_id]
    return msg_id
