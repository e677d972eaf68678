"""Windows, kernels started by someone else, and kernelspecs that misbehave on purpose."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from jupyter_client.manager import KernelManager
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from conch.app.kernel_session import KernelSession
from conch.app.main_window import MainWindow
from conch.app.settings import Settings
from conch.widgets.kernel_tab import KernelTab
from conch.app.kernel.status import KernelStatus


def open_window(qtbot: QtBot, tabs: int = 1, settings: Settings | None = None) -> MainWindow:
    """A shown window with ``tabs`` python3 tabs, each idle."""
    window = MainWindow("python3", settings=settings)
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    for _ in range(tabs):
        tab = window.new_tab()
        wait_idle(qtbot, tab)
    return window


def wait_idle(qtbot: QtBot, tab: KernelTab, timeout: int = 30000) -> None:
    qtbot.waitUntil(lambda: tab.status is KernelStatus.IDLE, timeout=timeout)


def running(tab: KernelTab) -> bool:
    """The tab's kernel has started running the tab's latest execution (not just any busy status)."""
    return tab.session is not None and tab.session.running_for is not None


def close_window(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.all_kernels_closed, timeout=10000):
        window.close()
        question = window.question
        assert question is None or not question.isVisible(), f"closing asked: {question.text()}"


@pytest.fixture
def foreign_kernel(tmp_path: Path) -> Iterator[KernelManager]:
    """A python3 kernel started by jupyter_client in the test, as another program would; its
    connection file is the only one in a runtime folder of its own."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    manager = KernelManager(kernel_name="python3", connection_file=str(runtime / "kernel-foreign.json"))
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield manager
    finally:
        manager.shutdown_kernel(now=True)
        manager.cleanup_resources()


@pytest.fixture
def kernelspecs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kernelspec folder on JUPYTER_PATH; ``add_kernelspec`` writes into it."""
    folder = tmp_path / "jupyter"
    (folder / "kernels").mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PATH", str(folder))
    return folder / "kernels"


def add_kernelspec(folder: Path, name: str, argv: list[str], **extra: object) -> None:
    (folder / name).mkdir()
    spec = {"argv": argv, "display_name": f"Test {name}", "language": "python", **extra}
    (folder / name / "kernel.json").write_text(json.dumps(spec))


PYTHON_KERNEL_ARGV = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def focused() -> QWidget:
    """The widget that has the keyboard focus (what a person's keys reach)."""
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def wait_focus(qtbot: QtBot, widget: QWidget) -> None:
    """Wait until ``widget`` has the keyboard focus (a closed dialog hands the window back on
    the next event-loop turns, as on a desktop)."""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5000)


def press(qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key on whatever has the focus, as a person would."""
    qtbot.keyClick(focused(), key, modifiers)


def type_keys(qtbot: QtBot, text: str) -> None:
    """Type ``text`` key by key into whatever has the focus (it may move while typing)."""
    for char in text:
        qtbot.keyClicks(focused(), char)


def answer(qtbot: QtBot, question: QMessageBox | None, button_text: str) -> None:
    """Click the question's button labelled ``button_text`` with the mouse."""
    assert question is not None and question.isVisible()
    (button,) = [b for b in question.buttons() if b.text().replace("&", "") == button_text]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def session_of(tab: KernelTab) -> KernelSession:
    assert tab.session is not None
    return tab.session


def pid_of(tab: KernelTab) -> int:
    process = session_of(tab).process
    assert process is not None and process.pid is not None
    return process.pid
