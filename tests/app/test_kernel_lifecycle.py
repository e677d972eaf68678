"""A kernel's whole life in a tab: existing kernels, interrupts, restarts, death and auto-restart."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from jupyter_client.manager import KernelManager
from pytestqt.qtbot import QtBot

from conch.app.kernel.connection_files import list_connection_files
from conch.app.model.transcript import Notice
from conch.app.running_kernel import AUTO_RESTART_LIMIT
from conch.widgets.kernel_tab import KernelTab
from conch.app.kernel.status import KernelStatus

from ..conftest import pid_exists
from .conftest import running, PYTHON_KERNEL_ARGV, add_kernelspec, close_window, open_window, wait_idle


def run(qtbot: QtBot, tab: KernelTab, code: str, timeout: int = 30000) -> None:
    assert tab.console is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=timeout):
        tab.console.execute(code)


def notices(tab: KernelTab) -> list[str]:
    assert tab.session is not None
    return [e.text for e in tab.session.transcript.entries if isinstance(e, Notice)]


def test_existing_kernel_from_a_connection_file_is_attached_interrupted_and_left_running(
    qtbot: QtBot, foreign_kernel: KernelManager
) -> None:
    window = open_window(qtbot, tabs=0)
    tab = window.new_tab(connection_file=Path(foreign_kernel.connection_file))
    wait_idle(qtbot, tab)
    assert tab.session is not None and not tab.session.kernel.owned
    assert tab.console is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
        tab.console.execute("while True: pass")
        qtbot.waitUntil(lambda: running(tab), timeout=10000)
        window.interrupt_kernel()  # Kernel ▸ Interrupt: an interrupt_request on control
    assert "KeyboardInterrupt" in tab.session.transcript.outputs()[-1].text
    run(qtbot, tab, "print('alive')")
    window.close_current_tab()  # detaches only
    qtbot.waitUntil(lambda: window.tabs.count() == 0, timeout=5000)
    assert foreign_kernel.is_alive()
    close_window(qtbot, window)
    assert foreign_kernel.is_alive()


def test_cli_existing_attaches_to_the_newest_connection_file_and_leaves_the_kernel(
    foreign_kernel: KernelManager, tmp_path: Path
) -> None:
    runtime = Path(foreign_kernel.connection_file).parent
    newest = list_connection_files(runtime)[0].path
    assert newest == Path(foreign_kernel.connection_file)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JUPYTER_RUNTIME_DIR=str(runtime))
    result = subprocess.run(
        [sys.executable, "-m", "conch", "--existing", "--startup-times", "--quit-when-ready"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "conch-startup prompt-ready" in result.stderr
    assert foreign_kernel.is_alive()  # not ours to shut down
    named = subprocess.run(
        [sys.executable, "-m", "conch", "--existing", newest.name, "--quit-when-ready"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert named.returncode == 0, named.stderr[-2000:]


def test_interrupt_mode_message_kernelspec_is_interrupted_by_message(qtbot: QtBot, kernelspecs: Path) -> None:
    add_kernelspec(kernelspecs, "py-message", PYTHON_KERNEL_ARGV, interrupt_mode="message")
    window = open_window(qtbot, tabs=0)
    tab = window.new_tab("py-message")
    wait_idle(qtbot, tab)
    assert tab.session is not None and tab.session.kernel.interrupt_mode == "message"
    assert tab.console is not None
    with qtbot.waitSignal(tab.console.execution_finished, timeout=30000):
        tab.console.execute("while True: pass")
        qtbot.waitUntil(lambda: running(tab), timeout=10000)
        with qtbot.waitSignal(tab.status_message, timeout=2000) as sent:
            window.interrupt_kernel()
    assert "interrupt_request" in sent.args[0]
    assert "KeyboardInterrupt" in tab.session.transcript.outputs()[-1].text
    close_window(qtbot, window)


def test_restart_keeps_history_resets_the_count_and_restart_and_clear_empties(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.session is not None and tab.console is not None
    run(qtbot, tab, "x = 1")
    run(qtbot, tab, "x += 1")
    old_pid = tab.session.process.pid  # type: ignore[union-attr]
    window.restart_kernel()
    assert tab.status is KernelStatus.STARTING
    wait_idle(qtbot, tab)
    assert tab.session.process.pid != old_pid and not pid_exists(old_pid)  # type: ignore[union-attr,arg-type]
    assert "Kernel restarted" in notices(tab)
    assert tab.console.prompt.text() == "In [1]:"
    assert tab.session.history.entries[-2:] == ["x = 1", "x += 1"]
    run(qtbot, tab, "print('x' in dir())")
    assert tab.session.transcript.outputs()[-1].text == "False\n"
    window.restart_kernel(clear=True)
    wait_idle(qtbot, tab)
    assert tab.session.transcript.outputs() == [] and notices(tab) == ["Kernel restarted"]
    close_window(qtbot, window)


def test_kill_9_is_shown_within_3_s_and_the_kernel_restarts_by_itself_at_most_3_times(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.session is not None
    session = tab.session
    run(qtbot, tab, "kept = 1")
    for attempt in range(1, AUTO_RESTART_LIMIT + 2):
        pid = session.process.pid  # type: ignore[union-attr]
        assert pid is not None
        with qtbot.waitSignal(session.died, timeout=3000) as died:
            os.kill(pid, signal.SIGKILL)
        assert "died" in died.args[0] and "-9" in died.args[0]
        assert tab.banner.isVisible() and tab.status in (KernelStatus.DEAD, KernelStatus.STARTING)
        if attempt <= AUTO_RESTART_LIMIT:
            assert f"automatically ({attempt} of {AUTO_RESTART_LIMIT})" in died.args[0]
            wait_idle(qtbot, tab)
            assert session.process.pid != pid  # type: ignore[union-attr]
        else:
            assert "Kernel ▸ Restart" in died.args[0]
            qtbot.wait(300)  # would be long enough for an automatic restart to begin
            assert tab.status is KernelStatus.DEAD and [b.text() for b in tab.banner.buttons()] == ["Restart"]
    assert next(session.transcript.cells()).code == "kept = 1"
    tab.banner.buttons()[0].click()  # the banner's Restart
    wait_idle(qtbot, tab)
    assert not tab.banner.isVisible()
    close_window(qtbot, window)


def test_an_existing_kernel_that_is_killed_is_shown_within_3_s(qtbot: QtBot, foreign_kernel: KernelManager) -> None:
    window = open_window(qtbot, tabs=0)
    tab = window.new_tab(connection_file=Path(foreign_kernel.connection_file))
    wait_idle(qtbot, tab)
    run(qtbot, tab, "print('before')")
    pid = foreign_kernel.provisioner.process.pid  # type: ignore[union-attr]
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: tab.status is KernelStatus.UNRESPONSIVE, timeout=3000)
    assert time.monotonic() - killed < 3.0
    assert tab.banner.isVisible() and "not responding" in tab.banner.label.text()
    assert "before\n" in [o.text for o in tab.session.transcript.outputs()]  # type: ignore[union-attr]
    assert "not responding" in window.tabs.tabText(0)
    close_window(qtbot, window)


def test_a_hung_kernel_is_shown_and_recovers_when_it_answers_again(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.session is not None
    pid = tab.session.process.pid  # type: ignore[union-attr]
    assert pid is not None
    os.killpg(pid, signal.SIGSTOP)
    try:
        qtbot.waitUntil(lambda: tab.status is KernelStatus.UNRESPONSIVE, timeout=3000)
        assert tab.banner.isVisible() and [b.text() for b in tab.banner.buttons()] == ["Restart"]
    finally:
        os.killpg(pid, signal.SIGCONT)
    wait_idle(qtbot, tab, timeout=5000)
    assert not tab.banner.isVisible() and "The kernel is responding again." in notices(tab)
    run(qtbot, tab, "print('fine')")
    close_window(qtbot, window)


def test_connection_file_picker_lists_newest_first_and_opens_the_pick(
    qtbot: QtBot, foreign_kernel: KernelManager, tmp_path: Path
) -> None:
    folder = tmp_path / "picker"
    folder.mkdir()
    older = folder / "kernel-older.json"
    stale = json.loads(Path(foreign_kernel.connection_file).read_text()) | {"shell_port": 1, "kernel_name": "python3"}
    older.write_text(json.dumps(stale))  # a complete file of a kernel that has gone
    os.utime(older, (time.time() - 3600, time.time() - 3600))
    live = folder / "kernel-live.json"
    live.write_text(Path(foreign_kernel.connection_file).read_text())
    from conch.widgets.connection_picker import ConnectionPicker

    window = open_window(qtbot, tabs=0)
    picker = ConnectionPicker(window, folder)
    picker.chosen.connect(lambda path: window.new_tab(connection_file=path))
    rows = [picker.list.item(i).text() for i in range(picker.list.count())]
    assert rows[0].startswith("kernel-live.json") and rows[1].startswith("kernel-older.json — python3")
    picker.accept()
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=5000)
    tab = window.tab_list()[0]
    wait_idle(qtbot, tab)
    run(qtbot, tab, "print(6 * 7)")
    close_window(qtbot, window)
    assert foreign_kernel.is_alive()
