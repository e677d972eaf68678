"""Helpers of ``bench_remote.py``: the Jupyter Server it starts (iopub rate limits off), the
floor client (one WebSocket, no GUI), a proxy that can also refuse connections, the Conch
console and the ZMQ client its workers drive, and the subprocesses they run in. Qt is
imported only inside :class:`Conch`."""
from __future__ import annotations

import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from _util import children_of

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # tests/ is not installed: CuttableProxy and the server recipe
    sys.path.insert(0, str(REPO))

from tests.app.kernel.tcp_proxy import CuttableProxy  # noqa: E402

V1 = "v1.kernel.websocket.jupyter.org"
READY_TIMEOUT, EXEC_TIMEOUT = 60.0, 10.0
RATE_LIMITS_OFF = (
    "--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=0",
    "--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=0",
)
"""The iopub rate limits off. Not ``--ServerApp.iopub_*_rate_limit=0``: since jupyter_server 2.0
those are deprecated aliases forwarded only when their value *changes*, and their default is
0.0, so ``=0`` is silently ignored and the 1 MB/s, 1000 msg/s limits stay."""


# -- the server ------------------------------------------------------------------------------
def start_server(root: Path) -> Any:
    """A Jupyter Server on 127.0.0.1 with a token: the recipe of ``tests/remote_servers.py``
    (private Jupyter folders, a python3 kernelspec running this interpreter, dies with this
    process) plus the iopub rate limits off. Kernel connection files go to ``root/runtime``."""
    from tests.remote_servers import _jupyter_env, _launch, free_port, new_token

    token, port, env = new_token(), free_port(), _jupyter_env(root)
    (root / "notebooks").mkdir(exist_ok=True)
    argv = [
        sys.executable, "-m", "jupyter_server", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={root / 'notebooks'}", *RATE_LIMITS_OFF,
    ]  # fmt: skip
    return _launch(argv, env, root, f"http://127.0.0.1:{port}/", token, "jupyter_server", True)


def connection_file(server: Any, kernel_id: str) -> str:
    """The connection file the server wrote for ``kernel_id`` (in its JUPYTER_RUNTIME_DIR)."""
    path = server.log_path.parent / "runtime" / f"kernel-{kernel_id}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no connection file {path} for server kernel {kernel_id}")
    return str(path)


# -- the floor: one WebSocket, blocking, nothing rendered ------------------------------------
class WsClient:
    """A kernel's channels over one WebSocket in the v1 protocol: ``websockets``' sans-I/O
    ``ClientProtocol`` over a blocking socket (no thread, no event loop). Messages are made by
    ``jupyter_client.session.Session().msg`` and packed into v1 frames here; every received
    frame's four JSON parts are parsed (as ``Session.deserialize`` would), nothing more.

    TCP_NODELAY, and TCP_QUICKACK before every read, as Conch does (``ws_link.ack_promptly``):
    Jupyter Server leaves Nagle on, so without prompt ACKs a small frame can wait up to 40 ms
    behind the previous one's delayed ACK (``--floor-no-quickack`` measures that)."""

    def __init__(self, base_url: str, token: str, kernel_id: str, *, quickack: bool = True,
                 timeout: float = 120.0) -> None:
        from jupyter_client.session import Session
        from websockets.client import ClientProtocol
        from websockets.protocol import State
        from websockets.typing import Subprotocol
        from websockets.uri import parse_uri

        self.session = Session()
        self.quickack = quickack and hasattr(socket, "TCP_QUICKACK")
        url = base_url.replace("http://", "ws://", 1).rstrip("/")
        uri = parse_uri(f"{url}/api/kernels/{kernel_id}/channels?session_id={self.session.session}")
        self.proto = ClientProtocol(uri, subprotocols=[Subprotocol(V1)], max_size=None)
        request = self.proto.connect()
        request.headers["Authorization"] = f"token {token}"
        self.proto.send_request(request)
        self.sock = socket.create_connection((uri.host, uri.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inbox: deque[bytes] = deque()
        self._fragments: list[bytes] = []
        self._flush()
        while self.proto.state is not State.OPEN:
            self._read()
            if self.proto.handshake_exc is not None:
                raise ConnectionError(f"WebSocket refused: {self.proto.handshake_exc}")
        if self.proto.subprotocol != V1:
            raise ConnectionError(f"the server did not accept {V1}")

    def _flush(self) -> None:
        data = b"".join(self.proto.data_to_send())
        if data:
            self.sock.sendall(data)

    def _read(self) -> None:
        from websockets.frames import Opcode

        if self.quickack:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        data = self.sock.recv(1 << 18)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            opcode = getattr(event, "opcode", None)
            if opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                self._fragments.append(bytes(event.data))
                if event.fin:
                    self.inbox.append(b"".join(self._fragments))
                    self._fragments = []
        self._flush()  # pongs

    def send(self, channel: str, msg_type: str, content: dict[str, Any]) -> str:
        msg = self.session.msg(msg_type, content)
        parts = [channel.encode()] + [self.session.pack(msg[k]) for k in ("header", "parent_header", "metadata", "content")]
        offsets = [8 * (len(parts) + 2)]
        for part in parts:
            offsets.append(offsets[-1] + len(part))
        self.proto.send_binary(struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(parts))
        self._flush()
        return str(msg["header"]["msg_id"])

    def recv(self) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(channel, header, parent_header, content) of the next message."""
        while not self.inbox:
            self._read()
        frame = self.inbox.popleft()
        (count,) = struct.unpack_from("<Q", frame)
        offsets = struct.unpack_from(f"<{count}Q", frame, 8)
        parts = [frame[a:b] for a, b in zip(offsets, offsets[1:])]
        header, parent, _metadata, content = (json.loads(p) for p in parts[1:5])
        return parts[0].decode(), header, parent, content

    def request(self, channel: str, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
        """Send a request and read until its reply and its IOPub ``status: idle`` both came.
        Returns what came for it: the reply's content, an execute_result's text/plain, the
        characters and newlines of stdout, its last 200 characters, the IOPub messages."""
        msg_id = self.send(channel, msg_type, content)
        got: dict[str, Any] = {"reply": None, "result": None, "chars": 0, "newlines": 0, "tail": "", "iopub": 0}
        idle = False
        while got["reply"] is None or not idle:
            channel_in, header, parent, body = self.recv()
            if parent.get("msg_id") != msg_id:
                continue
            kind = header.get("msg_type")
            if channel_in == "iopub":
                got["iopub"] += 1
                if kind == "status" and body.get("execution_state") == "idle":
                    idle = True
                elif kind == "execute_result":
                    got["result"] = body.get("data", {}).get("text/plain")
                elif kind == "stream" and body.get("name") == "stdout":
                    text = body.get("text", "")
                    got["chars"] += len(text)
                    got["newlines"] += text.count("\n")
                    got["tail"] = (got["tail"] + text)[-200:]
            elif kind and kind.endswith("_reply"):
                got["reply"] = body
        return got

    def execute(self, code: str) -> dict[str, Any]:
        return self.request("shell", "execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})

    def close(self) -> None:
        try:
            self.proto.send_close(1000)
            self._flush()
        except OSError:
            pass
        self.sock.close()


# -- a proxy that can also refuse connections --------------------------------------------------
class RefusingProxy(CuttableProxy):
    """:class:`CuttableProxy` whose :meth:`refuse` also closes its listening socket (connection
    attempts are refused, as by a server that is down) until :meth:`accept_again` listens on
    the same port again. Both act on the proxy's thread, through its cut."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._gate: str | None = None
        super().__init__(target_host, target_port)

    def refuse(self) -> None:
        self._gate = "close"
        self.cut()

    def accept_again(self) -> None:
        self._gate = "open"
        self.cut()

    def _close_all(self) -> None:
        super()._close_all()
        gate, self._gate = self._gate, None
        if gate == "close":
            self._selector.unregister(self._listener)
            self._listener.close()
        elif gate == "open":
            self._listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR on POSIX
            self._listener.setblocking(False)
            self._selector.register(self._listener, selectors.EVENT_READ)


# -- clients in the worker processes -----------------------------------------------------------
class Conch:
    """A shown ConsoleWidget on a new session; runs code until ``execution_finished``."""

    def __init__(self, make_session: Any) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QEventLoop, QTimer
        from PySide6.QtWidgets import QApplication

        from _util import StallMeter
        from conch import ConsoleWidget
        from conch.app.kernel.status import KernelStatus

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.meter = StallMeter(5)
        self.session = make_session()
        self.console = ConsoleWidget(self.session)
        self.console.resize(800, 600)
        self.console.show()
        self.msg_id, self.t1, self.closed = "", None, False
        self.loop, self.guard = QEventLoop(), QTimer()
        self.guard.setSingleShot(True)
        self.guard.timeout.connect(self.loop.quit)
        self.console.execution_finished.connect(self._finished)
        self.session.closed.connect(lambda: setattr(self, "closed", True))
        self.idle = lambda: self.session.status is KernelStatus.IDLE
        self.wait_until(self.idle, READY_TIMEOUT, "Conch's kernel")

    @staticmethod
    def wait_until(predicate: Any, timeout: float, what: str) -> None:
        """Run the Qt loop until ``predicate()`` held at one of its checks (every 10 ms). Unlike
        ``_util.wait_until_qt`` it does not check again after the loop returned: a status that was
        IDLE at the check may be BUSY by then (the console's own history request)."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop, timer, held, deadline = QEventLoop(), QTimer(), [predicate()], time.monotonic() + timeout

        def check() -> None:
            held[0] = held[0] or predicate()
            if held[0] or time.monotonic() > deadline:
                loop.quit()

        timer.timeout.connect(check)
        timer.start(10)
        if not held[0]:
            loop.exec()
        timer.stop()
        if not held[0]:
            raise TimeoutError(f"timed out waiting for {what}")

    def _finished(self, msg_id: str) -> None:
        if msg_id == self.msg_id and self.t1 is None:
            self.t1 = time.perf_counter()
            self.loop.quit()

    def run(self, code: str, timeout: float) -> float:
        self.t1 = None
        t0 = time.perf_counter()
        self.msg_id = self.console.execute(code)
        self.guard.start(int(timeout * 1000))
        if self.t1 is None:
            self.loop.exec()
        self.guard.stop()
        if self.t1 is None:
            raise TimeoutError(f"Conch did not finish {code[:30]!r} within {timeout} s")
        return self.t1 - t0

    def stdout(self) -> list[Any]:
        cell = self.session.transcript.cell_for(self.msg_id)
        return [o for o in (cell.outputs if cell else []) if o.kind == "stdout"]

    def read_command(self) -> str:
        """Keep the Qt loop running (as an idle console would) until a command line arrives."""
        import select

        from PySide6.QtCore import QEventLoop, QSocketNotifier

        fd = sys.stdin.fileno()
        if not select.select([fd], [], [], 0)[0]:
            loop, notifier = QEventLoop(), QSocketNotifier(fd, QSocketNotifier.Type.Read)
            notifier.activated.connect(loop.quit)
            loop.exec()
            notifier.setEnabled(False)
        return sys.stdin.readline()

    def close(self) -> bool:
        self.session.shutdown()  # an owned server kernel is deleted by REST; an attached one stays
        try:
            self.wait_until(lambda: self.closed, 30.0, "Conch's session to close")
        except TimeoutError:
            return False
        return True


# -- workers ---------------------------------------------------------------------------------
def conch_session(spec: dict[str, Any]) -> Any:
    from conch import attach_kernel, start_kernel

    if spec.get("connection_file"):
        return attach_kernel(spec["connection_file"])
    return start_kernel("python3", server=spec["url"], token=spec["token"])


class ZmqDirect:
    """jupyter_client's BlockingKernelClient on a server kernel's connection file."""

    def __init__(self, path: str) -> None:
        from jupyter_client import BlockingKernelClient

        self.kc = BlockingKernelClient(connection_file=path)
        self.kc.load_connection_file()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=READY_TIMEOUT)

    def execute(self, code: str) -> dict[str, Any]:
        msg_id = self.kc.execute(code)
        while self.kc.get_shell_msg(timeout=EXEC_TIMEOUT)["parent_header"].get("msg_id") != msg_id:
            pass
        result = None
        while True:
            msg = self.kc.get_iopub_msg(timeout=EXEC_TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "execute_result":
                result = msg["content"]["data"].get("text/plain")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return {"result": result}

    def close(self) -> None:
        self.kc.stop_channels()


# -- kernels on the server, made and checked by the parent -----------------------------------
def rest_kernel(server: Any, with_file: bool) -> dict[str, Any]:
    """A kernel started through the server's REST API (and its connection file)."""
    kernel_id = server.start_kernel()
    return {"kernel_id": kernel_id, **({"connection_file": connection_file(server, kernel_id)} if with_file else {})}


KERNEL_PIDS: set[int] = set()


def note_kernels(server: Any) -> None:
    """Remember the server's kernel processes, to check them gone at the end."""
    KERNEL_PIDS.update(children_of(server.process.pid))


def left_on_server(server: Any, mine: list[str]) -> list[str]:
    for kernel_id in mine:
        server.rest("DELETE", f"api/kernels/{kernel_id}")
    return server.kernel_ids()


# -- the report ----------------------------------------------------------------------------------
def notes(results: dict[str, Any]) -> list[str]:
    """Whatever went wrong: wrong results, incomplete output, consoles that did not close,
    kernels left on the server, anything a worker wrote to stderr."""
    out: list[str] = []
    runs: list[tuple[str, dict[str, Any]]] = []
    if "roundtrip" in results:
        runs += [(f"round trip {c}", r) for c, r in results["roundtrip"]["clients"].items()]
        out += [f"round trip {c}: {r['wrong']} wrong results" for c, r in results["roundtrip"]["clients"].items()
                if r["wrong"]]
    if "flood" in results:
        runs += [(f"flood {c}", r) for c, rs in results["flood"]["runs"].items() for r in rs]
        out += [f"flood {c}: incomplete output ({r['lines']} lines)" for c, rs in results["flood"]["runs"].items()
                for r in rs if not r["ok"]]
    for variant in ("cut", "refuse"):
        if variant in results.get("reconnect", {}):
            r = results["reconnect"][variant]
            runs.append((f"reconnect {variant}", r))
            out += [f"reconnect {variant}: {x}" for x in r["runs"] if not (x["finished"] and x["exactly_once"])]
    out += [f"{name}: did not close cleanly" for name, r in runs if not r.get("closed")]
    out += [f"{name} wrote to stderr:\n    " + r["stderr"].replace("\n", "\n    ") for name, r in runs if r.get("stderr")]
    out += [f"{part}: kernels left on the server: {results[part]['left_on_server']}"
            for part in ("roundtrip", "flood", "reconnect") if results.get(part, {}).get("left_on_server")]
    return out


# -- worker subprocesses -----------------------------------------------------------------------
class WorkerProcess:
    """``bench_remote.py --worker KIND --spec JSON`` in a subprocess; JSON lines both ways."""

    def __init__(self, script: str, kind: str, spec: dict[str, Any], platform: str = "offscreen") -> None:
        env = dict(os.environ, QT_QPA_PLATFORM=platform, QT_API="pyside6")
        env.pop("CONCH_DEBUG", None)
        self.kind = kind
        self._err = tempfile.TemporaryFile(mode="w+")  # a pipe could fill up and block it
        self.proc = subprocess.Popen(
            [sys.executable, script, "--worker", kind, "--spec", json.dumps(spec)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True, env=env,
        )
        self.first = self.read()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(timeout=30)
                raise RuntimeError(f"{self.kind} worker ended (exit {self.proc.returncode}):\n{self.stderr()}")
            if line.startswith("{"):
                reply: dict[str, Any] = json.loads(line)
                return reply

    def command(self, text: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.read()

    def quit(self) -> dict[str, Any]:
        reply = self.command("quit")
        self.proc.wait(timeout=60)
        return reply

    def stderr(self) -> str:
        self._err.seek(0)
        noise = ("propagateSizeHints",)
        lines = self._err.read().splitlines()
        return "\n".join(line for line in lines if line.strip() and not any(n in line for n in noise))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def answer(payload: dict[str, Any]) -> None:
    """A worker's answer to its parent: one JSON line."""
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def serve_rounds(once: Any, conch: "Conch | None", close: Any) -> None:
    """A round-trip worker's loop: ``round N`` times ``once()`` N times (with Conch's longest
    event-loop stall meanwhile) and answers the samples; ``quit`` answers ``close()``."""
    while True:
        command = (conch.read_command() if conch else sys.stdin.readline()).split()
        if not command or command[0] == "quit":
            answer(close())
            return
        if conch:
            conch.meter.start()
        samples, wrong, cpu0 = [], 0, time.process_time()
        for _ in range(int(command[1])):
            elapsed, ok = once()
            samples.append(elapsed)
            wrong += not ok
        cpu = time.process_time() - cpu0
        stall = {}
        if conch:
            conch.meter.stop()
            stall = {"max_stall": conch.meter.max_gap}
        answer({"samples": samples, "wrong": wrong, "cpu": cpu, **stall})
