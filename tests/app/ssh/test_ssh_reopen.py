"""The last session's SSH tab, offered again: Reopen starts a new kernel on the same host with
the same ssh options (a real sshd on 127.0.0.1); nothing is left running there afterwards."""
from __future__ import annotations

from pytestqt.qtbot import QtBot

from conch.app.kernel.status import KernelStatus
from conch.app.session_memory import load_session
from conch.app.ssh_hosts import SshHosts
from conch.app.window_session import offer_last_session
from conch.widgets.kernel_tab import KernelTab
from tests.app.conftest import close_window, open_window
from tests.app.ssh.test_ssh_consoles import hosts  # noqa: F401 - the fixture that checks nothing is left
from tests.app.test_window_session import click
from tests.ssh_server import SshServer


def test_an_ssh_tab_reopens_on_the_same_host(qtbot: QtBot, sshd: SshServer, hosts: SshHosts) -> None:  # noqa: F811
    window = open_window(qtbot, tabs=0)
    tab = window.new_ssh_tab(sshd.host_alias, sshd.ssh_options(), "python3")
    qtbot.waitUntil(lambda: tab.status is KernelStatus.IDLE, timeout=90_000)
    old_pid = remote_pid(qtbot, tab)
    close_window(qtbot, window)
    (record,) = load_session().tabs
    assert (record.kind, record.host, record.ssh_options) == ("ssh", sshd.host_alias, tuple(sshd.ssh_options()))

    window = open_window(qtbot, tabs=0)
    assert offer_last_session(window) and "over SSH" in window.session_banner.label.text()
    click(qtbot, window, "Reopen")
    (again,) = window.tab_list()
    qtbot.waitUntil(lambda: again.status is KernelStatus.IDLE, timeout=90_000)
    assert again.origin.host == sshd.host_alias
    assert remote_pid(qtbot, again) != old_pid  # a new kernel, not the old one reattached
    console = again.console
    assert console is not None
    with qtbot.waitSignal(console.execution_finished, timeout=30_000):
        console.execute("import os; os.environ['HOME']")
    assert str(sshd.remote_home) in console.outputs()[-1].text  # it runs there
    close_window(qtbot, window)


def remote_pid(qtbot: QtBot, tab: KernelTab) -> str:
    console = tab.console
    assert console is not None
    with qtbot.waitSignal(console.execution_finished, timeout=30_000):
        console.execute("import os; os.getpid()")
    return console.outputs()[-1].text
