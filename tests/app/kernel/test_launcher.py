"""Launching, interrupting and killing local kernels without waiting on them."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any, Iterator

import pytest
from pytestqt.qtbot import QtBot

from conch.app.kernel.client import KernelClient, session_for
from conch.app.kernel.launcher import (
    KernelLaunchError,
    KernelSpecNotFound,
    LocalKernelProcess,
    installed_kernels,
)
from conch.app.kernel.zmq_bridge import ZmqTransport
from conch.app.kernel.status import KernelStatus


def test_installed_kernels_lists_python3() -> None:
    kernels = installed_kernels()
    assert "python3" in kernels and "Python 3" in kernels["python3"]


def test_unknown_kernel_name_says_what_is_installed() -> None:
    process = LocalKernelProcess("no-such-kernel")
    with pytest.raises(KernelSpecNotFound) as caught:
        process.start()
    error = caught.value
    assert error.name == "no-such-kernel" and "python3" in error.available
    text = str(error)
    assert text.startswith("No kernel named 'no-such-kernel'. Installed kernels: ")
    assert "python3 (Python 3 (ipykernel))" in text and "ipykernel install --user" in text
    assert isinstance(error, LookupError)
    assert process.pid is None and not process.is_alive()


def test_kernelspec_with_a_missing_executable_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec_dir = tmp_path / "kernels" / "broken"
    spec_dir.mkdir(parents=True)
    missing = str(tmp_path / "nowhere" / "bin" / "kernel-binary")
    spec = {"argv": [missing, "-f", "{connection_file}"], "display_name": "Broken", "language": "none"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    process = LocalKernelProcess("broken")
    assert process.spec_display_name == "Broken" and process.language == "none"
    with pytest.raises(KernelLaunchError) as caught:
        process.start()
    text = str(caught.value)
    assert missing in text and "'broken'" in text and str(spec_dir / "kernel.json") in text
    assert process.pid is None and not process.is_alive()


@pytest.fixture
def launched(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[LocalKernelProcess, dict[str, Any]]]:
    process = LocalKernelProcess("python3", cwd=str(tmp_path))
    info = process.start()
    try:
        yield process, info
    finally:
        process.kill()
        qtbot.waitUntil(lambda: not process.is_alive(), timeout=5_000)
        process.cleanup()


def test_start_returns_connection_file_info_and_kill_reaps_within_two_seconds(
    qtbot: QtBot, launched: tuple[LocalKernelProcess, dict[str, Any]]
) -> None:
    process, info = launched
    with open(process.connection_file, encoding="utf-8") as file:
        written = json.load(file)
    assert {key: written.get(key) for key in info} == info
    assert isinstance(info["key"], str) and info["key"]
    assert process.kernel_name == "python3" and process.language == "python"
    assert process.spec_display_name == "Python 3 (ipykernel)"
    pid = process.pid
    assert pid is not None and process.is_alive() and process.exit_code is None
    process.kill()
    qtbot.waitUntil(lambda: not process.is_alive(), timeout=2_000)
    assert process.exit_code == -signal.SIGKILL
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    process.kill()  # nothing left to kill: no error
    process.cleanup()
    assert not os.path.exists(process.connection_file)
    process.cleanup()


def test_kernel_runs_in_cwd_keeps_quiet_and_interrupts_by_signal(
    qtbot: QtBot, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Started here, not in a fixture: capfd's files are the fds only while the test runs.
    process = LocalKernelProcess("python3", cwd=str(tmp_path))
    info = process.start()
    session = session_for(info)
    client = KernelClient(ZmqTransport(info, session), session)
    finished: dict[str, Any] = {}
    streams: list[Any] = []
    client.execution_finished.connect(lambda msg_id, reply: finished.__setitem__(msg_id, reply))
    client.iopub_message.connect(lambda m: streams.append(m) if m["msg_type"] == "stream" else None)
    try:
        client.start()
        qtbot.waitUntil(lambda: client.status is KernelStatus.IDLE, timeout=30_000)
        code = "import os; os.write(1, b'LEAKED-STDOUT'); os.write(2, b'LEAKED-STDERR'); print(os.getcwd())"
        msg_id = client.execute(code)
        qtbot.waitUntil(lambda: msg_id in finished, timeout=10_000)
        text = {name: "".join(m["content"]["text"] for m in streams if m["content"]["name"] == name)
                for name in ("stdout", "stderr")}
        assert text["stdout"] == f"{tmp_path}\n"
        # The kernel's own fds 1 and 2 (ipykernel leaves them alone under pytest) must
        # not be our terminal.
        captured = capfd.readouterr()
        assert "LEAKED" not in captured.out + captured.err
        # debugpy's frozen-modules warning would otherwise reach the user's first output.
        assert "Debugger warning" not in text["stderr"]

        msg_id = client.execute("import time\nwhile True: time.sleep(0.01)")
        qtbot.waitUntil(lambda: client.status is KernelStatus.BUSY, timeout=10_000)
        process.interrupt()  # the python3 kernelspec interrupts with SIGINT
        qtbot.waitUntil(lambda: msg_id in finished, timeout=10_000)
        assert finished[msg_id]["content"]["ename"] == "KeyboardInterrupt"
        assert process.is_alive()
    finally:
        client.close()
        process.kill()
        qtbot.waitUntil(lambda: not process.is_alive(), timeout=5_000)
        process.cleanup()
