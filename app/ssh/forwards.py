"""Port forwards through an ssh master: what one is, and the ssh arguments that make it (Qt-free)."""
from __future__ import annotations

import socket
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Forward:
    """``LOOPBACK:local_port`` (or the local unix socket ``local_socket``) here → ``target`` there.

    ``target`` is ``host:port`` as the remote machine sees it (``127.0.0.1:8888``), or the absolute
    path of a unix socket on the remote machine (``/tmp/conch-jupyter-x/jupyter.sock``).
    """

    target: str
    local_port: int = 0
    local_socket: str = ""

    @property
    def listen(self) -> str:
        return self.local_socket or f"{LOOPBACK}:{self.local_port}"

    @property
    def local_address(self) -> str:
        """``127.0.0.1:PORT`` (or the socket path) to connect to."""
        return self.listen

    def spec(self) -> str:
        """The argument of ``ssh -L``."""
        return f"{self.listen}:{ssh_target(self.target)}"


def ssh_target(target: str) -> str:
    """``host:port`` with an IPv6 host bracketed for ``-L``; a socket path unchanged."""
    if target.startswith("/"):
        return target
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"forward target {target!r} is neither host:port nor an absolute socket path")
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def free_local_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (someone may take it before ssh does:
    callers retry with another one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port
