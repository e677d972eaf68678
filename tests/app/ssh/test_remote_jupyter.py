"""Jupyter through SSH against a real sshd (the "remote" is this machine, with its own HOME and
Jupyter folders): listing servers, starting and stopping one, forwarding a raw kernel."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager
from pytestqt.qtbot import QtBot

from conch.app.kernel.server_api import ServerApi
from conch.app.kernel.status import KernelStatus
from conch.app.kernel_session import KernelSession
from conch.app.running_kernel import RunningKernel
from conch.app.ssh.remote_jupyter import RemoteJupyter, StartedServer
from tests.app.ssh.helpers import MakeMaster, alive, finish, wait_ready
from tests.remote_servers import start_jupyter_server
from tests.ssh_server import SshServer


def command_lines() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as file:
                    found.append(file.read().replace(b"\0", b" ").decode("utf-8", "replace"))
            except OSError:
                pass
    return found


@pytest.fixture
def jupyter(qtbot: QtBot, connect: MakeMaster, sshd: SshServer) -> Iterator[RemoteJupyter]:
    master = connect()
    wait_ready(qtbot, master)
    yield RemoteJupyter(master)
    qtbot.waitUntil(lambda: not sshd.remote_pids(), timeout=15000)


@pytest.fixture
def remote_kernel(sshd: SshServer) -> Iterator[KernelManager]:
    """A python3 kernel started as another program would, its connection file in the remote runtime folder."""
    runtime = sshd.jupyter_root / "runtime"
    manager = KernelManager(kernel_name="python3", connection_file=str(runtime / "kernel-remote-test.json"))
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield manager
    finally:
        manager.shutdown_kernel(now=True)
        manager.cleanup_resources()


def test_lists_the_servers_jupyter_server_list_reports(qtbot: QtBot, jupyter: RemoteJupyter, sshd: SshServer) -> None:
    server = start_jupyter_server(sshd.jupyter_root)
    try:
        servers = finish(qtbot, jupyter.list_servers()).value()
        (info,) = [s for s in servers if s.port == server.port]
        assert info.token == server.token and info.pid == server.process.pid and not info.sock
        assert info.target == f"127.0.0.1:{server.port}"
        opened = finish(qtbot, jupyter.open_server(info)).value()
        assert opened.address.token == server.token and opened.address.base_url.startswith("http://127.0.0.1:")
        specs = ServerApi(opened.address).kernelspecs()
        qtbot.waitUntil(lambda: specs.is_finished, timeout=15000)
        assert specs.error is None and specs.result is not None and "python3" in specs.result.specs
    finally:
        server.stop()


def test_missing_jupyter_says_how_to_install_it(qtbot: QtBot, jupyter: RemoteJupyter) -> None:
    bare = RemoteJupyter(jupyter.master, environment={"PATH": "/usr/bin:/bin"})
    error = finish(qtbot, bare.list_servers()).error
    assert error is not None and "Jupyter is not installed on conch-test" in error and "pip install" in error
    wrong = RemoteJupyter(jupyter.master, jupyter_command="/no/such/jupyter")
    error = finish(qtbot, wrong.start_server()).error
    assert error is not None and "not at /no/such/jupyter" in error


def test_starts_a_private_server_and_stops_it(qtbot: QtBot, jupyter: RemoteJupyter, sshd: SshServer) -> None:
    started: StartedServer = finish(qtbot, jupyter.start_server(), timeout=90000).value()
    token = started.address.token
    assert token and len(token) >= 32 and started.warning == "" and "python3" in started.kernelspecs
    assert not [line for line in command_lines() if token in line], "the token is on a command line"
    folder = Path(started.remote_dir)
    assert folder.parent == sshd.remote_tmp and stat.S_IMODE(folder.stat().st_mode) == 0o700
    config = folder / "jupyter_server_config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and token in config.read_text()
    assert stat.S_ISSOCK(os.stat(started.socket_path).st_mode)
    assert alive(started.remote_pid) and started.remote_pid in sshd.remote_pids()

    api = ServerApi(started.address)
    kernel = api.start_kernel("python3")
    qtbot.waitUntil(lambda: kernel.is_finished, timeout=30000)
    assert kernel.error is None, kernel.error
    assert len(sshd.remote_pids()) >= 2  # the server and its kernel

    stopped = finish(qtbot, jupyter.stop_server(started), timeout=30000)
    assert stopped.ok, stopped.error
    assert not folder.exists() and not alive(started.remote_pid)
    qtbot.waitUntil(lambda: not sshd.remote_pids(), timeout=15000)
    assert started.forward not in jupyter.master.forwards


def test_a_python_without_ipykernel_is_detected(qtbot: QtBot, jupyter: RemoteJupyter, sshd: SshServer) -> None:
    # A "remote" Python whose ipykernel cannot be imported, running a copy of the venv's jupyter.
    place = sshd.remote_tmp / "no-ipykernel"
    (place / "shadow" / "ipykernel").mkdir(parents=True)
    (place / "shadow" / "ipykernel" / "__init__.py").write_text("raise ImportError('no ipykernel here')\n")
    python = place / "python"
    python.write_text(f"#!/bin/sh\nPYTHONPATH={place / 'shadow'} exec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    original = (Path(sys.executable).parent / "jupyter").read_text().split("\n", 1)[1]
    program = place / "jupyter"
    program.write_text(f"#!{python}\n{original}")
    program.chmod(0o755)
    lacking = RemoteJupyter(jupyter.master, jupyter_command=str(program))
    started = finish(qtbot, lacking.start_server(), timeout=90000).value()
    try:
        assert f"({python}) has no ipykernel" in started.warning and "pip install ipykernel" in started.warning
    finally:
        assert finish(qtbot, lacking.stop_server(started)).ok

    no_specs = {"KernelSpecManager": {"allowed_kernelspecs": ["nothing-here"]}}
    started = finish(qtbot, jupyter.start_server(server_config=no_specs), timeout=90000).value()
    try:
        assert started.kernelspecs == () and "has no kernels to start" in started.warning
    finally:
        assert finish(qtbot, jupyter.stop_server(started)).ok


def test_forwards_a_raw_kernel_and_survives_a_lost_master(
    qtbot: QtBot, jupyter: RemoteJupyter, sshd: SshServer, remote_kernel: KernelManager
) -> None:
    runtime = sshd.jupyter_root / "runtime"
    os.mkfifo(runtime / "kernel-fifo.json")  # listing must never open it
    (runtime / "kernel-huge.json").write_text(json.dumps({"padding": "x" * 70000}))
    (runtime / "kernel-junk.json").write_text("{not json")
    try:
        listing = finish(qtbot, jupyter.list_kernel_files()).value()
    finally:
        for name in ("kernel-fifo.json", "kernel-huge.json", "kernel-junk.json"):
            (runtime / name).unlink()
    assert listing.folder == str(runtime)
    by_name = {Path(f.path).name: f for f in listing.files}
    assert "kernel-fifo.json" not in by_name
    assert "bigger than 64 KiB" in by_name["kernel-huge.json"].problem
    assert "not JSON" in by_name["kernel-junk.json"].problem
    remote = by_name["kernel-remote-test.json"]
    assert remote.connection_info is not None and remote.connection_info["key"] == remote_kernel.session.key.decode()

    forwarded = finish(qtbot, jupyter.forward_kernel(remote.connection_info)).value()
    local = forwarded.connection_info
    assert local["ip"] == "127.0.0.1" and local["key"] == remote.connection_info["key"]
    assert {int(f.target.rsplit(":", 1)[1]) for f in forwarded.forwards} == {
        remote.connection_info[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
    }  # each of the kernel's ports has a forward (on one machine a local port may even equal one)
    client = BlockingKernelClient()
    client.load_connection_info(local)
    client.start_channels()
    try:
        client.wait_for_ready(timeout=30)  # iopub subscribed (a SUB socket joins late)
        reply = client.execute_interactive("1+1", store_history=False, timeout=30, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()

    session = KernelSession(RunningKernel(local))
    qtbot.waitUntil(lambda: session.status is KernelStatus.IDLE, timeout=30000)
    finished: list[str] = []
    session.execution_finished.connect(finished.append)
    session.execute("print(1+1)")
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=30000)
    assert list(session.transcript.cells())[-1].outputs[0].text == "2\n"

    master = jupyter.master
    assert master.pid is not None
    with qtbot.waitSignal(master.lost, timeout=10000):
        os.kill(master.pid, signal.SIGKILL)
    master.reconnect()
    wait_ready(qtbot, master)
    # ZMQ reconnects through the restored forwards by itself; iopub output sent before its
    # subscription is back is lost (as after any ZMQ reconnect), so ask until it shows.
    def printed_again() -> bool:
        last = list(session.transcript.cells())[-1]
        if last.code == "print(40+2)" and last.outputs and last.outputs[0].text == "42\n":
            return True
        if not session.is_busy():
            session.execute("print(40+2)")
        return False

    qtbot.waitUntil(printed_again, timeout=30000)
    with qtbot.waitSignal(session.closed, timeout=10000):
        session.shutdown(keep_kernel=True)

    closed = finish(qtbot, jupyter.close_kernel(forwarded))
    assert closed.ok and not master.forwards
    assert remote_kernel.is_alive()
