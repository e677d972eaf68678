"""The embedding API's way in: start a kernel (local, or on a Jupyter server) or attach to one
that runs already, each returning a :class:`KernelSession` at once."""
from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conch.app.kernel.launcher import LocalKernelProcess
from conch.app.kernel_session import KernelSession
from conch.app.running_kernel import RunningKernel

if TYPE_CHECKING:
    from conch.app.kernel.server_api import ServerApi
    from conch.app.kernel_session import Kernel


def start_kernel(
    kernel_name: str = "python3",
    *,
    cwd: str | None = None,
    server: str | None = None,
    token: str | None = None,
    ca_file: str | None = None,
    ssh: str | None = None,
    ssh_options: Sequence[str] = (),
) -> "KernelSession":
    """Start a kernel from a kernelspec and connect to it: a local process, or with ``server``
    (a Jupyter Server, JupyterHub user server or Kernel Gateway URL) a kernel on that server.

    Returns at once (nothing waits for the process or the network); the session reports
    STARTING (CONNECTING for a server) until the kernel answers ``kernel_info``. The token is
    ``token``, else the URL's ``?token=``, else ``$JUPYTER_TOKEN``; ``ca_file`` adds trusted
    certificates for ``https``. Needs a QApplication. Raises ``KernelSpecNotFound`` or
    ``KernelLaunchError`` (local) or ``ValueError`` (a URL that is not one) naming the problem;
    a server's refusal arrives later, as the session's death with the reason.
    """
    if server is not None:
        from conch.app.server_kernel import ServerKernel

        return KernelSession(ServerKernel.start(_server_api(server, token, ca_file), kernel_name))
    if ssh is not None:
        return KernelSession(ssh_kernel(ssh, ssh_options, kernel_name=kernel_name))
    return KernelSession(RunningKernel.launch(kernel_name, cwd=cwd))


def attach_kernel(
    kernel: str | Path,
    *,
    server: str | None = None,
    token: str | None = None,
    ca_file: str | None = None,
    ssh: str | None = None,
    ssh_options: Sequence[str] = (),
) -> "KernelSession":
    """Connect to a kernel that runs already: ``kernel`` is a connection file's path (or a name
    ``jupyter console --existing`` would find), or with ``server`` a kernel id on that server.
    The kernel is left running when the session shuts down. Returns at once; raises
    ``ConnectionFileError`` for a file that is not a usable connection file."""
    if server is not None:
        from conch.app.server_kernel import ServerKernel

        return KernelSession(ServerKernel.attach_to(_server_api(server, token, ca_file), str(kernel)))
    if ssh is not None:
        return KernelSession(ssh_kernel(ssh, ssh_options, existing=str(kernel)))
    from conch.app.kernel.connection_files import resolve_connection_file

    return KernelSession(RunningKernel.from_connection_file(resolve_connection_file(str(kernel))))


def ssh_kernel(
    host: str, options: Sequence[str] = (), *, kernel_name: str = "python3", existing: str | None = None
) -> "Kernel":
    """A kernel on ``host`` reached with the system ssh (``options`` as on its command line:
    ``-F file``, ``-i key``, ``-p port``): a new one of ``kernel_name`` on a Jupyter server there
    (the user's, or one Conch starts), or ``existing``: a kernel connection file there
    (``kernel-1234.json``, or ``1234``) or a kernel id on its Jupyter server. Returns at once."""
    from conch.app.server_kernel import ServerKernel
    from conch.app.ssh_hosts import SshHosts

    ssh_host = SshHosts.shared().host(host, options)
    if existing is not None and (existing.endswith(".json") or "kernel-" in existing or "-" not in existing):
        raw = RunningKernel.over_ssh(host, existing)
        ssh_host.raw_kernel(raw, existing)
        return raw
    pending = ServerKernel.pending(kernel_name if existing is None else "", where=ssh_host.where, kernel_id=existing)
    ssh_host.kernel_on_server(pending)
    return pending


def _server_api(server: str, token: str | None, ca_file: str | None) -> "ServerApi":
    from conch.app.kernel.server_api import ServerApi
    from conch.app.kernel.server_url import parse_server_url

    return ServerApi(parse_server_url(server, token=token), ca_file)


def session_for_launched(process: LocalKernelProcess, connection_info: dict[str, Any]) -> "KernelSession":
    """A session on a kernel process that is already spawned (e.g. before the GUI existed)."""
    return KernelSession(RunningKernel(connection_info, process=process))
