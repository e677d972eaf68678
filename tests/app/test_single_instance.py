"""A second launch reaches the running Conch: its tab opens in the running window (a real
second ``conch`` process), unless it asks for a new window."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from conch.app.cli import listen_for_launches
from conch.app.kernel.status import KernelStatus
from conch.app.single_instance import decode, hand_over, make_request, socket_path
from tests.app.conftest import close_window, open_window, wait_idle


def launch(*args: str) -> subprocess.Popen[str]:
    """``conch ARGS`` as a user starts it (same settings folder as the test, no terminal)."""
    return subprocess.Popen([sys.executable, "-m", "conch", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=dict(os.environ))


def test_a_second_launch_opens_its_tab_in_the_running_window(qtbot: QtBot, foreign_kernel) -> None:  # noqa: ANN001
    window = open_window(qtbot)
    listen_for_launches(window)
    assert socket_path().exists()

    second = launch("--kernel", "python3")
    qtbot.waitUntil(lambda: second.poll() is not None, timeout=30000)  # the Qt loop answers meanwhile
    _out, err = second.communicate()
    assert second.returncode == 0 and "already running" in err
    qtbot.waitUntil(lambda: len(window.tab_list()) == 2, timeout=5000)
    wait_idle(qtbot, window.tab_list()[1])

    third = launch(foreign_kernel.connection_file)  # a connection file dropped on the launcher
    qtbot.waitUntil(lambda: third.poll() is not None, timeout=30000)
    assert third.returncode == 0, third.communicate()[1]
    third.communicate()
    qtbot.waitUntil(lambda: len(window.tab_list()) == 3, timeout=5000)
    tab = window.tab_list()[2]
    qtbot.waitUntil(lambda: tab.status is KernelStatus.IDLE, timeout=30000)
    assert tab.session is not None and not tab.session.kernel.owned  # attached, not launched

    alone = launch("--new-window", "--quit-when-ready")  # its own window: it does not hand over
    qtbot.waitUntil(lambda: alone.poll() is not None, timeout=60000)
    _out, err = alone.communicate()
    assert alone.returncode == 0 and "already running" not in err, err
    assert len(window.tab_list()) == 3
    close_window(qtbot, window)


def test_malformed_requests_are_refused(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tabs=0)
    listen_for_launches(window)
    answers: list[bytes] = []
    for line in (b"not json\n", json.dumps({"kind": "rm -rf"}).encode() + b"\n",
                 json.dumps({"kind": "existing", "path": 5}).encode() + b"\n"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(str(socket_path()))
            connection.sendall(line)
            connection.setblocking(False)  # the window answers on this thread's Qt loop

            def answered(connection: socket.socket = connection) -> bool:
                try:
                    answers.append(connection.recv(16))
                except BlockingIOError:
                    return False
                return True

            qtbot.waitUntil(answered, timeout=5000)
    assert answers == [b"refused\n"] * 3 and window.tab_list() == []
    assert decode(b'{"kind": "local", "kernel": "python3"}') == {"kind": "local", "kernel": "python3"}
    close_window(qtbot, window)


def test_a_stale_socket_is_not_a_running_conch(tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.close()  # the file stays; nobody listens (Conch was killed)
    assert path.exists() and hand_over(make_request("local"), path) is False
    assert hand_over(make_request("local"), tmp_path / "missing.sock") is False
