"""Flood benchmark: large and awkward outputs, Conch beside qtconsole and the kernel alone.

Every workload runs once per client, each client in its own subprocess on its own fresh
python3 kernel (so the RSS figures are per application), one subprocess at a time. The code is
executed once the kernel is idle.

kernel alone ("direct")
    jupyter_client's ``BlockingKernelClient``, no GUI: from ``execute()`` until the
    ``execute_reply`` and the IOPub ``status: idle`` of the request have both arrived, draining
    (and deserialising) every IOPub message on the way. This is the kernel's own emit time.
conch
    Conch's embedding API: from ``console.execute(code)`` to its ``execution_finished`` signal
    (reply and idle arrived, output laid out in the view).
qtconsole
    ``RichJupyterWidget`` on a ``QtKernelManager``: from ``widget.execute(code)`` until its
    ``executed`` signal has fired *and* the workload's last output line is a block of the
    document (or, for the plots, the 20 images are in it). Run with its default
    ``buffer_size`` (500 lines) and, where the workload keeps everything, ``buffer_size=0``
    (unlimited), the way Conch keeps it.

The kernel alone and Conch run ``--repeat`` times (default 3; plots_20 at least 5), alternating,
each time in a new subprocess on a new kernel; the table shows medians (stall: the worst run).
qtconsole runs once per configuration.

For both Qt clients: "to painted" adds a synchronous ``viewport().repaint()`` right after the
finish (the repaint the view would do on its next event-loop turn); "idle → finished" is the
time from the arrival of the kernel's ``status: idle`` in the client's process to the finish
(the client's own tail); "max UI stall" is the longest gap between ticks of a 5 ms precise
``QTimer`` from the execute call to the end of that repaint, with the CPU time the UI thread
used during that gap (much less CPU than wall time = the thread was waiting, e.g. for a core);
"RSS after" is ``VmRSS`` from ``/proc/self/status`` of the client's process right after it
(``VmHWM``, the peak, is in the JSON), with its growth since the kernel was ready.

Workloads (``--only`` takes a comma-separated subset)::

    print_100k     100 000 lines of 70 characters
    long_line      one line of 5 000 000 characters (+ 50 scroll steps through it afterwards)
    progress_2000  2 000 carriage-return progress updates, flushed one by one, then print()
    ansi_20k       20 000 lines with 16-colour, 256-colour and truecolor SGR sequences
    million_lines  1 000 000 lines of 70 characters
    plots_20       %matplotlib inline, then 20 figures shown in one cell

qtconsole takes minutes on some of these: its measurement is capped (``--cap``, default 60 s);
past the cap its subprocess is killed (and its kernel by PID) and the figure reads "> cap".
Every kernel is shut down (or killed after a cap) and checked gone by PID.

Usage::

    python benchmarks/bench_floods.py [--only NAME,...] [--skip-qtconsole] [--cap 60]
                                      [--repeat 3] [--json FILE] [--profile DIR]
                                      [--trace-stalls]

``--profile DIR`` runs Conch's first run of each workload under cProfile (DIR/conch_NAME.prof);
``--trace-stalls`` samples the Python stack of Conch's UI thread during every gap over 30 ms and
times garbage-collector pauses (both inflate the figures a little; use them for diagnosis).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from _util import (
    spin_qt,
    wait_until_qt,
    children_of,
    environment,
    kill_leftovers,
    log,
    median,
    mib,
    millis,
    pid_alive,
    proc_status_bytes,
    seconds,
    table,
    wait_gone,
)

READY_TIMEOUT = 60.0
CONCH_CAP = 300.0  # a safety net only: Conch is expected far below it
DIRECT_CAP = 300.0
MiB = 2**20


# -- workloads -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    name: str
    code: str
    what: str
    last_line: str = ""  # the last line of stdout once everything is shown
    lines: int = 0  # stdout lines expected in Conch's stream output
    images: int = 0  # PNG displays expected instead of text
    qtconsole: tuple[tuple[str, int], ...] = (("qtconsole (buffer 500)", 500),)
    scroll: bool = False
    goals: dict[str, float] = field(default_factory=dict)
    min_repeat: int = 1  # at least this many runs of the kernel alone and of Conch


def _progress_final_line() -> str:
    """What a terminal shows after the progress loop: ``\\r`` returns to column 0 without
    erasing, so the final write overwrites the start of the longest earlier one."""
    line = ""
    for i in range(2000):
        text = f"{i:5d} " + "#" * (i % 60)
        line = text + line[len(text):]
    return line


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "print_100k",
            'for i in range(100000): print(f"{i:06d} " + "x"*63)',
            "100 000 lines of 70 characters, all kept",
            last_line="099999 " + "x" * 63,
            lines=100_000,
            qtconsole=(("qtconsole (buffer 500)", 500), ("qtconsole (all kept)", 0)),
            goals={"ratio": 1.15, "stall": 0.050},
        ),
        Workload(
            "long_line",
            "print('y' * 5_000_000)",
            "one line of 5 000 000 characters",
            last_line="y" * 5_000_000,
            lines=1,
            scroll=True,
            goals={"painted": 2.0, "stall": 0.100},
        ),
        Workload(
            "progress_2000",
            'import sys\nfor i in range(2000): sys.stdout.write(f"\\r{i:5d} " + "#"*(i%60)); '
            "sys.stdout.flush()\nprint()",
            "2 000 flushed carriage-return progress updates, then print()",
            last_line=_progress_final_line(),
            lines=1,
            goals={"stall": 0.050},
        ),
        Workload(
            "ansi_20k",
            'for i in range(20000): print(f"\\x1b[3{i%8}m{i}\\x1b[0m \\x1b[38;5;{i%256}mcube\\x1b[0m '
            '\\x1b[38;2;{i%256};100;{255-i%256}mtrue\\x1b[0m")',
            "20 000 lines with 16-colour, 256-colour and truecolor SGR",
            last_line="19999 cube true",
            lines=20_000,
            qtconsole=(("qtconsole (buffer 500)", 500), ("qtconsole (all kept)", 0)),
        ),
        Workload(
            "million_lines",
            'for i in range(1_000_000): print(f"{i:07d} " + "z"*62)',
            "1 000 000 lines of 70 characters",
            last_line="0999999 " + "z" * 62,
            lines=1_000_000,
            goals={"rss": 350 * MiB},
        ),
        Workload(
            "plots_20",
            "%matplotlib inline\nimport matplotlib.pyplot as plt\nfor _ in range(20):\n"
            "    plt.figure(); plt.plot(range(10)); plt.show()",
            "20 inline matplotlib PNGs in one cell",
            images=20,
            goals={"ratio": 1.10},
            # A fresh kernel's matplotlib import and rendering vary by ±15 % from run to run:
            # more runs, so that the ratio of medians is not mostly that noise.
            min_repeat=5,
        ),
    )
}


# -- workers: one per subprocess, one workload each ------------------------------------------
def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


class DirectWorker:
    """The kernel alone: a BlockingKernelClient polled on its shell and IOPub sockets."""

    def setup(self) -> int:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=READY_TIMEOUT)
        self._drain(0.3)
        return int(self.km.provisioner.process.pid)

    def _drain(self, quiet: float) -> None:
        """Swallow start-up IOPub traffic (status messages) until it has been quiet a while."""
        while True:
            try:
                self.kc.iopub_channel.get_msg(timeout=quiet)
            except queue.Empty:
                return

    def measure(self, w: Workload, cap: float) -> dict[str, Any]:
        import zmq

        poller = zmq.Poller()
        shell, iopub = self.kc.shell_channel, self.kc.iopub_channel
        poller.register(shell.socket, zmq.POLLIN)
        poller.register(iopub.socket, zmq.POLLIN)
        rss0 = proc_status_bytes()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        msg_id = self.kc.execute(w.code)
        emit({"started": True})
        replied = idle = False
        messages = stream_chars = images = 0
        tail = ""
        while not (replied and idle):
            ready = dict(poller.poll(int(cap * 1000)))
            if not ready:
                return {"timed_out": True}
            if shell.socket in ready:
                msg = shell.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
                    replied = True
            if iopub.socket in ready:
                msg = iopub.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                messages += 1
                kind = msg["msg_type"]
                if kind == "stream":
                    text = msg["content"]["text"]
                    stream_chars += len(text)
                    tail = (tail + text)[-200:]
                elif kind == "display_data" and "image/png" in msg["content"]["data"]:
                    images += 1
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
        elapsed = time.perf_counter() - t0
        last = tail.rstrip("\n").rsplit("\n", 1)[-1].rsplit("\r", 1)[-1] if tail else ""
        last = re.sub("\x1b\\[[0-9;]*m", "", last)
        # (after a \r the final write may be shorter than the line it overwrites)
        ok = (images == w.images if w.images
              else last.endswith(w.last_line[-150:]) or w.last_line.startswith(last[:150]))
        return {
            "finished": elapsed,
            "cpu": time.process_time() - cpu0,
            "rss_before": rss0,
            "rss_after": proc_status_bytes(),
            "iopub_messages": messages,
            "stream_chars": stream_chars,
            "images": images,
            "ok": ok,
            "check": f"{messages} IOPub msgs, {stream_chars} chars" + (f", {images} PNGs" if w.images else ""),
        }

    def shutdown(self, pid: int) -> bool:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        return not wait_gone([pid], 3.0)


class QtWorker:
    """What both Qt clients share: the app, the stall meter, a QEventLoop per execution that
    the client's finishing slot quits, and the measurement around it."""

    def __init__(self) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        from _util import StallMeter

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.meter = StallMeter(5)
        self.t1: float | None = None
        self.t_idle: float | None = None  # when the kernel's last "idle" status arrived
        self.loop: Any = None

    # client-specific
    def start(self, code: str) -> None:
        raise NotImplementedError

    def viewport(self) -> Any:
        raise NotImplementedError

    def scrollbar(self) -> Any:
        raise NotImplementedError

    def check(self, w: Workload) -> tuple[bool, str]:
        raise NotImplementedError

    # shared
    def finished(self) -> None:
        if self.t1 is None:
            self.t1 = time.perf_counter()
            if self.loop is not None:
                self.loop.quit()

    def measure(self, w: Workload, cap: float, profiler: Any = None,
                trace_stalls: bool = False) -> dict[str, Any]:
        from PySide6.QtCore import QEventLoop, QTimer

        from _util import StallSampler

        sampler = StallSampler(self.meter) if trace_stalls else None
        self.loop = QEventLoop()
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(self.loop.quit)
        self.t1 = None
        self.t_idle = None
        rss0 = proc_status_bytes()
        cpu0 = time.process_time()
        if profiler is not None:
            profiler.enable()
        self.meter.start()
        if sampler is not None:
            sampler.start()
        t0 = time.perf_counter()
        self.start(w.code)
        emit({"started": True})
        guard.start(int(cap * 1000))
        if self.t1 is None:
            self.loop.exec()
        guard.stop()
        if self.t1 is None:
            self.meter.stop()
            if sampler is not None:
                sampler.stop()
            if profiler is not None:
                profiler.disable()
            return {"timed_out": True}
        r0 = time.perf_counter()
        self.viewport().repaint()
        painted = time.perf_counter()
        self.meter.stop()
        if sampler is not None:
            sampler.stop()
        if profiler is not None:
            profiler.disable()
        result: dict[str, Any] = {
            "finished": self.t1 - t0,
            "idle_to_finished": self.t1 - self.t_idle if self.t_idle is not None else math.nan,
            "painted": painted - t0,
            "repaint": painted - r0,
            "max_stall": self.meter.max_gap,
            "max_stall_cpu": self.meter.max_gap_cpu,
            "stalls_over_50ms": sum(g > 0.050 for g in self.meter.gaps),
            "cpu": time.process_time() - cpu0,
            "rss_before": rss0,
            "rss_after": proc_status_bytes(),
            "rss_peak": proc_status_bytes("VmHWM"),
        }
        if sampler is not None:
            result["stall_trace"] = sampler.summary()
            result["gc_pauses"] = sorted(sampler.gc_pauses, key=lambda g: -g[1])[:5]
        ok, note = self.check(w)
        result.update(ok=ok, check=note)
        if w.scroll:
            result.update(self.scroll_test())
        return result

    def scroll_test(self, steps: int = 50) -> dict[str, Any]:
        """Top of the document, then ``steps`` even jumps to the bottom via the scroll bar,
        each followed by a synchronous repaint; the time of each step."""
        bar, viewport = self.scrollbar(), self.viewport()
        bar.setValue(0)
        viewport.repaint()
        self.app.processEvents()
        top = bar.maximum()
        times = []
        for k in range(1, steps + 1):
            t0 = time.perf_counter()
            bar.setValue(round(top * k / steps))
            viewport.repaint()
            times.append(time.perf_counter() - t0)
        self.app.processEvents()
        return {"scroll_max": max(times), "scroll_median": sorted(times)[len(times) // 2],
                "scroll_range": top}

    def spin(self, secs: float) -> None:
        spin_qt(secs)

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        wait_until_qt(predicate, timeout, what)


class ConchWorker(QtWorker):
    def setup(self) -> int:
        from conch import ConsoleWidget, start_kernel

        self.kernel = start_kernel("python3")
        self.console = ConsoleWidget(self.kernel)
        self.console.resize(800, 600)
        self.console.show()
        self.msg_id = ""
        self.console.execution_finished.connect(self._on_finished)
        self.kernel.status_changed.connect(self._on_status)
        self.wait_until(lambda: self.kernel.status == "idle", READY_TIMEOUT, "Conch's kernel")
        self.spin(0.3)
        self.wait_until(lambda: self.kernel.status == "idle", READY_TIMEOUT, "Conch's kernel idle")
        assert self.kernel.process is not None and self.kernel.process.pid is not None
        return int(self.kernel.process.pid)

    def _on_finished(self, msg_id: str) -> None:
        if msg_id == self.msg_id:
            self.finished()

    def _on_status(self, status: str) -> None:
        if status == "idle" and self.t1 is None:
            self.t_idle = time.perf_counter()

    def start(self, code: str) -> None:
        self.msg_id = self.console.execute(code)

    def viewport(self) -> Any:
        return self.console.view.viewport()

    def scrollbar(self) -> Any:
        return self.console.view.verticalScrollBar()

    def check(self, w: Workload) -> tuple[bool, str]:
        outputs = self.console.outputs()
        if w.images:
            pngs = [o for o in outputs if o.mime_type == "image/png"]
            return len(pngs) == w.images, f"{len(pngs)} PNG outputs of {len(outputs)}"
        streams = [o for o in outputs if o.kind == "stdout"]
        if not streams:
            return False, f"no stdout output ({[o.kind for o in outputs]})"
        content = streams[-1].content
        n = content.line_count()
        last = content.line_text(n - 1) if n else ""
        ok = len(streams) == 1 and n == w.lines and last == w.last_line
        shown = last if len(last) <= 40 else f"{last[:20]}…({len(last)} chars)"
        note = f"{n} line{'s' if n != 1 else ''}, last {shown!r}"
        if w.name == "ansi_20k" and n:
            styles = {style for _, style in content.line_spans(n - 1)}
            note += f", {len(styles)} styles on it"
            ok = ok and len(styles) >= 4
        if len(streams) != 1:
            note += f" ({len(streams)} stdout outputs)"
        return ok, note

    def shutdown(self, pid: int) -> bool:
        self.kernel.shutdown()
        process = self.kernel.process
        assert process is not None
        try:
            self.wait_until(lambda: not process.is_alive(), 5.0, "Conch's kernel to exit")
        except TimeoutError:
            return False
        self.spin(0.2)
        return not wait_gone([pid], 1.0)


class QtconsoleWorker(QtWorker):
    def __init__(self, buffer_size: int) -> None:
        os.environ.setdefault("QT_API", "pyside6")
        super().__init__()
        self.buffer_size = buffer_size

    def setup(self) -> int:
        from qtconsole.manager import QtKernelManager
        from qtconsole.rich_jupyter_widget import RichJupyterWidget

        self.km = QtKernelManager(kernel_name="python3")
        self.km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.iopub_seen = False
        self.kc.iopub_channel.message_received.connect(self._on_iopub)
        self.widget = RichJupyterWidget(buffer_size=self.buffer_size)
        self.widget.kernel_manager = self.km
        self.widget.kernel_client = self.kc
        self.widget.resize(800, 600)
        self.widget.show()
        self.control = self.widget._control
        self.doc = self.control.document()
        self.workload: Workload | None = None
        self.executed = False
        self.widget.executed.connect(self._on_executed)
        self.doc.contentsChanged.connect(self._on_changed)
        self.wait_until(
            lambda: "In [1]:" in self.control.toPlainText()
            and not self.widget._executing
            and self.iopub_seen,
            READY_TIMEOUT,
            "qtconsole's first prompt and IOPub",
        )
        self.spin(0.3)
        return int(self.km.provisioner.process.pid)

    def _on_iopub(self, msg: dict[str, Any]) -> None:
        self.iopub_seen = True
        if (msg.get("msg_type") == "status" and msg["content"].get("execution_state") == "idle"
                and self.t1 is None):
            self.t_idle = time.perf_counter()

    def _shown(self) -> bool:
        w = self.workload
        assert w is not None
        if w.images:
            return self.control.toPlainText().count("\ufffc") >= w.images
        block = self.doc.lastBlock()
        for _ in range(8):  # the last line sits just above the next prompt
            if not block.isValid():
                break
            if block.length() - 1 == len(w.last_line) and block.text() == w.last_line:
                return True
            block = block.previous()
        return False

    def _on_executed(self, msg: dict[str, Any]) -> None:
        self.executed = True
        if self._shown():
            self.finished()

    def _on_changed(self) -> None:
        # Only after `executed`: before it nothing is searched, so no cost is added.
        if self.executed and self.t1 is None and self._shown():
            self.finished()

    def start(self, code: str) -> None:
        self.executed = False
        self.widget.execute(code)

    def measure(self, w: Workload, cap: float, profiler: Any = None,
                trace_stalls: bool = False) -> dict[str, Any]:
        self.workload = w
        return super().measure(w, cap, profiler, trace_stalls)

    def viewport(self) -> Any:
        return self.control.viewport()

    def scrollbar(self) -> Any:
        return self.control.verticalScrollBar()

    def check(self, w: Workload) -> tuple[bool, str]:
        blocks = self.doc.blockCount()
        return self._shown(), f"{blocks} blocks in the document (buffer_size={self.buffer_size})"

    def shutdown(self, pid: int) -> bool:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        self.app.processEvents()
        return not wait_gone([pid], 3.0)


def serve(args: argparse.Namespace) -> int:
    w = WORKLOADS[args.workload]
    if args.worker == "direct":
        worker: Any = DirectWorker()
    elif args.worker == "conch":
        worker = ConchWorker()
    else:
        worker = QtconsoleWorker(args.buffer)
    pid = worker.setup()
    emit({"kernel_pid": pid, "rss_ready": proc_status_bytes()})
    profiler = None
    if args.profile_to:
        import cProfile

        profiler = cProfile.Profile()
    if isinstance(worker, QtWorker):
        result = worker.measure(w, args.cap, profiler, args.trace_stalls)
    else:
        result = worker.measure(w, args.cap)
    if profiler is not None:
        profiler.dump_stats(args.profile_to)
    emit({"result": result})
    emit({"kernel_gone": worker.shutdown(pid)})
    return 0


# -- parent ----------------------------------------------------------------------------------
class WorkerProcess:
    """One worker subprocess; its stdout JSON lines are read by a thread so that the parent
    can give up on it at a deadline."""

    def __init__(self, client: str, workload: str, cap: float, buffer: int = 500,
                 profile_to: str | None = None, trace_stalls: bool = False) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_API="pyside6")
        env.pop("CONCH_DEBUG", None)
        self._err = tempfile.TemporaryFile(mode="w+")
        argv = [sys.executable, os.path.abspath(__file__), "--worker", client,
                "--workload", workload, "--cap", str(cap), "--buffer", str(buffer)]
        if profile_to:
            argv += ["--profile-to", profile_to]
        if trace_stalls:
            argv.append("--trace-stalls")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True, env=env)
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.kernel_pid = 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))
        self.lines.put(None)

    def expect(self, key: str, timeout: float) -> dict[str, Any]:
        try:
            got = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(key) from None
        if got is None:
            raise RuntimeError(f"worker ended (exit {self.proc.wait()}):\n{self.stderr()[-3000:]}")
        if key not in got:
            raise RuntimeError(f"expected {key!r}, got {got}")
        return got

    def stderr(self) -> str:
        self._err.seek(0)
        return self._err.read()

    def kill(self) -> None:
        """Kill the worker and its kernel (found among its children if not yet reported)."""
        kernels = [self.kernel_pid] if self.kernel_pid else children_of(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        kill_leftovers(kernels)


def run_one(client: str, w: Workload, cap: float, buffer: int = 500,
            profile_to: str | None = None, trace_stalls: bool = False) -> dict[str, Any]:
    """Start a worker, take its one measurement (killing it past ``cap``), check its kernel."""
    worker = WorkerProcess(client, w.name, cap, buffer, profile_to, trace_stalls)
    out: dict[str, Any] = {}
    try:
        ready = worker.expect("kernel_pid", READY_TIMEOUT)
        worker.kernel_pid = ready["kernel_pid"]
        out["rss_ready"] = ready["rss_ready"]
        worker.expect("started", 30.0)
        try:
            out.update(worker.expect("result", cap + 10.0)["result"])
        except TimeoutError:
            out["timed_out"] = True
            out["killed"] = True
            worker.kill()
        if not out.get("killed"):
            out["kernel_gone"] = worker.expect("kernel_gone", 30.0)["kernel_gone"]
            worker.proc.wait(timeout=30)
    except Exception as error:  # noqa: BLE001 - reported, the run goes on
        out["error"] = str(error)
        worker.kill()
    leftover = wait_gone([worker.kernel_pid], 3.0) if worker.kernel_pid else []
    kill_leftovers(leftover)
    out["kernel_pid"] = worker.kernel_pid
    out["kernel_gone_after"] = bool(worker.kernel_pid) and not pid_alive(worker.kernel_pid)
    out["leftover_pids"] = leftover
    out["stderr"] = [line for line in worker.stderr().splitlines()
                     if line.strip() and "propagateSizeHints" not in line][:12]
    if out.get("finished", 0) > cap and client == "qtconsole":
        out["timed_out"] = True
    return out


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from repeated runs of a client: medians of times, RSS and CPU, the worst stall
    and scroll step; the raw runs are kept under "runs"."""
    good = [r for r in runs if "finished" in r and not r.get("timed_out")]
    if not good:
        return {**runs[0], "runs": runs}
    out: dict[str, Any] = dict(good[-1])
    for key in ("finished", "painted", "repaint", "idle_to_finished", "cpu", "rss_ready",
                "rss_after", "rss_peak", "scroll_median"):
        if all(key in r for r in good):
            out[key] = median([r[key] for r in good])
    for key in ("max_stall", "stalls_over_50ms", "scroll_max"):
        if all(key in r for r in good):
            out[key] = max(r[key] for r in good)
    if all("max_stall" in r for r in good):
        worst = max(good, key=lambda r: r["max_stall"])
        out["max_stall_cpu"] = worst.get("max_stall_cpu", math.nan)
    out["ok"] = all(r.get("ok") for r in good)
    out["kernel_gone_after"] = all(r.get("kernel_gone_after") for r in runs)
    out["leftover_pids"] = [p for r in runs for p in r.get("leftover_pids", [])]
    out["stderr"] = sorted({line for r in runs for line in r.get("stderr", [])})[:12]
    out["kernel_pid"] = ", ".join(str(r.get("kernel_pid")) for r in runs)
    out["failed_runs"] = len(runs) - len(good)
    out["runs"] = runs
    return out


def verdict(value: float, limit: float, fmt: Callable[[float], str]) -> str:
    if math.isnan(value):
        return f"≤ {fmt(limit)}: n/a"
    if value <= limit:
        return f"≤ {fmt(limit)}: met"
    return f"≤ {fmt(limit)}: **MISSED** by {fmt(value - limit)}"


def report(w: Workload, rows: list[tuple[str, dict[str, Any]]], cap: float) -> str:
    kernel = next((r for label, r in rows if label == "kernel alone"), {})
    base = kernel.get("finished", math.nan)
    lines = []
    for label, r in rows:
        if "error" in r:
            lines.append((label, "error", "", "", "", "", "", "", r["error"].splitlines()[0][:60]))
            continue
        if r.get("timed_out"):
            lines.append((label, f"> {cap:.0f} s (killed)", "", "", "", "n/a", "n/a", "",
                          "cap exceeded"))
            continue
        fin = r["finished"]
        painted = seconds(r["painted"]) if "painted" in r else "—"
        stall = "—"
        if "max_stall" in r:
            stall = millis(r["max_stall"], 1)
            if "max_stall_cpu" in r:
                stall += f" (CPU {millis(r['max_stall_cpu'], 0)})"
        rss = (f"{mib(r['rss_after'])} (+{mib(r['rss_after'] - r['rss_ready'])})"
               if r.get("rss_after") and label != "kernel alone" else "—")
        check = ("ok" if r.get("ok") else "WRONG") + f": {r.get('check', '')}"
        tail = millis(r["idle_to_finished"], 1) if "idle_to_finished" in r else "—"
        lines.append((label, seconds(fin), painted, f"{fin / base:.2f}×" if base == base else "n/a",
                      tail, stall, rss, seconds(r.get("cpu", math.nan)), check))
    out = [f"### {w.name}: {w.what}\n"]
    repeated = [(label, r) for label, r in rows if len(r.get("runs", [])) > 1]
    if repeated:
        out.append(f"Kernel alone and Conch: {len(repeated[0][1]['runs'])} runs each on a fresh kernel "
                   "(times, RSS, CPU: median; max UI stall and scroll step: worst run, with the CPU time "
                   "the UI thread used during that stall). "
                   "Per run: " + "; ".join(
                       f"{label} " + ", ".join(f"{x['finished']:.3f}" if "finished" in x else "failed"
                                               for x in r["runs"]) + " s"
                       for label, r in repeated) + ".\n")
    out += [
           table(("client", "to finished", "to painted", "× kernel", "idle → finished", "max UI stall",
                  "RSS after (Δ from ready)", "client CPU", "check"), lines)]
    conch = next((r for label, r in rows if label == "conch"), None)
    if conch and "finished" in conch:
        goals = []
        g = w.goals
        if "ratio" in g:
            goals.append("time " + verdict(conch["finished"] / base, g["ratio"], lambda v: f"{v:.2f}×"))
        if "painted" in g:
            goals.append("on screen " + verdict(conch["painted"], g["painted"], seconds))
        if "stall" in g:
            goals.append("max stall " + verdict(conch["max_stall"], g["stall"], lambda v: millis(v, 1)))
        if "rss" in g:
            goals.append("RSS " + verdict(conch["rss_after"], g["rss"], mib))
        if w.lines or w.images:
            goals.append("output " + ("correct" if conch.get("ok") else "**WRONG**"))
        out.append("\nConch goals: " + "; ".join(goals) + ".")
    for label, r in rows:
        for i, run in enumerate(r.get("runs", [r])):
            for stall in run.get("stall_trace", []):
                out.append(f"\n{label} run {i + 1}: stall of {millis(stall['length'], 1)} "
                           f"({stall['samples']} stack samples); most frequent stacks, innermost last:")
                for st in stall["stacks"][:2]:
                    out.append(f"    {st['count']}× " + " > ".join(st["stack"]))
            if run.get("gc_pauses"):
                out.append(f"\n{label} run {i + 1}: GC pauses > 2 ms: " + ", ".join(
                    f"gen{g} {millis(t, 1)}" for g, t in run["gc_pauses"]))
        if "scroll_max" in r:
            out.append(f"\n{label}: 50 scroll-bar steps over the whole output afterwards: max "
                       f"{millis(r['scroll_max'], 1)} per step (median {millis(r['scroll_median'], 1)}; scroll "
                       f"range {r['scroll_range']} px, each step a synchronous repaint).")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated workloads: " + ",".join(WORKLOADS))
    parser.add_argument("--skip-qtconsole", action="store_true", help="Conch and the kernel alone only")
    parser.add_argument("--cap", type=float, default=60.0,
                        help="seconds allowed to a qtconsole measurement before it is killed (default 60)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the kernel alone and of Conch per workload, each on a fresh "
                             "kernel (default 3; qtconsole runs once)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures here")
    parser.add_argument("--profile", metavar="DIR",
                        help="run Conch's measurement under cProfile, writing DIR/conch_<workload>.prof "
                             "(the timings of such a run are inflated)")
    parser.add_argument("--trace-stalls", action="store_true",
                        help="sample the Python stack of Conch's main thread during every stall "
                             "over 30 ms (and time GC pauses); printed after the tables")
    parser.add_argument("--worker", choices=("direct", "conch", "qtconsole"), help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--buffer", type=int, default=500, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        return serve(args)

    names = [n.strip() for n in (args.only or ",".join(WORKLOADS)).split(",") if n.strip()]
    for name in names:
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name!r} (known: {', '.join(WORKLOADS)})")
    with_qtconsole = not args.skip_qtconsole
    if with_qtconsole:
        try:
            import qtconsole  # noqa: F401
        except ImportError:
            log("qtconsole is not installed: skipped (pip install -e '.[bench]')")
            with_qtconsole = False
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)

    started = time.monotonic()
    results: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    reports = []
    for name in names:
        w = WORKLOADS[name]
        rows: list[tuple[str, dict[str, Any]]] = []
        direct_runs, conch_runs = [], []
        repeat = max(args.repeat, w.min_repeat)
        for rep in range(repeat):  # alternating, so that outside load falls on both
            log(f"{name}: kernel alone ({rep + 1}/{repeat})…")
            direct_runs.append(run_one("direct", w, DIRECT_CAP))
            log(f"{name}: conch ({rep + 1}/{repeat})…")
            prof = os.path.join(args.profile, f"conch_{name}.prof") if args.profile and rep == 0 else None
            conch_runs.append(run_one("conch", w, CONCH_CAP, profile_to=prof,
                                      trace_stalls=args.trace_stalls))
        rows.append(("kernel alone", combine(direct_runs)))
        rows.append(("conch", combine(conch_runs)))
        if with_qtconsole:
            for label, buffer in w.qtconsole:
                log(f"{name}: {label}…")
                rows.append((label, run_one("qtconsole", w, args.cap, buffer)))
        for label, r in rows:
            log(f"  {label}: " + (f"{r['finished']:.3f} s" if "finished" in r else
                                  "killed at the cap" if r.get("timed_out") else r.get("error", "?")))
        results[name] = rows
        reports.append(report(w, rows, args.cap))

    print(f"\nFloods ({environment()}, QT_QPA_PLATFORM=offscreen), "
          f"whole run {time.monotonic() - started:.0f} s\n")
    print("\n\n".join(reports))
    every = [(name, label, run) for name, rows in results.items() for label, r in rows
             for run in r.get("runs", [r])]
    print()
    if args.profile:
        print(f"NOTE: Conch's first run of each workload ran under cProfile ({args.profile}): "
              "its figures are inflated.")
    for name, label, r in every:
        if r.get("stderr"):
            print(f"NOTE: {name} / {label} wrote to stderr:\n    " + "\n    ".join(r["stderr"]))
    bad = [(name, label, r) for name, label, r in every
           if not r.get("kernel_gone_after") or r.get("leftover_pids")]
    for name, label, r in bad:
        print(f"NOTE: {name} / {label}: kernel pid {r.get('kernel_pid')} was not gone "
              f"(killed afterwards: {r.get('leftover_pids')})")
    killed = sum(bool(r.get("killed")) for _, _, r in every)
    print(f"Kernels: {len(every)} started, {len(every) - len(bad)} checked gone by PID"
          + (f" ({killed} killed with their client at the cap)" if killed else "")
          + ("." if not bad else "; SEE NOTES."))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": environment(), "cap": args.cap,
                       "results": {n: [{"client": l, **r} for l, r in rows] for n, rows in results.items()}},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
