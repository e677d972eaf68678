"""Shared test setup: headless Qt, and a real local kernel that is always killed."""
from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Iterator  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from conch.app.kernel.launcher import LocalKernelProcess  # noqa: E402


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
