"""Consoles on kernels reached over SSH (a real sshd on 127.0.0.1): a kernel on a Jupyter server
Conch starts there, on the user's own server there, a raw kernel's connection file there; a
master killed mid-cell; nothing left running."""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest
from jupyter_client.manager import KernelManager
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget, attach_kernel, start_kernel
from conch.app.kernel.status import KernelStatus
from conch.app.kernel_session import KernelSession
from conch.app.ssh.master import MasterState
from conch.app.ssh_hosts import SshHosts
from tests.app.ssh.helpers import alive
from tests.remote_servers import start_jupyter_server
from tests.ssh_server import SshServer


@pytest.fixture
def hosts(qtbot: QtBot, sshd: SshServer) -> Iterator[SshHosts]:
    """The application's SSH hosts, trusting the test server's host key; afterwards every ssh
    process Conch started is gone and sshd has no session left."""
    sshd.trust_host_key()
    shared = SshHosts.shared()
    yield shared
    shared.stop_all()
    for host in list(shared._hosts.values()):  # noqa: SLF001 - the leak check needs every master
        qtbot.waitUntil(lambda h=host: h.master.state in (MasterState.STOPPED, MasterState.IDLE, MasterState.FAILED), timeout=15000)  # type: ignore[misc]
        qtbot.waitUntil(lambda h=host: not [p for p in h.master.started_pids if alive(p)], timeout=15000)  # type: ignore[misc]
    shared._hosts.clear()  # noqa: SLF001
    qtbot.waitUntil(lambda: not sshd.session_pids(), timeout=15000)
    qtbot.waitUntil(lambda: not sshd.remote_pids(), timeout=20000)  # servers and kernels started there


def open_console(qtbot: QtBot, session: KernelSession, timeout: int = 90_000) -> ConsoleWidget:
    console = ConsoleWidget(session)
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=timeout)
    return console


def run(qtbot: QtBot, console: ConsoleWidget, code: str, timeout: int = 30_000) -> str:
    with qtbot.waitSignal(console.execution_finished, timeout=timeout):
        console.execute(code)
    return console.outputs()[-1].text


def close(qtbot: QtBot, session: KernelSession) -> None:
    with qtbot.waitSignal(session.closed, timeout=30_000):
        session.shutdown()


def test_a_kernel_on_a_server_conch_starts_there_runs_and_all_of_it_stops(
    qtbot: QtBot, sshd: SshServer, hosts: SshHosts
) -> None:
    session = start_kernel("python3", ssh=sshd.host_alias, ssh_options=sshd.ssh_options())
    assert session.status is KernelStatus.CONNECTING and "conch-test" in session.kernel.display_name
    console = open_console(qtbot, session)
    assert run(qtbot, console, "import os\nprint(os.environ.get('HOME'))").strip() == str(sshd.remote_home)
    host = hosts.host(sshd.host_alias, sshd.ssh_options())
    started = host.started_server
    assert started is not None
    token = started.address.token or ""
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert token and token not in listing  # never on a command line, here or "there"
    close(qtbot, session)
    assert host.master.state is MasterState.STOPPED  # all of it stopped before "closed" came
    qtbot.waitUntil(lambda: not sshd.remote_pids(), timeout=30_000)  # server and kernel gone


def test_the_users_own_server_there_is_used_and_left_running(
    qtbot: QtBot, sshd: SshServer, hosts: SshHosts
) -> None:
    server = start_jupyter_server(sshd.jupyter_root)
    try:
        session = start_kernel("python3", ssh=sshd.host_alias, ssh_options=sshd.ssh_options())
        console = open_console(qtbot, session)
        assert session.kernel.kernel_id in server.kernel_ids()
        assert run(qtbot, console, "print(6 * 7)") == "42\n"
        close(qtbot, session)
        assert server.process.poll() is None and session.kernel.kernel_id not in server.kernel_ids()
    finally:
        server.stop()


def test_a_raw_kernel_s_connection_file_there_is_attached_without_copying_it(
    qtbot: QtBot, sshd: SshServer, hosts: SshHosts
) -> None:
    runtime = sshd.jupyter_root / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    manager = KernelManager(kernel_name="python3", connection_file=str(runtime / "kernel-rawtest.json"))
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        session = attach_kernel("kernel-rawtest.json", ssh=sshd.host_alias, ssh_options=sshd.ssh_options())
        console = open_console(qtbot, session)
        assert "rawtest"[:7] in session.kernel.display_name and "conch-test" in session.kernel.display_name
        assert run(qtbot, console, "print(2 + 2)") == "4\n"
        close(qtbot, session)
        assert manager.is_alive()  # attached, not owned
    finally:
        manager.shutdown_kernel(now=True)


def test_killing_the_ssh_master_mid_cell_loses_no_line(qtbot: QtBot, sshd: SshServer, hosts: SshHosts) -> None:
    session = start_kernel("python3", ssh=sshd.host_alias, ssh_options=sshd.ssh_options())
    console = open_console(qtbot, session)
    host = hosts.host(sshd.host_alias, sshd.ssh_options())
    code = "import time\nfor i in range(150):\n    print(f'line {i}', flush=True)\n    time.sleep(0.02)"
    with qtbot.waitSignal(console.execution_finished, timeout=90_000):
        console.execute(code)
        qtbot.waitUntil(lambda: "line 20" in console.transcript_text(), timeout=30_000)
        pid = host.master.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
    (stream,) = console.outputs()
    assert stream.text.splitlines() == [f"line {i}" for i in range(150)]
    assert "was lost" in console.transcript_text() and "again" in console.transcript_text()
    close(qtbot, session)


def test_an_unreachable_host_says_so_in_the_console(qtbot: QtBot, sshd: SshServer, hosts: SshHosts) -> None:
    session = start_kernel("python3", ssh="no-such-host.invalid", ssh_options=["-o", "ConnectTimeout=5"])
    console = ConsoleWidget(session)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: session.status is KernelStatus.DEAD, timeout=30_000)
    assert "no-such-host.invalid" in console.transcript_text()
    close(qtbot, session)


def test_quitting_without_closing_still_stops_the_server_conch_started_there(
    qtbot: QtBot, sshd: SshServer, hosts: SshHosts
) -> None:
    session = start_kernel("python3", ssh=sshd.host_alias, ssh_options=sshd.ssh_options())
    open_console(qtbot, session)
    assert sshd.remote_pids()
    hosts.stop_all()  # what the application's aboutToQuit does
    qtbot.waitUntil(lambda: not sshd.remote_pids(), timeout=30_000)
