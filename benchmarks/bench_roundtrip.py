"""Round-trip benchmark: ``1+1`` from execute to the result being there, for three clients,
each in its own process on its own python3 kernel.

direct
    jupyter_client's ``BlockingKernelClient`` (no GUI): from ``execute()`` until both the
    ``execute_reply`` and the IOPub ``status: idle`` whose parent is that request arrived
    (waiting on both sockets with one ``zmq.Poller``).
conch
    Conch's embedding API: from ``console.execute("1+1")`` until the console's
    ``execution_finished`` signal for that msg_id (reply and idle arrived, output in the view).
    The Qt loop runs in a ``QEventLoop`` that the signal's slot quits; no sleeps. After each
    execution (outside the timing) the last output is checked to be the result ``2``.
qtconsole
    qtconsole's ``RichJupyterWidget`` with a ``QtKernelManager``/``QtKernelClient``: from
    ``widget.execute("1+1")`` until its ``executed`` signal has fired for the request *and*
    ``widget._control.toPlainText()`` contains ``Out[n]: 2``. qtconsole flushes IOPub before
    it handles the execute_reply, so the text is normally there when ``executed`` fires; if it
    is not, the document's ``contentsChanged`` is watched until it is. The report says how
    often the text was already there at ``executed``.

Each client first starts its kernel, waits until it is ready (for qtconsole: first prompt
shown and an IOPub message received) and runs the warm-up executions. The measured executions
are then taken in interleaved rounds (``--rounds``, default 5: 20 executions per client per
round, the client order rotating every round) so that load from elsewhere on the machine falls
on all clients alike. Only one client executes at any moment; between its turns a Qt client
keeps its event loop running, as an idle console would.

The CPU time the client's own process (all threads) spends per measured execution is reported
too: it is much less sensitive than wall time to other load on a 2-core machine.

For the two Qt clients a 5 ms precise QTimer runs during the measured executions and the
longest gap between its ticks is reported as the max UI stall. Every kernel is shut down at
the end and checked gone by PID.

Usage::

    python benchmarks/bench_roundtrip.py [-n 100] [--warmup 10] [--rounds 5]
                                         [--clients direct,conch,qtconsole] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

from _util import environment, kill_leftovers, log, median, millis, p90, spin_qt, table, wait_gone, wait_until_qt

CODE = "1+1"
EXPECTED = "2"
GOAL_RATIO = 1.3
READY_TIMEOUT = 60.0
EXEC_TIMEOUT = 10.0
CLIENTS = ("direct", "conch", "qtconsole")


# -- workers: each runs in its own process and obeys "run K" / "quit" lines on stdin ----------
class DirectWorker:
    """jupyter_client's BlockingKernelClient, polled on its shell and IOPub sockets."""

    def setup(self) -> int:
        import zmq
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=READY_TIMEOUT)
        self.poller = zmq.Poller()
        self.poller.register(self.kc.shell_channel.socket, zmq.POLLIN)
        self.poller.register(self.kc.iopub_channel.socket, zmq.POLLIN)
        return int(self.km.provisioner.process.pid)

    def once(self) -> tuple[float, bool]:
        shell, iopub = self.kc.shell_channel, self.kc.iopub_channel
        t0 = time.perf_counter()
        msg_id = self.kc.execute(CODE)
        replied = idle = False
        result = None
        while not (replied and idle):
            ready = dict(self.poller.poll(EXEC_TIMEOUT * 1000))
            if not ready:
                raise TimeoutError("direct client: no reply/idle within the timeout")
            if shell.socket in ready:
                msg = shell.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
                    replied = True
            if iopub.socket in ready:
                msg = iopub.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == msg_id:
                    if msg["msg_type"] == "execute_result":
                        result = msg["content"]["data"].get("text/plain")
                    elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                        idle = True
        return time.perf_counter() - t0, result == EXPECTED

    def begin(self) -> None:
        pass

    def end(self) -> dict[str, Any]:
        return {}

    def read_command(self) -> str:
        return sys.stdin.readline()

    def shutdown(self, pid: int) -> bool:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        return not wait_gone([pid], 3.0)


class QtWorker:
    """What the two Qt clients share: the app, a stall meter, waiting on stdin with the
    event loop running, and one QEventLoop per execution quit by the finishing slot."""

    def __init__(self) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QEventLoop, QTimer
        from PySide6.QtWidgets import QApplication

        from _util import StallMeter

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.loop = QEventLoop()
        self.guard = QTimer()
        self.guard.setSingleShot(True)
        self.guard.setInterval(int(EXEC_TIMEOUT * 1000))
        self.guard.timeout.connect(self.loop.quit)
        self.meter = StallMeter(5)
        self.max_stall = 0.0
        self.ticks = 0
        self.t1: float | None = None

    def finished(self) -> None:
        """Called by the client's completion slot: stop the clock, leave the loop."""
        self.t1 = time.perf_counter()
        self.loop.quit()

    def run_until_finished(self, start: Callable[[], None], what: str) -> float:
        self.t1 = None
        t0 = time.perf_counter()
        start()
        self.guard.start()
        if self.t1 is None:
            self.loop.exec()
        self.guard.stop()
        if self.t1 is None:
            raise TimeoutError(f"{what} did not finish within {EXEC_TIMEOUT} s")
        return self.t1 - t0

    def begin(self) -> None:
        self.meter.start()

    def end(self) -> dict[str, Any]:
        self.meter.stop()
        return {"max_stall": self.meter.max_gap, "stall_ticks": self.meter.ticks}

    def read_command(self) -> str:
        """Keep the Qt loop running (as an idle console would) until a command line arrives."""
        import select

        from PySide6.QtCore import QEventLoop, QSocketNotifier

        fd = sys.stdin.fileno()
        if not select.select([fd], [], [], 0)[0]:
            loop = QEventLoop()
            notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read)
            notifier.activated.connect(loop.quit)
            loop.exec()
            notifier.setEnabled(False)
        return sys.stdin.readline()

    def spin(self, seconds: float) -> None:
        spin_qt(seconds)

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        wait_until_qt(predicate, timeout, what)


class ConchWorker(QtWorker):
    def setup(self) -> int:
        from conch import ConsoleWidget, start_kernel
        from conch.app.kernel.status import KernelStatus

        self.kernel = start_kernel("python3")
        self.console = ConsoleWidget(self.kernel)
        self.console.resize(800, 600)
        self.console.show()
        self.msg_id = ""
        self.console.execution_finished.connect(self._on_finished)
        self.wait_until(lambda: self.kernel.status.ready, READY_TIMEOUT, "Conch's kernel")
        assert self.kernel.process is not None and self.kernel.process.pid is not None
        return int(self.kernel.process.pid)

    def _on_finished(self, msg_id: str) -> None:
        if msg_id == self.msg_id:
            self.finished()

    def _start(self) -> None:
        self.msg_id = self.console.execute(CODE)

    def once(self) -> tuple[float, bool]:
        elapsed = self.run_until_finished(self._start, "Conch's execution_finished")
        outputs = self.console.outputs()
        last = outputs[-1] if outputs else None
        ok = last is not None and last.kind == "result" and last.text.strip() == EXPECTED
        return elapsed, ok

    def shutdown(self, pid: int) -> bool:
        self.kernel.shutdown()  # returns at once; the Qt loop must run while the process ends
        process = self.kernel.process
        assert process is not None
        try:
            self.wait_until(lambda: not process.is_alive(), 5.0, "Conch's kernel to exit")
        except TimeoutError:
            return False
        self.spin(0.2)  # let its reaper close the connection and remove the connection file
        return not wait_gone([pid], 1.0)


class QtconsoleWorker(QtWorker):
    def __init__(self) -> None:
        os.environ.setdefault("QT_API", "pyside6")
        super().__init__()

    def setup(self) -> int:
        from qtconsole.manager import QtKernelManager
        from qtconsole.rich_jupyter_widget import RichJupyterWidget

        self.km = QtKernelManager(kernel_name="python3")
        self.km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        # qtconsole may show its first prompt before its IOPub subscription is live (the output
        # of an execution sent then is lost): wait for the first IOPub message too.
        self.iopub_seen = False
        self.kc.iopub_channel.message_received.connect(self._on_iopub)
        self.widget = RichJupyterWidget()
        self.widget.kernel_manager = self.km
        self.widget.kernel_client = self.kc
        self.widget.resize(800, 600)
        self.widget.show()
        self.control = self.widget._control
        self.expect: str | None = None
        self.text_at_executed = 0
        self.widget.executed.connect(self._on_executed)
        self.control.document().contentsChanged.connect(self._on_changed)
        self.wait_until(
            lambda: "In [1]:" in self.control.toPlainText()
            and not self.widget._executing
            and self.iopub_seen,
            READY_TIMEOUT,
            "qtconsole's first prompt and IOPub",
        )
        return int(self.km.provisioner.process.pid)

    def _on_iopub(self, msg: dict[str, Any]) -> None:
        self.iopub_seen = True

    def _on_executed(self, msg: dict[str, Any]) -> None:
        if self.expect is not None or self.t1 is not None:
            return
        self.expect = f"Out[{msg['content'].get('execution_count')}]: {EXPECTED}"
        if self.expect in self.control.toPlainText():
            self.text_at_executed += 1
            self.finished()

    def _on_changed(self) -> None:
        # Only after `executed`: before it, no document text is searched (no cost added).
        if self.expect is not None and self.t1 is None and self.expect in self.control.toPlainText():
            self.finished()

    def _start(self) -> None:
        self.widget.execute(CODE)

    def once(self) -> tuple[float, bool]:
        self.expect = None
        elapsed = self.run_until_finished(self._start, "qtconsole's Out[] result")
        return elapsed, True  # finishing at all means "Out[n]: 2" was in the document

    def begin(self) -> None:
        self.text_at_executed = 0
        super().begin()

    def end(self) -> dict[str, Any]:
        return {**super().end(), "text_there_at_executed": self.text_at_executed}

    def shutdown(self, pid: int) -> bool:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        self.app.processEvents()
        return not wait_gone([pid], 3.0)


WORKERS: dict[str, Callable[[], Any]] = {
    "direct": DirectWorker,
    "conch": ConchWorker,
    "qtconsole": QtconsoleWorker,
}


def serve(client: str, warmup: int) -> int:
    """The worker's side of the protocol: one JSON line answers each command."""
    worker = WORKERS[client]()

    def answer(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    pid = worker.setup()
    for _ in range(warmup):
        worker.once()
    answer({"ready": True, "kernel_pid": pid})
    while True:
        command = worker.read_command().split()
        if not command or command[0] == "quit":
            answer({"kernel_gone": worker.shutdown(pid)})
            return 0
        count = int(command[1])
        worker.begin()
        samples, wrong = [], 0
        cpu0 = time.process_time()
        for _ in range(count):
            elapsed, ok = worker.once()
            samples.append(elapsed)
            wrong += not ok
        cpu = time.process_time() - cpu0
        answer({"samples": samples, "wrong_results": wrong, "cpu": cpu, **worker.end()})


# -- parent ----------------------------------------------------------------------------------
class WorkerProcess:
    def __init__(self, client: str, warmup: int, platform: str) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM=platform, QT_API="pyside6")
        env.pop("CONCH_DEBUG", None)
        self.client = client
        self._err = tempfile.TemporaryFile(mode="w+")  # a pipe could fill up and block it
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", client, "--warmup", str(warmup)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
            env=env,
        )
        self.stderr: list[str] = []
        first = self._read()
        self.kernel_pid: int = first["kernel_pid"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(timeout=30)
                raise RuntimeError(
                    f"{self.client} worker ended (exit {self.proc.returncode}):\n{self._stderr_text()}"
                )
            if line.startswith("{"):
                result: dict[str, Any] = json.loads(line)
                return result

    def command(self, text: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self._read()

    def quit(self) -> tuple[bool, list[int]]:
        """Shut the kernel down; returns (gone as the worker saw it, pids still alive after)."""
        gone = bool(self.command("quit").get("kernel_gone"))
        self.proc.wait(timeout=30)
        self.stderr = [line for line in self._stderr_text().splitlines() if line.strip()]
        leftover = wait_gone([self.kernel_pid], 3.0)
        kill_leftovers(leftover)
        return gone, leftover

    def _stderr_text(self) -> str:
        self._err.seek(0)
        return self._err.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        kill_leftovers(wait_gone([self.kernel_pid], 0.5) if hasattr(self, "kernel_pid") else [])


def split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=100, help="measured executions per client (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured executions first (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated subset of " + ",".join(CLIENTS))
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM for the Qt clients")
    parser.add_argument("--json", metavar="FILE", help="also write the raw samples here")
    parser.add_argument("--worker", choices=CLIENTS, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        return serve(args.worker, args.warmup)

    clients = []
    for client in (c.strip() for c in args.clients.split(",") if c.strip()):
        if client not in CLIENTS:
            parser.error(f"unknown client {client!r}")
        if client == "qtconsole":
            try:
                import qtconsole  # noqa: F401
            except ImportError:
                log("qtconsole is not installed: skipped (pip install -e '.[bench]')")
                continue
        clients.append(client)

    workers: dict[str, WorkerProcess] = {}
    results: dict[str, dict[str, Any]] = {
        c: {"samples": [], "wrong_results": 0, "round_medians": [], "cpu": 0.0} for c in clients
    }
    try:
        for client in clients:  # one kernel starts at a time
            log(f"starting {client} and warming up ({args.warmup} executions)…")
            workers[client] = WorkerProcess(client, args.warmup, args.platform)
        for r, count in enumerate(split(args.runs, max(1, args.rounds))):
            order = clients[r % len(clients):] + clients[: r % len(clients)]
            for client in order:
                got = workers[client].command(f"run {count}")
                res = results[client]
                res["samples"].extend(got["samples"])
                res["wrong_results"] += got["wrong_results"]
                res["cpu"] += got["cpu"]
                res["round_medians"].append(median(got["samples"]))
                if "max_stall" in got:
                    res["max_stall"] = max(res.get("max_stall", 0.0), got["max_stall"])
                    res["text_there_at_executed"] = (
                        res.get("text_there_at_executed", 0) + got.get("text_there_at_executed", 0)
                    )
            log(f"round {r + 1}: " + ", ".join(
                f"{c} {millis(results[c]['round_medians'][-1])}" for c in clients))
        for client, worker in workers.items():
            gone, leftover = worker.quit()
            results[client].update(kernel_pid=worker.kernel_pid, kernel_gone=gone,
                                   leftover_pids=leftover, stderr=worker.stderr)
    finally:
        for worker in workers.values():
            worker.kill()

    base = median(results["direct"]["samples"]) if "direct" in results else float("nan")
    base90 = p90(results["direct"]["samples"]) if "direct" in results else float("nan")
    rows = []
    for client, r in results.items():
        s = r["samples"]
        ratio = median(s) / base
        goal = ""
        if client == "conch":
            goal = f"≤ {GOAL_RATIO}×: " + ("met" if ratio <= GOAL_RATIO else "MISSED")
        stall = millis(r["max_stall"], 1) if "max_stall" in r else "—"
        rows.append((client, millis(median(s)), millis(p90(s)), f"{ratio:.2f}×",
                     f"{p90(s) / base90:.2f}×", millis(r["cpu"] / len(s)), stall, goal))
    print(f"\nRound trip of `{CODE}`: {args.runs} executions per client after {args.warmup} warm-up, "
          f"in {args.rounds} interleaved rounds ({environment()}, QT_QPA_PLATFORM={args.platform})\n")
    print(table(("client", "median", "p90", "median / direct", "p90 / direct",
                 "client CPU / exec", "max UI stall", "goal"), rows))
    print("\nclient CPU / exec: CPU time of the client's process (all its threads) over the "
          "measured executions, divided by their number; the kernel's CPU is not included.")
    print("\nPer-round medians: " + "; ".join(
        f"{c} " + " ".join(f"{m * 1000:.2f}" for m in r["round_medians"]) + " ms"
        for c, r in results.items()))
    if "qtconsole" in results:
        q = results["qtconsole"]
        print(f"qtconsole: the Out[] text was already in the document when `executed` fired "
              f"in {q.get('text_there_at_executed', 0)}/{len(q['samples'])} executions.")
    for client, r in results.items():
        if r.get("wrong_results"):
            print(f"NOTE: {client}: {r['wrong_results']} executions did not show the result {EXPECTED}")
        if not r.get("kernel_gone") or r.get("leftover_pids"):
            print(f"NOTE: {client}: kernel pid {r['kernel_pid']} was not gone after shutdown "
                  f"(still alive after the worker exited: {r.get('leftover_pids')})")
        noise = [line for line in r.get("stderr", []) if "propagateSizeHints" not in line]
        if noise:
            print(f"NOTE: {client} wrote to stderr:\n    " + "\n    ".join(noise[:12]))
    pids = ", ".join(f"{c} {r['kernel_pid']}" for c, r in results.items())
    gone = all(r.get("kernel_gone") and not r.get("leftover_pids") for r in results.values())
    print(f"Kernels shut down and checked gone by PID ({pids}): {'all gone' if gone else 'NOT ALL'}.")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": environment(), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
