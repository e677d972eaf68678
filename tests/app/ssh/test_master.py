"""SshMaster against a real sshd: keys, passphrases through askpass, host keys, failures, loss."""
from __future__ import annotations

import os
import signal
import socket
import stat
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from conch.app.ssh.master import MasterState
from conch.app.ssh.prompt_text import PromptKind
from conch.app.ssh.prompts import Prompt, PromptServer
from tests.app.ssh.helpers import READY_MS, MakeMaster, alive, run, wait_failed, wait_ready
from tests.ssh_server import SshServer

def test_connects_with_a_key_and_runs_commands(qtbot: QtBot, connect: MakeMaster, sshd: SshServer) -> None:
    master = connect()
    wait_ready(qtbot, master)
    assert master.ssh_version is not None and master.ssh_version >= (8, 4)
    assert stat.S_IMODE(os.stat(Path(master.control_path).parent).st_mode) == 0o700
    code, out, err = run(qtbot, master, "echo hello; echo oops >&2; exit 3")
    assert (code, out, err) == (3, b"hello\n", b"oops\n")
    code, out, _ = run(qtbot, master, "cat; echo $HOME", stdin=b"from stdin\n")
    assert (code, out) == (0, b"from stdin\n" + str(sshd.remote_home).encode() + b"\n")
    script = master.run_script("x=41\necho $((x + 1))\n")
    with qtbot.waitSignal(script.finished, timeout=15000) as blocker:
        pass
    assert blocker.args[:2] == [0, b"42\n"]
    pid = master.pid
    assert pid is not None
    with qtbot.waitSignal(master.stopped, timeout=10000):
        master.stop()
    assert not alive(pid) and not os.path.exists(master.control_path)
    assert not [p for p in master.started_pids if alive(p)]


def test_a_passphrase_is_asked_through_askpass(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    asked: list[Prompt] = []

    def answer(prompt: Prompt) -> None:
        asked.append(prompt)
        prompt.answer(sshd.passphrase)

    prompts.set_answerer(answer)
    master = connect(sshd.passphrase_alias)
    wait_ready(qtbot, master)
    assert [p.kind for p in asked] == [PromptKind.PASSPHRASE]
    assert asked[0].info.key_path == str(sshd.passphrase_key) and asked[0].secret
    assert asked[0].destination == sshd.passphrase_alias and asked[0].attempt == 1
    assert run(qtbot, master, "echo ok")[:2] == (0, b"ok\n")


def test_a_wrong_passphrase_three_times_fails_clearly(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    attempts: list[int] = []

    def wrong(prompt: Prompt) -> None:
        attempts.append(prompt.attempt)
        prompt.answer("not the passphrase")

    prompts.set_answerer(wrong)
    master = connect(sshd.passphrase_alias)
    reason = wait_failed(qtbot, master)
    assert attempts == [1, 2, 3]
    assert f"the passphrase for key {sshd.passphrase_key} was wrong (3 times)" in reason
    assert "Permission denied" in reason


def test_a_cancelled_passphrase_says_so(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    prompts.set_answerer(lambda prompt: prompt.cancel())
    reason = wait_failed(qtbot, connect(sshd.passphrase_alias))
    assert "You cancelled the passphrase" in reason


def test_an_unknown_host_key_accepted_is_remembered(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    sshd.forget_host_key()
    asked: list[Prompt] = []

    def accept(prompt: Prompt) -> None:
        asked.append(prompt)
        prompt.accept()

    prompts.set_answerer(accept)
    wait_ready(qtbot, connect())
    assert [p.kind for p in asked] == [PromptKind.HOST_KEY]
    info = asked[0].info
    assert info.fingerprint == sshd.host_key_fingerprint() and info.key_type == "ED25519"
    assert info.host == sshd.known_hosts_name and "Are you sure you want to continue connecting" in info.text
    assert sshd.knows_host_key()


def test_an_unknown_host_key_refused_fails(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    sshd.forget_host_key()
    prompts.set_answerer(lambda prompt: prompt.reject())
    reason = wait_failed(qtbot, connect())
    assert "is not known and you did not accept it" in reason
    assert sshd.host_key_fingerprint() in reason
    assert not sshd.knows_host_key()


def test_a_changed_host_key_is_refused_with_openssh_warning(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    sshd.wrong_host_key()
    asked: list[Prompt] = []
    prompts.set_answerer(lambda prompt: (asked.append(prompt), prompt.accept()))
    reason = wait_failed(qtbot, connect())
    assert not asked
    assert "has CHANGED" in reason
    assert "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!" in reason
    assert sshd.host_key_fingerprint() in reason
    assert f'`ssh-keygen -f "{sshd.known_hosts}" -R "{sshd.known_hosts_name}"`' in reason


def test_a_refused_connection_and_an_unknown_host(qtbot: QtBot, connect: MakeMaster, sshd: SshServer) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    refused = connect(options=["-o", f"Port={port}", *sshd.ssh_options()])
    unknown = connect("no-such-host.invalid", ["-F", "/dev/null"])
    assert "refused the connection" in wait_failed(qtbot, refused)
    assert "Cannot find the host of no-such-host.invalid" in wait_failed(qtbot, unknown)


def test_a_missing_ssh_program_says_so(qtbot: QtBot, connect: MakeMaster) -> None:
    reason = wait_failed(qtbot, connect("ada@host", [], ssh_program="/no/such/ssh"))
    assert "Cannot run '/no/such/ssh'" in reason and "Install the OpenSSH client" in reason


def test_an_old_openssh_says_why_nothing_is_asked(qtbot: QtBot, connect: MakeMaster, tmp_path: Path) -> None:
    fake = tmp_path / "ssh"
    fake.write_text(
        '#!/bin/sh\n[ "$1" = -V ] && { echo "OpenSSH_8.2p1 Ubuntu-4ubuntu0.5, OpenSSL 1.1.1f" >&2; exit 0; }\n'
        'echo "$@" > "$(dirname "$0")/args"; echo "ada@host: Permission denied (publickey)." >&2; exit 255\n'
    )
    fake.chmod(0o700)
    reason = wait_failed(qtbot, connect("ada@host", [], ssh_program=str(fake)))
    assert "none of your keys was accepted" in reason
    assert "OpenSSH 8.2 cannot send its questions" in reason and "8.4" in reason and "ssh-agent" in reason
    assert "BatchMode=yes" in (tmp_path / "args").read_text()


def test_forwards_a_port_and_a_remote_unix_socket(qtbot: QtBot, connect: MakeMaster, sshd: SshServer, tmp_path: Path) -> None:
    master = connect()
    wait_ready(qtbot, master)
    call = master.forward(f"127.0.0.1:{sshd.port}")
    with qtbot.waitSignal(call.finished, timeout=15000):
        pass
    forward = call.value()
    assert forward.local_port and forward in master.forwards
    with socket.create_connection(("127.0.0.1", forward.local_port), timeout=10) as client:
        assert client.recv(64).startswith(b"SSH-2.0-OpenSSH")

    path = str(tmp_path / "remote.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen(1)
        server.settimeout(10)
        call = master.forward(path)
        with qtbot.waitSignal(call.finished, timeout=15000):
            pass
        with socket.create_connection(("127.0.0.1", call.value().local_port), timeout=10) as client:
            accepted, _ = server.accept()
            with accepted:
                accepted.sendall(b"through the socket")
                assert client.recv(64) == b"through the socket"

    cancel = master.cancel_forward(forward)
    with qtbot.waitSignal(cancel.finished, timeout=15000):
        pass
    assert cancel.ok and forward not in master.forwards
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", forward.local_port), timeout=5).close()


def test_a_busy_local_port_is_reported(qtbot: QtBot, connect: MakeMaster, sshd: SshServer) -> None:
    master = connect()
    wait_ready(qtbot, master)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        call = master.forward(f"127.0.0.1:{sshd.port}", busy.getsockname()[1])
        with qtbot.waitSignal(call.finished, timeout=15000):
            pass
    assert not call.ok and call.error is not None and "the port is in use here" in call.error
    assert master.is_ready


def test_a_killed_master_is_lost_then_reconnects_with_its_forwards(qtbot: QtBot, connect: MakeMaster, sshd: SshServer) -> None:
    master = connect()
    wait_ready(qtbot, master)
    call = master.forward(f"127.0.0.1:{sshd.port}")
    with qtbot.waitSignal(call.finished, timeout=15000):
        pass
    port = call.value().local_port
    old_pid = master.pid
    assert old_pid is not None
    with qtbot.waitSignal(master.lost, timeout=10000) as blocker:
        os.kill(old_pid, signal.SIGKILL)
    assert "was lost: its ssh process was killed" in blocker.args[0]
    assert master.state is MasterState.LOST
    failed = master.run("true")
    with qtbot.waitSignal(failed.finished, timeout=5000) as blocker:
        pass
    assert blocker.args[0] == -1 and b"not connected" in blocker.args[2]

    master.reconnect()
    wait_ready(qtbot, master)
    assert master.pid != old_pid and not alive(old_pid)
    assert [f.local_port for f in master.forwards] == [port]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        assert client.recv(64).startswith(b"SSH-2.0-OpenSSH")


def test_stop_while_a_prompt_waits_expires_it(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    shown: list[Prompt] = []
    prompts.prompted.connect(shown.append)
    master = connect(sshd.passphrase_alias)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=READY_MS)
    with qtbot.waitSignal(shown[0].done, timeout=5000):
        master.stop()
    assert shown[0].outcome.value == "expired"
    qtbot.waitUntil(lambda: master.state is MasterState.STOPPED, timeout=10000)


def test_an_unclear_host_key_answer_ends_in_no(qtbot: QtBot, connect: MakeMaster, prompts: PromptServer, sshd: SshServer) -> None:
    sshd.forget_host_key()
    asked: list[Prompt] = []

    def unclear(prompt: Prompt) -> None:
        asked.append(prompt)
        prompt.answer("maybe")

    prompts.set_answerer(unclear)
    reason = wait_failed(qtbot, connect())
    assert [p.info.retry for p in asked] == [False, True, True]  # then Conch answered no itself
    assert "is not known and you did not accept it" in reason and not sshd.knows_host_key()
