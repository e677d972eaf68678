"""Shared test setup: headless Qt, and a real local kernel that is always killed."""
from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import TYPE_CHECKING, Iterator  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from conch.app.kernel.launcher import LocalKernelProcess  # noqa: E402
from conch.app.kernel.status import KernelStatus  # noqa: E402

if TYPE_CHECKING:
    from conch.app.kernel_session import KernelSession


def pid_exists(pid: int) -> bool:
    """Whether a process with this PID still exists (a zombie counts as gone only once reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(autouse=True)
def _own_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own settings file, nor see the connection files of
    kernels anything else started (each test has a runtime folder of its own)."""
    monkeypatch.setenv("CONCH_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path_factory.mktemp("runtime")))


@pytest.fixture
def kernel_process(qtbot: QtBot) -> Iterator[LocalKernelProcess]:
    """A started python3 kernel; killed, reaped and cleaned up afterwards."""
    process = LocalKernelProcess("python3")
    process.start()
    try:
        yield process
    finally:
        process.kill()
        qtbot.waitUntil(lambda: not process.is_alive(), timeout=5000)
        process.cleanup()


@pytest.fixture
def connection_info(kernel_process: LocalKernelProcess) -> dict[str, object]:
    """The running kernel's connection info, as read back from its connection file."""
    with open(kernel_process.connection_file, encoding="utf-8") as file:
        info: dict[str, object] = json.load(file)
    return info


@pytest.fixture
def kernel(qtbot: QtBot) -> Iterator["KernelSession"]:
    """A session on a freshly launched python3 kernel, idle; shut down and checked gone after."""
    from conch.app.embedding import start_kernel

    session = start_kernel("python3")
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=30000)
    yield session
    session.shutdown()
    process = session.process
    assert process is not None
    qtbot.waitUntil(lambda: not process.is_alive(), timeout=5000)
