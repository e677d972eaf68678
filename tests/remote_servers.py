"""Real Jupyter Server / Kernel Gateway processes on 127.0.0.1 for the remote-kernel tests.

Usage: import the fixtures a test module needs, ``from tests.remote_servers import jupyter_server  # noqa: F401``,
and take them as arguments: ``jupyter_server``, ``legacy_jupyter_server``, ``hub_like_server`` (under
``/user/ada/``), ``kernel_gateway``, ``private_kernel_gateway`` (list_kernels off). Each yields a
:class:`RunningServer`, one per test module (module scope; ~2-3 s to start), so delete the kernels you start
if later tests in the module count them. (Not ``pytest_plugins``: plain ``pytest`` then fails on
"module already imported" for any module that also imports a name from here.)
"""
from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

STARTUP_DEADLINE_S = 30.0
STOP_GRACE_S = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def new_token() -> str:
    return "test-token-" + secrets.token_hex(12)


@dataclass
class RunningServer:
    """A server process started by a test, and blocking REST helpers to poke it directly."""

    url: str
    token: str
    kind: str  # "jupyter_server" | "kernel_gateway"
    process: subprocess.Popen[bytes]
    log_path: Path
    list_kernels: bool = True
    _stopped: bool = field(default=False, repr=False)

    @property
    def port(self) -> int:
        return int(self.url.split(":")[2].split("/")[0])

    def rest(
        self, method: str, path: str, body: object = None, *, token: str | None = None, authorize: bool = True
    ) -> tuple[int, object]:
        """``(status, parsed JSON or text)`` for ``path`` relative to the base URL (``api/kernels``).

        Sends the server's own token unless ``token`` names another or ``authorize`` is False."""
        token = (token or self.token) if authorize else None
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        request = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        if token is not None:
            request.add_header("Authorization", f"token {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def start_kernel(self, name: str = "python3") -> str:
        """Start a kernel through ``POST /api/kernels``; its id."""
        status, answer = self.rest("POST", "api/kernels", {"name": name})
        assert status == 201 and isinstance(answer, dict), (status, answer)
        kernel_id: str = answer["id"]
        return kernel_id

    def kernel_ids(self) -> list[str]:
        status, answer = self.rest("GET", "api/kernels")
        assert status == 200 and isinstance(answer, list), (status, answer)
        return [kernel["id"] for kernel in answer]

    def shutdown_all_kernels(self) -> None:
        """Shut down every running kernel (only where the server lists them)."""
        for kernel_id in self.kernel_ids():
            self.rest("DELETE", f"api/kernels/{kernel_id}")

    def stderr(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the server and its kernels; kill it if it is not gone within 10 s."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            try:
                if self.kind == "jupyter_server":
                    self.rest("POST", "api/shutdown")
                else:
                    self.process.send_signal(signal.SIGTERM)
            except OSError:
                pass
            try:
                self.process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()


def _jupyter_env(root: Path) -> dict[str, str]:
    """Environment with private Jupyter folders and a python3 kernelspec that runs this venv."""
    env = dict(os.environ)
    for name in ("runtime", "config", "data"):
        (root / name).mkdir(parents=True, exist_ok=True)
    env["JUPYTER_RUNTIME_DIR"] = str(root / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(root / "config")
    env["JUPYTER_DATA_DIR"] = str(root / "data")
    env.pop("JUPYTER_TOKEN", None)
    env.pop("JUPYTER_PATH", None)
    # The data dir wins over sys.prefix's kernelspecs, so python3 is always this interpreter.
    spec_dir = root / "data" / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (test)",
        "language": "python",
        "interrupt_mode": "signal",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return env


def _launch(
    argv: list[str], env: dict[str, str], root: Path, url: str, token: str, kind: str, list_kernels: bool
) -> RunningServer:
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv, env=env, cwd=root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    server = RunningServer(url, token, kind, process, log_path, list_kernels)
    try:
        _wait_until_answering(server)
    except BaseException:
        server.stop()
        raise
    return server


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the test process dies without stopping it (a crash)."""
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _wait_until_answering(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.kind} exited with {server.process.returncode} before answering:\n{server.stderr()}"
            )
        try:
            status, _ = server.rest("GET", "api/kernelspecs")
            if status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.kind} did not answer within {STARTUP_DEADLINE_S} s:\n{server.stderr()}")
        time.sleep(0.05)  # polling interval while waiting for a subprocess, not a fixed wait


def start_jupyter_server(
    tmp_path: Path, *, token: str | None = None, base_url: str = "/", ws_protocol: str | None = None
) -> RunningServer:
    """A Jupyter Server on a free loopback port. ``ws_protocol="legacy"`` forces the legacy
    kernel WebSocket protocol (JSON text frames) even when a client offers v1."""
    token = token or new_token()
    base_url = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    port = free_port()
    root = Path(tmp_path)
    env = _jupyter_env(root)
    if ws_protocol is not None:
        if ws_protocol != "legacy":
            raise ValueError(f"unknown ws_protocol {ws_protocol!r} (None or 'legacy')")
        # An empty string selects legacy; a config file avoids quoting "" on the command line.
        config = {"ZMQChannelsWebsocketConnection": {"kernel_ws_protocol": ""}}
        (root / "config" / "jupyter_server_config.json").write_text(json.dumps(config), encoding="utf-8")
    (root / "notebooks").mkdir(exist_ok=True)
    argv = [
        sys.executable, "-m", "jupyter_server", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={root / 'notebooks'}", f"--ServerApp.base_url={base_url}",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}{base_url}"
    return _launch(argv, env, root, url, token, "jupyter_server", True)


def start_kernel_gateway(tmp_path: Path, *, token: str | None = None, list_kernels: bool = True) -> RunningServer:
    """A Jupyter Kernel Gateway (websocket personality) on a free loopback port."""
    token = token or new_token()
    port = free_port()
    root = Path(tmp_path)
    env = _jupyter_env(root)
    env.pop("KG_LIST_KERNELS", None)
    argv = [
        sys.executable, "-m", "kernel_gateway",
        "--KernelGatewayApp.ip=127.0.0.1", f"--KernelGatewayApp.port={port}",
        "--KernelGatewayApp.port_retries=0", f"--KernelGatewayApp.auth_token={token}",
        f"--JupyterWebsocketPersonality.list_kernels={list_kernels}",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    return _launch(argv, env, root, url, token, "kernel_gateway", list_kernels)


def _serve(server: RunningServer) -> Iterator[RunningServer]:
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A Jupyter Server at ``http://127.0.0.1:PORT/`` (v1 WebSocket protocol when offered)."""
    yield from _serve(start_jupyter_server(tmp_path_factory.mktemp("jupyter_server")))


@pytest.fixture(scope="module")
def legacy_jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A Jupyter Server that always speaks the legacy WebSocket protocol."""
    yield from _serve(start_jupyter_server(tmp_path_factory.mktemp("legacy_server"), ws_protocol="legacy"))


@pytest.fixture(scope="module")
def hub_like_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A Jupyter Server under ``/user/ada/``, as a JupyterHub single-user server is."""
    yield from _serve(start_jupyter_server(tmp_path_factory.mktemp("hub_like"), base_url="/user/ada/"))


@pytest.fixture(scope="module")
def kernel_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A Kernel Gateway that lists its kernels (``list_kernels=True``)."""
    yield from _serve(start_kernel_gateway(tmp_path_factory.mktemp("kernel_gateway")))


@pytest.fixture(scope="module")
def private_kernel_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A Kernel Gateway with its default ``list_kernels=False`` (``GET /api/kernels`` is 403)."""
    yield from _serve(start_kernel_gateway(tmp_path_factory.mktemp("private_gateway"), list_kernels=False))
