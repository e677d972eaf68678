"""Fixtures for the SSH tests: a real sshd (module scope), a prompt server per test, and masters
that are stopped after each test with every process they started checked gone."""
from __future__ import annotations

import os
from typing import Any, Iterator, Sequence

import pytest
from pytestqt.qtbot import QtBot

from conch.app.ssh.master import MasterState, SshMaster
from conch.app.ssh.prompts import PromptServer
from tests.app.ssh.helpers import MakeMaster, alive
from tests.ssh_server import SshServer, serve_sshd


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A real sshd on 127.0.0.1 for the module (tests/ssh_server.py)."""
    yield from serve_sshd(tmp_path_factory)


@pytest.fixture
def prompts(qtbot: QtBot) -> Iterator[PromptServer]:
    """A prompt server of the test's own (nothing answers unless the test sets an answerer)."""
    server = PromptServer()
    yield server
    server.close()


@pytest.fixture
def connect(qtbot: QtBot, sshd: SshServer, prompts: PromptServer) -> Iterator[MakeMaster]:
    """``connect(destination=sshd.host_alias, options=sshd.ssh_options(), start=True) -> SshMaster``.

    known_hosts starts trusted (the server's host key). Afterwards every master is stopped, its
    processes and sshd's sessions are checked gone, and known_hosts is trusted again."""
    sshd.trust_host_key()
    masters: list[SshMaster] = []

    def make(
        destination: str | None = None, options: Sequence[str] | None = None, *, start: bool = True, **kwargs: Any
    ) -> SshMaster:
        chosen = sshd.ssh_options() if options is None else options
        master = SshMaster(destination or sshd.host_alias, chosen, prompts=prompts, **kwargs)
        masters.append(master)
        if start:
            master.start()
        return master

    yield make
    for master in masters:
        master.stop()
    for master in masters:
        qtbot.waitUntil(lambda m=master: m.state is MasterState.STOPPED, timeout=10000)  # type: ignore[misc]
    pids = [pid for master in masters for pid in master.started_pids]
    qtbot.waitUntil(lambda: not [pid for pid in pids if alive(pid)], timeout=10000)
    qtbot.waitUntil(lambda: not sshd.session_pids(), timeout=10000)
    for master in masters:
        assert not master.control_path or not os.path.exists(master.control_path)
    sshd.trust_host_key()
