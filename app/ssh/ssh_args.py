"""The ssh command lines of a master and of the requests through it (Qt-free).

ssh keeps the *first* value it meets for an option, command line before config files. So the
options a master cannot work without come before the user's, and mere defaults after them.
"""
from __future__ import annotations

from typing import Sequence


def master_arguments(
    destination: str,
    options: Sequence[str],
    control_path: str,
    version: tuple[int, int] | None,
    *,
    can_ask: bool,
    connect_timeout_s: int,
) -> list[str]:
    """``ssh -N -n …`` for a master in the foreground: no shell, no tty, no forwards from config
    files (they could clash), no forking into the background (ControlPersist, -f)."""
    ours = [
        "-o", "ControlMaster=yes", "-o", f"ControlPath={control_path}", "-o", "ControlPersist=no",
        "-o", "ClearAllForwardings=yes", "-o", "PermitLocalCommand=no", "-o", "RequestTTY=no",
    ]  # fmt: skip
    if version is not None and version >= (8, 7):
        ours += ["-o", "ForkAfterAuthentication=no"]
    if not can_ask:
        ours += ["-o", "BatchMode=yes"]
    defaults = [
        "-o", "ExitOnForwardFailure=yes", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=2",
        "-o", f"ConnectTimeout={connect_timeout_s}",
    ]  # fmt: skip
    return ["-N", "-n", *ours, *options, *defaults, "--", destination]


def mux_arguments(control_path: str, destination: str, request: Sequence[str]) -> list[str]:
    """An ssh that talks only to the master: no config files (no stray forwards or proxies), no
    prompts, and no connection of its own if the master is gone (``ProxyCommand=false``).

    ``request`` is ``["-O", "check"]``, ``["-O", "forward", "-L", spec]``… or, for a command,
    ``["-T", "--", destination, command]`` (which names the destination itself)."""
    base = [
        "-F", "/dev/null", "-S", control_path, "-o", "ControlMaster=no",
        "-o", "BatchMode=yes", "-o", "ProxyCommand=false",
    ]  # fmt: skip
    if request and request[0] == "-T":
        return [*base, *request]
    return [*base, *request, destination]
