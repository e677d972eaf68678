"""A real OpenSSH server on 127.0.0.1 for the SSH tests, and a client config that reaches it.

Usage: import the fixture a test module needs, ``from tests.ssh_server import sshd  # noqa: F401``,
and take it as an argument. ``sshd`` is module-scoped (~0.1 s to start) and yields an :class:`SshServer`:

* ``sshd.config_path`` — the client ``ssh_config`` to pass with ``-F``; it defines the host aliases
  ``sshd.host_alias`` (``conch-test``: a key without passphrase) and ``sshd.passphrase_alias``
  (``conch-test-pw``: only the key protected by ``sshd.passphrase``). Both use
  ``StrictHostKeyChecking ask``, ``IdentitiesOnly yes``, no agent, and ``sshd.known_hosts``.
* ``sshd.known_hosts`` starts trusted (the server's host key). ``forget_host_key()`` empties it,
  ``wrong_host_key()`` puts another key there for the same host, ``trust_host_key()`` restores it,
  ``knows_host_key()`` says whether the server's real key is in it. A module that changes it should
  restore it after each test (e.g. an autouse fixture calling ``trust_host_key()``).
* The remote side runs as root with ``HOME=sshd.remote_home``, ``PATH`` starting with this venv's
  ``bin`` (its ``jupyter`` and ``python``), ``TMPDIR=sshd.remote_tmp`` and ``JUPYTER_RUNTIME_DIR``,
  ``JUPYTER_CONFIG_DIR``, ``JUPYTER_DATA_DIR`` = ``sshd.jupyter_root / "runtime"|"config"|"data"``:
  ``tests.remote_servers.start_jupyter_server(sshd.jupyter_root)`` starts a server that
  ``ssh conch-test jupyter server list --json`` sees.
* ``sshd.remote_pids()`` — every live process started through this server (they all carry a marker
  variable in their environment, kernels and detached servers included); ``sshd.session_pids()`` —
  sshd's own per-connection processes. ``stop()`` ends sshd, its sessions and any such leftover.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from tests.remote_servers import free_port

SSHD = "/usr/sbin/sshd"
STARTUP_DEADLINE_S = 10.0
STOP_GRACE_S = 5.0
HOST_ALIAS = "conch-test"
PASSPHRASE_ALIAS = "conch-test-pw"
PASSPHRASE = "correct horse battery"
MARKER = "CONCH_TEST_SSHD"


@dataclass
class SshServer:
    """One sshd process and the files around it (see the module docstring)."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]
    host_alias: str = HOST_ALIAS
    passphrase_alias: str = PASSPHRASE_ALIAS
    passphrase: str = PASSPHRASE
    _stopped: bool = field(default=False, repr=False)

    # -- files -------------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def client_key(self) -> Path:
        return self.root / "client_key"

    @property
    def passphrase_key(self) -> Path:
        return self.root / "client_key_pw"

    @property
    def remote_home(self) -> Path:
        return self.root / "home"

    @property
    def remote_tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def jupyter_root(self) -> Path:
        return self.root / "jupyter"

    @property
    def log_path(self) -> Path:
        return self.root / "sshd.log"

    @property
    def known_hosts_name(self) -> str:
        """How known_hosts names this server: ``[127.0.0.1]:PORT``."""
        return f"[127.0.0.1]:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def ssh_options(self) -> list[str]:
        """The options every ssh command to this server needs: ``["-F", config]``."""
        return ["-F", str(self.config_path)]

    # -- known_hosts -------------------------------------------------------------------------------
    def host_key_line(self) -> str:
        return f"{self.known_hosts_name} {_public_key(self.root / 'host_key')}\n"

    def trust_host_key(self) -> None:
        self.known_hosts.write_text(self.host_key_line(), encoding="utf-8")

    def forget_host_key(self) -> None:
        self.known_hosts.write_text("", encoding="utf-8")

    def wrong_host_key(self) -> None:
        """known_hosts names another key for this host, as after a server was reinstalled (or an attack)."""
        self.known_hosts.write_text(f"{self.known_hosts_name} {_public_key(self.root / 'other_host_key')}\n")

    def knows_host_key(self) -> bool:
        """Whether known_hosts holds the server's real host key (hashed or not)."""
        real = _public_key(self.root / "host_key").split()[1]
        found = subprocess.run(
            ["ssh-keygen", "-F", self.known_hosts_name, "-f", str(self.known_hosts)],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return real in found.stdout

    def host_key_fingerprint(self) -> str:
        """``SHA256:…`` of the server's host key, as ssh shows it."""
        out = subprocess.run(
            ["ssh-keygen", "-l", "-E", "sha256", "-f", str(self.root / "host_key.pub")],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
        return out.split()[1]

    # -- processes ---------------------------------------------------------------------------------
    def session_pids(self) -> list[int]:
        """sshd's per-connection processes (descendants of the listener)."""
        return _descendants(self.process.pid)

    def remote_pids(self) -> list[int]:
        """Live processes whose environment carries this server's marker (everything run through it)."""
        wanted = f"{MARKER}={self.root}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as file:
                    environ = file.read().split(b"\0")
            except OSError:
                continue
            if wanted in environ and process_alive(int(entry)):
                found.append(int(entry))
        return found

    def stop(self) -> list[int]:
        """Stop sshd and its sessions, and kill anything still running that was started through it;
        returns the pids of those leftovers (a test that cleans up after itself leaves none)."""
        if self._stopped:
            return []
        self._stopped = True
        sessions = self.session_pids()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        leftovers = sorted(set(sessions + self.remote_pids()))
        for pid in leftovers:
            _kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + STOP_GRACE_S
        while any(process_alive(pid) for pid in leftovers) and time.monotonic() < deadline:
            time.sleep(0.02)  # polling interval while processes die, not a fixed wait
        return leftovers


def start_sshd(root: Path) -> SshServer:
    """Keys, configs and a running ``sshd -D -e`` on a free loopback port under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "other_host_key", "client_key"):
        _keygen(root / name, "")
    _keygen(root / "client_key_pw", PASSPHRASE)
    authorized = _public_key(root / "client_key") + "\n" + _public_key(root / "client_key_pw") + "\n"
    (root / "authorized_keys").write_text(authorized, encoding="utf-8")
    for folder in ("home", "tmp", "jupyter/runtime", "jupyter/config", "jupyter/data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    port = free_port()
    venv_bin = Path(sys.executable).parent
    environment = {
        "HOME": root / "home",
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "TMPDIR": root / "tmp",
        "JUPYTER_RUNTIME_DIR": root / "jupyter" / "runtime",
        "JUPYTER_CONFIG_DIR": root / "jupyter" / "config",
        "JUPYTER_DATA_DIR": root / "jupyter" / "data",
        MARKER: root,
    }
    if any(" " in str(value) for value in environment.values()):
        raise RuntimeError(f"sshd's SetEnv cannot take paths with spaces: {root}")
    server_config = [
        "ListenAddress 127.0.0.1",
        f"Port {port}",
        f"HostKey {root / 'host_key'}",
        f"AuthorizedKeysFile {root / 'authorized_keys'}",
        f"PidFile {root / 'sshd.pid'}",
        "UsePAM no",
        "StrictModes no",
        "AllowTcpForwarding yes",
        "AllowStreamLocalForwarding yes",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PrintMotd no",
        "PrintLastLog no",
        "MaxStartups 100",
        "MaxAuthTries 10",
        "LoginGraceTime 60",
        "SetEnv " + " ".join(f"{name}={value}" for name, value in environment.items()),
    ]
    if _openssh_version() >= (9, 8):  # failed logins from 127.0.0.1 must not lock out later tests
        server_config.append("PerSourcePenalties no")
    (root / "sshd_config").write_text("\n".join(server_config) + "\n", encoding="utf-8")
    key_file = root / "client_key"
    client_config = []
    for alias, key in ((HOST_ALIAS, key_file), (PASSPHRASE_ALIAS, root / "client_key_pw")):
        client_config += [
            f"Host {alias}",
            "  HostName 127.0.0.1",
            f"  Port {port}",
            "  User root",
            f"  IdentityFile {key}",
            "  IdentitiesOnly yes",
            "  IdentityAgent none",
            "  PasswordAuthentication no",
            "  KbdInteractiveAuthentication no",
            f"  UserKnownHostsFile {root / 'known_hosts'}",
            "  GlobalKnownHostsFile /dev/null",
            "  StrictHostKeyChecking ask",
            "  UpdateHostKeys no",
            "  HashKnownHosts no",
        ]
    (root / "ssh_config").write_text("\n".join(client_config) + "\n", encoding="utf-8")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
    log_path = root / "sshd.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(root / "sshd_config")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = SshServer(root, port, process)
    server.trust_host_key()
    try:
        _wait_listening(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_listening(server: SshServer) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while "Server listening on" not in server.log():
        if server.process.poll() is not None:
            raise RuntimeError(f"sshd exited with {server.process.returncode}:\n{server.log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"sshd did not listen within {STARTUP_DEADLINE_S} s:\n{server.log()}")
        time.sleep(0.02)  # polling interval while waiting for a subprocess, not a fixed wait


def _keygen(path: Path, passphrase: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", path.name, "-f", str(path)],
        check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
    )  # fmt: skip
    path.chmod(0o600)


def _public_key(private: Path) -> str:
    """``ssh-ed25519 AAAA…`` (type and key, without the comment)."""
    fields = private.with_name(private.name + ".pub").read_text(encoding="ascii").split()
    return f"{fields[0]} {fields[1]}"


def _openssh_version() -> tuple[int, int]:
    out = subprocess.run(["ssh", "-V"], capture_output=True, text=True, timeout=10).stderr
    try:
        major, minor = out.split("OpenSSH_", 1)[1].split("p", 1)[0].split(".")[:2]
        return int(major), int(minor)
    except (IndexError, ValueError):
        return (0, 0)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                parent = int(file.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def process_alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            return file.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _kill(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def sshd_available() -> bool:
    return os.path.exists(SSHD) and shutil.which("ssh") is not None and shutil.which("ssh-keygen") is not None


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A running sshd on 127.0.0.1 (see the module docstring); stopped, with its sessions, afterwards."""
    yield from serve_sshd(tmp_path_factory)


def serve_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """The body of the ``sshd`` fixture, for a conftest that defines its own (no unused import)."""
    if not sshd_available():
        pytest.skip(f"needs OpenSSH's server at {SSHD} and the ssh client")
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        leftovers = server.stop()
    assert not leftovers, f"processes started through sshd were still running (killed now): {leftovers}"
