"""`conch --ssh`: a real subprocess against a real sshd on 127.0.0.1."""
from __future__ import annotations

import os
import subprocess
import sys

from pytestqt.qtbot import QtBot

from tests.ssh_server import SshServer


def conch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "conch", *args], capture_output=True, text=True, timeout=timeout, env=env)


def milestones(stderr: str) -> list[str]:
    return [line.split()[1] for line in stderr.splitlines() if line.startswith("conch-startup")]


def test_ssh_starts_a_kernel_there_and_leaves_nothing_running(qtbot: QtBot, sshd: SshServer) -> None:
    sshd.trust_host_key()
    options = [f"--ssh-option={option}" for option in sshd.ssh_options()]
    result = conch("--ssh", sshd.host_alias, *options, "--startup-times", "--quit-when-ready")
    assert milestones(result.stderr) == ["window-shown", "prompt-ready"], result.stderr
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Destroyed while process" not in result.stderr, result.stderr
    qtbot.waitUntil(lambda: not sshd.remote_pids() and not sshd.session_pids(), timeout=30000)


def test_an_unknown_host_fails_the_tab_with_the_reason(qtbot: QtBot) -> None:
    result = conch("--ssh", "no-such-host.invalid", "--ssh-option=-oConnectTimeout=5", "--startup-times",
                   "--quit-when-ready")
    assert milestones(result.stderr) == ["window-shown", "kernel-failed"], result.stderr
