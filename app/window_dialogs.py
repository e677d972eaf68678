"""The window's dialogs for kernels elsewhere: Connect to Server and Connect over SSH. Each
opens without blocking; its choice opens a tab."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow
    from conch.widgets.server_dialog import ServerDialog
    from conch.widgets.ssh_dialog import SshDialog


def open_server_dialog(window: "MainWindow", url: str | None = None) -> "ServerDialog":
    """Connect to Server (its URL field set to ``url``, else the most recent server)."""
    from conch.app.settings import config_dir
    from conch.widgets.server_dialog import ServerDialog

    dialog = ServerDialog(window, config_dir(), window.settings.ca_file, url=url)
    dialog.start_requested.connect(
        lambda address, name, display: window.new_server_tab(address, name, spec_display_name=display, ca_file=dialog.ca_file)
    )
    dialog.attach_requested.connect(
        lambda address, kernel_id, name: window.new_server_tab(address, name, kernel_id=kernel_id, ca_file=dialog.ca_file)
    )
    dialog.finished.connect(lambda _result: window.focus_editor())
    dialog.open()
    return dialog


def open_ssh_dialog(window: "MainWindow", host: str | None = None) -> "SshDialog":
    """Connect over SSH (its host field set to ``host``, else empty)."""
    from conch.app.settings import config_dir
    from conch.widgets.ssh_dialog import SshDialog

    dialog = SshDialog(window, config_dir(), host=host)
    dialog.start_requested.connect(lambda host, options, name, _keep: window.new_ssh_tab(host, options, name))
    dialog.attach_requested.connect(lambda host, options, path: window.new_ssh_tab(host, options, existing=path))
    dialog.finished.connect(lambda _result: window.focus_editor())
    dialog.open()
    return dialog
