"""Bad input gets a message naming the problem; the window stays responsive and other tabs work."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager
from pytestqt.qtbot import QtBot

from conch.app import startup_watch
from conch.app.main_window import MainWindow
from conch.widgets.kernel_tab import KernelTab
from conch.app.kernel.status import KernelStatus

from ..conftest import pid_exists
from .conftest import add_kernelspec, close_window, open_window


def still_works(qtbot: QtBot, tab: KernelTab) -> None:
    """The healthy tab next to the broken one still runs code."""
    assert tab.console is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
        tab.console.execute("print('unaffected')")
    assert tab.console.outputs()[-1].text == "unaffected\n"


def open_with_healthy_tab(qtbot: QtBot) -> tuple[MainWindow, KernelTab]:
    window = open_window(qtbot)
    healthy = window.current_tab()
    assert healthy is not None
    return window, healthy


@pytest.fixture
def quick_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Say "not answering" after 2 s (and look every second) instead of 30 s and 5 s."""
    monkeypatch.setattr(startup_watch, "SILENCE_DIAGNOSIS", 1.0)
    monkeypatch.setattr(startup_watch, "KERNEL_INFO_TIMEOUT", 2.0)


def test_corrupt_and_missing_connection_files_are_named_in_the_tab(qtbot: QtBot, tmp_path: Path) -> None:
    window, healthy = open_with_healthy_tab(qtbot)
    corrupt = tmp_path / "kernel-corrupt.json"
    corrupt.write_text('{"shell_port": 1, ')
    bad = window.new_tab(connection_file=corrupt)
    qtbot.waitUntil(lambda: bad.error is not None, timeout=5000)
    assert str(corrupt) in bad.error and "not valid JSON" in bad.error  # type: ignore[operator]
    assert "no kernel" in window.tabs.tabText(window.tabs.indexOf(bad))
    missing = window.new_tab(connection_file=tmp_path / "kernel-gone.json")
    qtbot.waitUntil(lambda: missing.error is not None, timeout=5000)
    assert "does not exist" in missing.error and "kernel-gone.json" in missing.error  # type: ignore[operator]
    not_a_kernel = tmp_path / "kernel-other.json"
    not_a_kernel.write_text('{"name": "something else"}')
    other = window.new_tab(connection_file=not_a_kernel)
    qtbot.waitUntil(lambda: other.error is not None, timeout=5000)
    assert "not a kernel connection file" in other.error  # type: ignore[operator]
    still_works(qtbot, healthy)
    close_window(qtbot, window)


def test_a_key_that_does_not_match_is_reported(
    qtbot: QtBot, foreign_kernel: KernelManager, tmp_path: Path, quick_diagnosis: None
) -> None:
    window, healthy = open_with_healthy_tab(qtbot)
    info = json.loads(Path(foreign_kernel.connection_file).read_text())
    info["key"] = "0" * len(info["key"])
    wrong = tmp_path / "kernel-wrong-key.json"
    wrong.write_text(json.dumps(info))
    tab = window.new_tab(connection_file=wrong)
    # The kernel publishes its status for each request it receives (even one it then rejects
    # as unsigned): those messages fail our signature check.
    qtbot.waitUntil(lambda: tab.banner.isVisible(), timeout=10000)
    text = tab.banner.label.text()
    assert "signature" in text and "key" in text and "does not match" in text
    assert tab.status is KernelStatus.STARTING
    still_works(qtbot, healthy)
    close_window(qtbot, window)


def test_nothing_listening_behind_a_connection_file_is_reported(
    qtbot: QtBot, tmp_path: Path, quick_diagnosis: None
) -> None:
    window, healthy = open_with_healthy_tab(qtbot)
    stale = tmp_path / "kernel-stale.json"
    ports = {f"{name}_port": 1 + i for i, name in enumerate(("shell", "iopub", "stdin", "control", "hb"))}
    stale.write_text(json.dumps({"ip": "127.0.0.1", "key": "k", "transport": "tcp", **ports}))
    tab = window.new_tab(connection_file=stale)
    qtbot.waitUntil(lambda: tab.banner.isVisible(), timeout=5000)
    assert "Nothing answers at 127.0.0.1" in tab.banner.label.text()
    still_works(qtbot, healthy)
    close_window(qtbot, window)


def test_a_kernel_that_never_answers_is_reported_and_the_user_chooses(
    qtbot: QtBot, kernelspecs: Path, quick_diagnosis: None
) -> None:
    add_kernelspec(kernelspecs, "silent", [sys.executable, "-c", "import time; time.sleep(600)", "{connection_file}"])
    window, healthy = open_with_healthy_tab(qtbot)
    tab = window.new_tab("silent")
    qtbot.waitUntil(lambda: tab.banner.isVisible(), timeout=10000)
    assert "has not answered for 2 s" in tab.banner.label.text()
    keep, close = tab.banner.buttons()
    assert (keep.text(), close.text()) == ("Keep Waiting", "Close Tab")
    keep.click()
    assert not tab.banner.isVisible()
    qtbot.waitUntil(lambda: tab.banner.isVisible(), timeout=10000)  # asked again later
    assert tab.session is not None and tab.session.process is not None
    pid = tab.session.process.pid
    assert pid is not None
    tab.banner.buttons()[1].click()
    qtbot.waitUntil(lambda: window.tabs.count() == 1 and not pid_exists(pid), timeout=5000)
    still_works(qtbot, healthy)
    close_window(qtbot, window)


def test_missing_executable_and_a_kernel_that_exits_at_launch(qtbot: QtBot, kernelspecs: Path) -> None:
    add_kernelspec(kernelspecs, "nowhere", ["/no/such/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    add_kernelspec(kernelspecs, "quitter", [sys.executable, "-c", "import sys; sys.exit(3)", "{connection_file}"])
    window, healthy = open_with_healthy_tab(qtbot)
    missing = window.new_tab("nowhere")
    qtbot.waitUntil(lambda: missing.error is not None, timeout=5000)
    assert "/no/such/python" in missing.error and "does not exist" in missing.error  # type: ignore[operator]
    quitter = window.new_tab("quitter")
    qtbot.waitUntil(lambda: quitter.banner.isVisible(), timeout=5000)
    text = quitter.banner.label.text()
    assert "exit code 3" in text and "before it answered" in text and "automatically" not in text
    assert quitter.status is KernelStatus.DEAD and [b.text() for b in quitter.banner.buttons()] == ["Restart"]
    assert "dead" in window.tabs.tabText(window.tabs.indexOf(quitter))
    still_works(qtbot, healthy)
    close_window(qtbot, window)


def test_cli_existing_with_a_bad_file_exits_with_a_message(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JUPYTER_RUNTIME_DIR=str(tmp_path / "empty"))
    corrupt = tmp_path / "kernel-x.json"
    corrupt.write_text("not json")
    for args, expected in (
        (["--existing", str(corrupt)], "not valid JSON"),
        (["--existing", str(tmp_path / "kernel-none.json")], "does not exist"),
        (["--existing"], "No kernel connection files"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "conch", *args], capture_output=True, text=True, timeout=60, env=env
        )
        assert result.returncode == 2 and expected in result.stderr, (args, result.stderr)
