"""Jupyter on an SSH host, through an :class:`SshMaster`: list running servers, start a private
one, read kernel connection files, forward a kernel's five ports.

Every method returns an :class:`SshCall` at once; its ``finished`` follows. Errors are sentences
for people (what is missing on the host and how to install it), never containing a token.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from conch.app.kernel.server_api import ServerApi
from conch.app.kernel.server_url import ServerAddress, parse_server_url, redact
from conch.app.ssh.calls import SshCall
from conch.app.ssh.forwards import LOOPBACK, Forward
from conch.app.ssh.master import SshMaster
from conch.app.ssh.remote_scripts import (
    NO_JUPYTER, PORT_KEYS, RemoteKernelFile, RemoteServerInfo, check_connection_info, kernel_files_script,
    list_servers_script, parse_kernel_files, parse_server_list, remote_ip, start_server_script, stop_server_script,
)  # fmt: skip

SCRIPT_TIMEOUT_S = 60.0
START_WAIT_S = 60


@dataclass(frozen=True)
class ForwardedServer:
    """A Jupyter server on the host, reachable here at ``address`` (a local forward)."""

    address: ServerAddress
    forward: Forward
    info: RemoteServerInfo | None = None


@dataclass(frozen=True)
class StartedServer:
    """A Jupyter server Conch started on the host (on a unix socket in a private folder)."""

    address: ServerAddress
    """``http://127.0.0.1:PORT/`` with the token: give it to ``ServerApi`` / ``start_kernel(server=…)``."""
    forward: Forward
    remote_pid: int
    remote_dir: str
    """The 0700 folder holding its socket, config (with the token) and log; removed by ``stop_server``."""
    kernelspecs: tuple[str, ...]
    warning: str = ""
    """Why kernels will not start there (no ipykernel, no kernelspecs), or ""."""

    @property
    def socket_path(self) -> str:
        return f"{self.remote_dir}/jupyter.sock"


@dataclass(frozen=True)
class RemoteKernelFiles:
    folder: str
    """The host's Jupyter runtime folder."""
    files: list[RemoteKernelFile]
    """Newest first; unusable ones carry a ``problem``."""


@dataclass(frozen=True)
class ForwardedKernel:
    """A kernel on the host with its five ports forwarded here."""

    connection_info: dict[str, Any]
    """For Conch's ZMQ path: ip 127.0.0.1, the local ports, the kernel's key and scheme."""
    remote_info: Mapping[str, Any]
    forwards: tuple[Forward, ...]


class RemoteJupyter:
    """Jupyter on ``master``'s host. ``jupyter_command`` is the path of its ``jupyter`` program when
    not on the PATH of a non-interactive shell there; ``environment`` is exported there first."""

    def __init__(
        self, master: SshMaster, *, jupyter_command: str | None = None, environment: Mapping[str, str] | None = None
    ) -> None:
        self.master = master
        self.jupyter_command = jupyter_command
        self.environment = dict(environment or {})

    # -- servers -----------------------------------------------------------------------------------
    def list_servers(self) -> SshCall[list[RemoteServerInfo]]:
        """The servers ``jupyter server list --json`` reports there (url, token, port, sock, …)."""
        call: SshCall[list[RemoteServerInfo]] = SshCall("list Jupyter servers")
        script = list_servers_script(self.jupyter_command, self.environment)
        self._script(script, call, lambda out: call.succeed(parse_server_list(out)))
        return call

    def open_server(self, info: RemoteServerInfo) -> SshCall[ForwardedServer]:
        """Forward a local port to a listed server; its address here, with its token."""
        call: SshCall[ForwardedServer] = SshCall("open a Jupyter server")
        forwarding = self.master.forward(info.target)

        def forwarded(done: SshCall[Forward]) -> None:
            if not done.ok or done.result is None:
                call.fail(done.error or "the forward failed")
                return
            address = self._address(done.result, info.base_url, info.token, info.secure, f":{info.port or 'socket'}")
            call.succeed(ForwardedServer(address, done.result, info))

        forwarding.when_done(forwarded)
        return call

    def start_server(
        self, *, root_dir: str | None = None, server_config: Mapping[str, Any] | None = None, wait_s: int = START_WAIT_S
    ) -> SshCall[StartedServer]:
        """Start a private Jupyter Server there and forward a local port to it.

        Its random token never appears on a command line (it travels in the script, through
        stdin, into a 0600 file in a 0700 folder). ``server_config`` is merged into its config."""
        call: SshCall[StartedServer] = SshCall("start a Jupyter server")
        token = secrets.token_hex(24)
        config: dict[str, Any] = {"ServerApp": {"open_browser": False}, "IdentityProvider": {"token": token}}
        if root_dir:
            config["ServerApp"]["root_dir"] = root_dir
        for section, values in (server_config or {}).items():
            config.setdefault(section, {}).update(values)
        script = start_server_script(self.jupyter_command, self.environment, config, wait_s)

        def started(out: str) -> None:
            found = re.search(r"^CONCH-STARTED (\d+) (/.*)$", out, re.MULTILINE)
            no_kernel = re.search(r"^CONCH-NO-IPYKERNEL (.*)$", out, re.MULTILINE)
            if found is None or "CONCH-READY" not in out:
                log = redact(out.split("CONCH-DIED", 1)[-1].split("CONCH-TIMEOUT", 1)[-1].strip(), token)
                call.fail(self._start_failure(log))
                return
            pid, folder = int(found.group(1)), found.group(2)
            warning = self._no_ipykernel(no_kernel.group(1)) if no_kernel else ""
            self._connect_started(call, token, pid, folder, warning)

        self._script(script, call, started, timeout_s=wait_s + SCRIPT_TIMEOUT_S)
        return call

    def stop_server(self, server: StartedServer) -> SshCall[None]:
        """Stop a server :meth:`start_server` started (its kernels too), remove its folder and the forward."""
        call: SshCall[None] = SshCall("stop the Jupyter server")
        self.master.cancel_forward(server.forward)
        script = stop_server_script(server.remote_pid, server.remote_dir)

        def stopped(out: str) -> None:
            if "CONCH-STOPPED" in out:
                call.succeed(None)
            else:
                call.fail(f"Could not stop the Jupyter server on {self.master.name}: {out.strip() or 'no answer'}")

        self._script(script, call, stopped)
        return call

    def _connect_started(self, call: SshCall[StartedServer], token: str, pid: int, folder: str, warning: str) -> None:
        forwarding = self.master.forward(f"{folder}/jupyter.sock")

        def give_up(reason: str) -> None:
            self.master.run_script(stop_server_script(pid, folder))
            call.fail(reason)

        def forwarded(done: SshCall[Forward]) -> None:
            if not done.ok or done.result is None:
                give_up(done.error or "the forward failed")
                return
            forward = done.result
            address = self._address(forward, "/", token, False, " (started by Conch)")
            api = ServerApi(address)
            specs = api.kernelspecs()

            def checked() -> None:
                api.deleteLater()
                if specs.error is not None or specs.result is None:
                    self.master.cancel_forward(forward)
                    give_up(f"The Jupyter server started on {self.master.name} does not answer: {specs.error}")
                    return
                names = tuple(sorted(specs.result.specs))
                note = warning or ("" if names else self._no_kernelspecs())
                call.succeed(StartedServer(address, forward, pid, folder, names, note))

            specs.finished.connect(checked)

        forwarding.when_done(forwarded)

    # -- kernels -----------------------------------------------------------------------------------
    def list_kernel_files(self) -> SshCall[RemoteKernelFiles]:
        """The ``kernel-*.json`` files in the host's Jupyter runtime folder, read over ssh (64 KiB each at most)."""
        call: SshCall[RemoteKernelFiles] = SshCall("list kernel connection files")

        def listed(out: str) -> None:
            folder, files = parse_kernel_files(out)
            call.succeed(RemoteKernelFiles(folder, files))

        self._script(kernel_files_script(self.jupyter_command, self.environment), call, listed)
        return call

    def forward_kernel(self, connection_info: Mapping[str, Any]) -> SshCall[ForwardedKernel]:
        """Forward the kernel's five ports to free local ports; the connection info to use here."""
        call: SshCall[ForwardedKernel] = SshCall("forward a kernel")
        problem = check_connection_info(dict(connection_info))
        if problem:
            call.fail(f"Cannot connect to this kernel on {self.master.name}: {problem}.")
            return call
        ip = remote_ip(connection_info)
        calls = {key: self.master.forward(f"{ip}:{connection_info[key]}") for key in PORT_KEYS}

        def one_done(_: SshCall[Forward]) -> None:
            if not all(c.done for c in calls.values()) or call.done:
                return
            made = {key: c.result for key, c in calls.items() if c.ok and c.result is not None}
            if len(made) < len(PORT_KEYS):
                for forward in made.values():
                    self.master.cancel_forward(forward)
                errors = [c.error for c in calls.values() if c.error]
                call.fail(errors[0] if errors else "the forwards failed")
                return
            local = dict(connection_info, ip=LOOPBACK, transport="tcp")
            local["signature_scheme"] = connection_info.get("signature_scheme") or "hmac-sha256"
            for key, forward in made.items():
                local[key] = forward.local_port
            forwards = tuple(made[key] for key in PORT_KEYS)
            call.succeed(ForwardedKernel(local, dict(connection_info), forwards))

        for forwarding in calls.values():
            forwarding.when_done(one_done)
        return call

    def close_kernel(self, kernel: ForwardedKernel) -> SshCall[None]:
        """Stop forwarding the kernel's ports (the kernel itself keeps running there)."""
        call: SshCall[None] = SshCall("stop forwarding a kernel")
        cancels = [self.master.cancel_forward(forward) for forward in kernel.forwards]

        def one_done(_: SshCall[None]) -> None:
            if not all(c.done for c in cancels):
                return
            errors = [c.error for c in cancels if c.error]
            if errors:
                call.fail(errors[0])
            else:
                call.succeed(None)

        for cancel in cancels:
            cancel.when_done(one_done)
        return call

    # -- helpers -----------------------------------------------------------------------------------
    def _script(
        self, script: str, call: SshCall[Any], on_output: Callable[[str], None], *, timeout_s: float = SCRIPT_TIMEOUT_S
    ) -> None:
        command = self.master.run_script(script, timeout_s=timeout_s)

        def finished(code: int, out: bytes, err: bytes) -> None:
            text, errors = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
            if NO_JUPYTER in errors:
                call.fail(self._no_jupyter())
            elif "jupyter-server` not found" in errors or "'server' is not a Jupyter command" in errors:
                call.fail(self._no_jupyter_server())
            elif code == -1 or (code != 0 and not text.strip()):
                why = command.problem or errors.strip()[-2000:] or f"exit code {code}"
                call.fail(f"Cannot {call.what} on {self.master.name}: {why}")
            else:
                on_output(text)

        command.finished.connect(finished)

    def _address(self, forward: Forward, base_url: str, token: str, secure: bool, label: str) -> ServerAddress:
        scheme = "https" if secure else "http"
        url = f"{scheme}://{forward.local_address}{base_url or '/'}"
        address = parse_server_url(url, token=token or None, environ={})
        return replace(address, display_name=f"{self.master.name}{label}")

    def _no_jupyter(self) -> str:
        where = "on the PATH of a non-interactive ssh session there"
        if self.jupyter_command:
            where = f"at {self.jupyter_command}"
        return (
            f"Jupyter is not installed on {self.master.name}, or not {where} (such sessions skip setup like "
            "`conda activate`). Install it there with `python3 -m pip install --user jupyter_server ipykernel`, "
            "or give the full path of its `jupyter` program."
        )

    def _no_jupyter_server(self) -> str:
        return (
            f"Jupyter on {self.master.name} has no Jupyter Server (`jupyter server` is missing). "
            "Install it there with `python3 -m pip install jupyter_server`."
        )

    def _start_failure(self, log: str) -> str:
        hint = ""
        if "sock" in log and ("Unrecognized" in log or "unrecognized" in log):
            hint = " It needs Jupyter Server 2 or newer there (`pip install -U jupyter_server`)."
        shown = "\n".join(f"  {line}" for line in log.splitlines()[-15:]) or "  (no log)"
        return f"The Jupyter server did not start on {self.master.name}.{hint} Its log ends with:\n{shown}"

    def _no_ipykernel(self, python: str) -> str:
        return (
            f"The Python that runs Jupyter on {self.master.name} ({python}) has no ipykernel, so Python kernels "
            f"cannot start there. Install it: `{python} -m pip install ipykernel`."
        )

    def _no_kernelspecs(self) -> str:
        return (
            f"The Jupyter server on {self.master.name} has no kernels to start (no kernelspecs): install ipykernel "
            "there (`python3 -m pip install ipykernel`) or another kernel."
        )
