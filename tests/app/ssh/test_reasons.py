"""Failure wording and the readers of remote script output (Qt-free, no sshd)."""
from __future__ import annotations

import json
import subprocess

import pytest

from conch.app.ssh.forwards import Forward, ssh_target
from conch.app.ssh.prompt_text import PromptOutcome, classify
from conch.app.ssh.reasons import (
    AskedPrompt, describe_failure, describe_loss, describe_mux_failure, old_openssh_message, parse_openssh_version,
)  # fmt: skip
from conch.app.ssh.remote_scripts import (
    check_connection_info, kernel_files_script, parse_kernel_files, parse_server_list, preamble, stop_server_script,
)  # fmt: skip


def test_openssh_versions() -> None:
    assert parse_openssh_version("OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.11 19 Sep 2023") == (9, 2)
    assert parse_openssh_version("OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2") == (8, 1)
    assert parse_openssh_version("plink: Release 0.78") is None
    assert "not OpenSSH" in old_openssh_message(None) and "OpenSSH 8.1" in old_openssh_message((8, 1))


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        ("ssh: connect to host example.org port 22: Connection timed out", "the host did not answer"),
        ("ssh: connect to host 10.0.0.1 port 22: No route to host", "no network route"),
        ("ssh: connect to host h port 22: Network is unreachable", "the network is unreachable"),
        ("Received disconnect from 1.2.3.4 port 22:2: Too many authentication failures", "IdentitiesOnly yes"),
        ("kex_exchange_identification: Connection closed by remote host\nConnection closed by 1.2.3.4 port 22",
         "closed the connection before the login"),
        ("unix_listener: path \"/very/long/cm-abc.XXXX\" too long for Unix domain socket", "control socket"),
        ("", "ssh said nothing (exit code 255)"),
        ("something new\nand more", "ssh said:\n  something new\n  and more"),
    ],
)  # fmt: skip
def test_failures_in_words(stderr: str, expected: str) -> None:
    assert expected in describe_failure("ada@h", stderr, (), 255)


def test_permission_denied_uses_the_prompt_history() -> None:
    denied = "ada@h: Permission denied (publickey,password)."
    assert "none of your keys was accepted" in describe_failure("h", denied)
    assert "(it accepts: publickey,password)" in describe_failure("h", denied)
    password = classify("ada@h's password: ")
    wrong = [AskedPrompt(password, PromptOutcome.ANSWERED)]
    assert "the password was not accepted" in describe_failure("h", denied, wrong)
    cancelled = [AskedPrompt(password, PromptOutcome.CANCELLED)]
    assert "You cancelled the password" in describe_failure("h", denied, cancelled)
    key = classify("Enter passphrase for key '/k': ")
    once = [AskedPrompt(key, PromptOutcome.ANSWERED)]
    assert "the passphrase for key /k was wrong (once)" in describe_failure("h", denied, once)


def test_losses_in_words() -> None:
    assert "stopped answering" in describe_loss("h", "Timeout, server h not responding.")
    assert "closed the connection" in describe_loss("h", "Connection to h closed by remote host.")
    assert "broke" in describe_loss("h", "client_loop: send disconnect: Broken pipe")
    assert "was killed" in describe_loss("h", "", None, crashed=True)
    assert "ended; ssh said nothing (exit code 255)" in describe_loss("h", "", 255)


def test_mux_failures_in_words() -> None:
    gone = "Control socket connect(/tmp/conch-0/cm-1): No such file or directory"
    assert describe_mux_failure("h", "forward 1 to 2", gone) == "Cannot forward 1 to 2: the connection to h is closed."
    busy = "mux_client_forward: forwarding request failed: Port forwarding failed"
    assert "the port is in use here" in describe_mux_failure("h", "forward", busy)


def test_forward_specs() -> None:
    assert Forward("db:5432", local_port=9000).spec() == "127.0.0.1:9000:db:5432"
    assert Forward("/run/x.sock", local_port=9000).spec() == "127.0.0.1:9000:/run/x.sock"
    assert Forward("/run/x.sock", local_socket="/tmp/l.sock").spec() == "/tmp/l.sock:/run/x.sock"
    assert ssh_target("::1:8888") == "[::1]:8888" and ssh_target("[::1]:8888") == "[::1]:8888"
    with pytest.raises(ValueError):
        ssh_target("no-port")


def test_server_list_lines() -> None:
    lines = "\n".join([
        "[W 2024] some warning",
        json.dumps({"url": "http://localhost:8888/", "token": "t", "port": 8888, "pid": 12, "base_url": "/", "root_dir": "/home/ada"}),
        json.dumps({"url": "http+unix://%2Ftmp%2Fj.sock/", "token": "u", "port": 0, "sock": "/tmp/j.sock", "pid": 13}),
        json.dumps({"url": "http://10.1.2.3:9999/lab/", "token": "", "port": 9999, "pid": 14, "base_url": "/lab/"}),
        "[1, 2]", json.dumps({"port": "x"}),
    ])  # fmt: skip
    servers = parse_server_list(lines)
    assert [s.target for s in servers] == ["127.0.0.1:8888", "/tmp/j.sock", "10.1.2.3:9999"]
    assert servers[0].root_dir == "/home/ada" and servers[2].base_url == "/lab/"


def test_kernel_file_checks() -> None:
    good = {"ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256",
            **{f"{c}_port": 1000 + i for i, c in enumerate(("shell", "iopub", "stdin", "control", "hb"))}}  # fmt: skip
    assert check_connection_info(good) == ""
    assert "ipc" in check_connection_info(dict(good, transport="ipc"))
    assert "lacks hb_port" in check_connection_info({k: v for k, v in good.items() if k != "hb_port"})
    assert "invalid ports" in check_connection_info(dict(good, shell_port=0))
    output = "CONCH-DIR /run/j\nCONCH-FILE kernel-a.json\n" + " ".join(f"{b:02x}" for b in json.dumps(good).encode())
    folder, files = parse_kernel_files(output + "\nCONCH-FILE kernel-b.json\n 7b 7d\n")
    assert folder == "/run/j" and [f.path for f in files] == ["/run/j/kernel-a.json", "/run/j/kernel-b.json"]
    assert files[0].connection_info == good and "lacks" in files[1].problem


def test_scripts_are_valid_posix_sh() -> None:
    for script in (preamble(None), preamble("/opt/x y/jupyter", {"PATH": "/a b"}), kernel_files_script(None),
                   stop_server_script(1234, "/tmp/conch-jupyter-AbCd1234")):  # fmt: skip
        checked = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True, timeout=10)
        assert checked.returncode == 0, checked.stderr
    with pytest.raises(ValueError):
        stop_server_script(1234, "/home/ada")
