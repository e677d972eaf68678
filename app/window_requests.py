"""What a later launch asks the running Conch for (:mod:`conch.app.single_instance`): a tab
on a new kernel, a connection file, a server or an SSH host, or a Connect dialog; then the
window comes to the front."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conch.app.main_window import MainWindow


def handle_request(window: "MainWindow", request: dict[str, Any]) -> None:
    """Do what ``request`` asks in ``window``; a problem (a bad URL) shows in the status bar."""
    kind = request["kind"]
    kernel = request.get("kernel")
    if kind == "local":
        window.new_tab(kernel or window.kernel_name)
    elif kind == "existing":
        window.new_tab(connection_file=Path(request["path"]))
    elif kind == "server":
        from conch.app.kernel.server_url import parse_server_url

        try:
            address = parse_server_url(request["url"], token=request.get("token"))
        except ValueError as error:
            window.statusBar().showMessage(f"Another launch asked for a server tab: {error}", 15000)
        else:
            window.new_server_tab(address, kernel, kernel_id=request.get("kernel_id"), ca_file=request.get("ca_file"))
    elif kind == "ssh":
        window.new_ssh_tab(request["host"], request.get("ssh_options", []), kernel, existing=request.get("existing"))
    elif kind == "connect_server":
        window.connect_to_server()
    elif kind == "connect_ssh":
        window.connect_over_ssh()
    bring_to_front(window)


def bring_to_front(window: "MainWindow") -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
