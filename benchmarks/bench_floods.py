"""Flood benchmark: large and awkward outputs, Conch beside qtconsole and the kernel alone.

Every workload runs once per client, each client in its own subprocess on its own fresh
python3 kernel (so the RSS figures are per application), one subprocess at a time. The code is
executed once the kernel is idle and the workload's setup cells (if any) have run; the
workloads, their checks and goals are in ``flood_workloads.py``.

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
(``VmHWM``, the peak, is in the JSON), with its growth since the kernel was ready (and the
setup cells had run). Some workloads keep the stall meter running a while after the finish
(``linger``), or time post-finish phases (scrolling, forced repaints and a relayout).

Workloads (``--only`` takes a comma-separated subset)::

    print_100k        100 000 lines of 70 characters
    long_line         one line of 5 000 000 characters (+ 50 scroll steps through it afterwards)
    progress_2000     2 000 carriage-return progress updates, flushed one by one, then print()
    ansi_20k          20 000 lines with 16-colour, 256-colour and truecolor SGR sequences
    million_lines     1 000 000 lines of 70 characters
    plots_20          %matplotlib inline, then 20 figures shown in one cell
    trim_100k_cap     300 000 lines into a scrollback capped at 100 000 lines
    trim_1m           1 100 000 lines into the default 1 000 000-line scrollback (+ intake MB/s)
    big_writes        5 stream messages of 3.6 MB (9 000-character writes, 18 000-character lines)
    ansi_one_message  the 20 000 lines of ansi_20k as one string, one message
    tabs_1m           1 000 000 tabs and "end" in one message (a line 8 000 003 columns wide)
    cr_storm          200 000 "\r" and 600 000 "\b" between short writes, one message
    html_png          a 1600 x 1200 PNG in HTML as a data: URL (+ 3 repaints and a relayout)
    big_png           one 8000 x 7900 PNG
    big_png_12        twelve of them in one cell
    kernel_info_3000  an unsolicited kernel_info_request with 3 000 cells in the transcript

qtconsole takes minutes on some of these: its measurement is capped (``--cap``, default 60 s);
past the cap its subprocess is killed (and its kernel by PID) and the figure reads "> cap".
Conch and the kernel alone have a cap too (``--conch-cap``, default 300 s). Every kernel is
shut down (or killed after a cap) and checked gone by PID.

Usage::

    python benchmarks/bench_floods.py [--only NAME,...] [--skip-qtconsole] [--cap 60]
                                      [--conch-cap 300] [--repeat 3] [--json FILE]
                                      [--profile DIR] [--trace-stalls]

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
from typing import Any, Callable

from conch.app.kernel.status import KernelStatus

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
from flood_workloads import WORKLOADS, Workload, check_conch

READY_TIMEOUT = 60.0
CONCH_CAP = 300.0  # a safety net only (--conch-cap): Conch is expected far below it
PREPARE_TIMEOUT = 900.0  # setup cells (3 000 of them for kernel_info_3000) before a measurement
SETUP_WINDOW = 100  # setup cells in flight at once
SETTLE_TIMEOUT = 120.0  # image decodes after the finish ("to pixels"; checked every 10 ms)
MiB = 2**20


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

    def prepare(self, w: Workload) -> dict[str, Any]:
        """Run the workload's setup cells (up to SETUP_WINDOW in flight), waiting for every
        reply and reading IOPub meanwhile (so that none of it backs up)."""
        import zmq

        t0 = time.perf_counter()
        shell, iopub = self.kc.shell_channel, self.kc.iopub_channel
        poller = zmq.Poller()
        poller.register(shell.socket, zmq.POLLIN)
        poller.register(iopub.socket, zmq.POLLIN)
        todo = list(reversed(w.setup))
        pending: set[str] = set()
        failed = 0
        deadline = time.monotonic() + PREPARE_TIMEOUT
        while todo or pending:
            while todo and len(pending) < SETUP_WINDOW:
                pending.add(self.kc.execute(todo.pop()))
            if time.monotonic() > deadline:
                raise TimeoutError("the setup cells")
            ready = dict(poller.poll(1000))
            if iopub.socket in ready:
                iopub.get_msg(timeout=0)
            if shell.socket in ready:
                msg = shell.get_msg(timeout=0)
                parent = msg["parent_header"].get("msg_id")
                if parent in pending and msg["msg_type"] == "execute_reply":
                    pending.discard(parent)
                    failed += msg["content"].get("status") != "ok"
        if w.setup:
            self._drain(0.3)
        return {"prepare_time": time.perf_counter() - t0, "setup_cells": len(w.setup), "setup_failed": failed}

    def measure(self, w: Workload, cap: float) -> dict[str, Any]:
        import zmq

        poller = zmq.Poller()
        shell, iopub = self.kc.shell_channel, self.kc.iopub_channel
        poller.register(shell.socket, zmq.POLLIN)
        poller.register(iopub.socket, zmq.POLLIN)
        rss0 = proc_status_bytes()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        if w.action == "kernel_info":
            msg_id, reply_type = self.kc.kernel_info(), "kernel_info_reply"
        else:
            msg_id, reply_type = self.kc.execute(w.code), "execute_reply"
        emit({"started": True})
        replied = idle = False
        messages = stream_messages = stream_chars = images = largest = 0
        tail = ""
        while not (replied and idle):
            ready = dict(poller.poll(int(cap * 1000)))
            if not ready:
                return {"timed_out": True}
            if shell.socket in ready:
                msg = shell.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == reply_type:
                    replied = True
            if iopub.socket in ready:
                msg = iopub.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                messages += 1
                kind = msg["msg_type"]
                if kind == "stream":
                    text = msg["content"]["text"]
                    stream_messages += 1
                    stream_chars += len(text)
                    largest = max(largest, len(text))
                    tail = (tail + text)[-200:]
                elif kind in ("display_data", "execute_result"):
                    data = msg["content"]["data"]
                    largest = max(largest, sum(len(v) for v in data.values() if isinstance(v, str)))
                    images += w.display_mime in data
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
        elapsed = time.perf_counter() - t0
        last = tail.rstrip("\n").rsplit("\n", 1)[-1].rsplit("\r", 1)[-1] if tail else ""
        last = re.sub("\x1b\\[[0-9;]*m", "", last)
        expected = w.raw_final_line() if w.lines or w.last_line else ""
        if w.action != "execute":
            ok: bool = replied
            what = f"{reply_type} received"
        elif w.images:
            ok, what = images == w.images, f"{images} {w.display_mime} displays"
        elif w.chars:
            ok, what = stream_chars == w.chars, f"{stream_chars} of {w.chars} chars"
        else:  # (after a \r the final write may be shorter than the line it overwrites)
            ok = last.endswith(expected[-150:]) or expected.startswith(last[:150])
            what = f"{stream_chars} chars"
        return {
            "finished": elapsed,
            "cpu": time.process_time() - cpu0,
            "rss_before": rss0,
            "rss_after": proc_status_bytes(),
            "iopub_messages": messages,
            "stream_messages": stream_messages,
            "stream_chars": stream_chars,
            "max_msg_chars": largest,
            "images": images,
            "ok": ok,
            "check": f"{messages} IOPub msgs ({stream_messages} stream), largest "
                     + (f"{largest / 1e6:.2f} M chars" if largest >= 100_000 else f"{largest} chars") + f", {what}",
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
        self.t0 = 0.0  # when the measured action started
        self.t1: float | None = None
        self.t_idle: float | None = None  # when the kernel's last "idle" status arrived
        self.loop: Any = None

    # client-specific
    def prepare(self, w: Workload) -> dict[str, Any]:
        """Before the measurement: run the workload's setup cells (and apply its settings)."""
        raise NotImplementedError

    def start(self, w: Workload) -> None:
        """Begin the measured action; :meth:`finished` is called when it is done."""
        raise NotImplementedError

    def console_widget(self) -> Any:
        """The top-level console widget (resized by the relayout phase)."""
        raise NotImplementedError

    def viewport(self) -> Any:
        raise NotImplementedError

    def scrollbar(self) -> Any:
        raise NotImplementedError

    def check(self, w: Workload) -> tuple[bool, str]:
        raise NotImplementedError

    def extra_result(self) -> dict[str, Any]:
        """Client-specific figures added to the result (taken after the stall meter stopped)."""
        return {}

    def pending_decodes(self) -> int:
        """Images the client is still decoding (0 for a client that decodes as it inserts)."""
        return 0

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
        t0 = self.t0 = time.perf_counter()
        self.start(w)
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
        pixels = math.nan
        if w.settle:
            try:
                wait_until_qt(lambda: self.pending_decodes() == 0, SETTLE_TIMEOUT, "image decodes")
            except TimeoutError:
                pass  # "to pixels" stays n/a
            else:
                self.viewport().repaint()
                pixels = time.perf_counter() - t0
        if w.linger:
            self.spin(w.linger)  # the stall meter keeps running
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
            **({"pixels": pixels} if w.settle else {}),
            "max_stall": self.meter.max_gap,
            "max_stall_cpu": self.meter.max_gap_cpu,
            "stalls_over_50ms": sum(g > 0.050 for g in self.meter.gaps),
            "cpu": time.process_time() - cpu0,
            "rss_before": rss0,
            "rss_after": proc_status_bytes(),
            "rss_peak": proc_status_bytes("VmHWM"),
            **self.extra_result(),
        }
        if sampler is not None:
            result["stall_trace"] = sampler.summary()
            result["gc_pauses"] = sorted(sampler.gc_pauses, key=lambda g: -g[1])[:5]
        ok, note = self.check(w)
        result.update(ok=ok, check=note)
        for phase in w.after:
            result.update(getattr(self, f"after_{phase}")())
        return result

    def after_scroll(self, steps: int = 50) -> dict[str, Any]:
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

    def after_repaints(self, count: int = 3) -> dict[str, Any]:
        """``count`` forced full repaints of the viewport, each timed; then a relayout: the
        console resized 1 px wider and back (each resize's events processed), then a repaint,
        timed as a whole."""
        viewport, widget = self.viewport(), self.console_widget()
        self.app.processEvents()
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            viewport.repaint()
            times.append(time.perf_counter() - t0)
        size = widget.size()
        t0 = time.perf_counter()
        widget.resize(size.width() + 1, size.height())
        self.app.processEvents()
        widget.resize(size)
        self.app.processEvents()
        viewport.repaint()
        relayout = time.perf_counter() - t0
        return {"repaints": times, "repaint_max": max(times), "relayout": relayout}

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
        self.setup_pending: set[str] = set()
        self.info_pending = False  # an unsolicited kernel_info_request awaits its reply
        self.unresponsive: list[float] = []  # perf_counter() of each "unresponsive" while measuring
        self.console.execution_finished.connect(self._on_finished)
        self.kernel.status_changed.connect(self._on_status)
        self.kernel.ready.connect(self._on_ready)
        self.wait_until(lambda: self.kernel.status is KernelStatus.IDLE, READY_TIMEOUT, "Conch's kernel")
        self.spin(0.3)
        self.wait_until(lambda: self.kernel.status is KernelStatus.IDLE, READY_TIMEOUT, "Conch's kernel idle")
        assert self.kernel.process is not None and self.kernel.process.pid is not None
        return int(self.kernel.process.pid)

    def prepare(self, w: Workload) -> dict[str, Any]:
        """The scrollback cap, then the setup cells through ``console.execute`` (so that they are
        cells of the transcript), up to SETUP_WINDOW in flight; waits until every one has finished."""
        out: dict[str, Any] = {}
        if w.max_lines is not None:
            transcript = self.kernel.transcript
            if not hasattr(transcript, "max_lines"):
                raise RuntimeError("Conch's transcript has no max_lines: cannot set the scrollback cap")
            transcript.max_lines = w.max_lines
            out["max_lines"] = w.max_lines
        t0 = time.perf_counter()
        if w.setup:
            for code in w.setup:
                # At most SETUP_WINDOW in flight: Conch sends without blocking, and a request
                # past the shell socket's high-water mark (1 000) would be dropped.
                if len(self.setup_pending) >= SETUP_WINDOW:
                    self.wait_until(lambda: len(self.setup_pending) < SETUP_WINDOW, PREPARE_TIMEOUT,
                                    "the setup cells")
                msg_id = self.console.execute(code)
                if not msg_id:
                    raise RuntimeError(f"Conch did not run a setup cell: {code[:60]!r}")
                self.setup_pending.add(msg_id)
            self.wait_until(lambda: not self.setup_pending, PREPARE_TIMEOUT, "the setup cells")
            self.console.view.flush()
            self.spin(0.5)
            self.wait_until(lambda: self.kernel.status is KernelStatus.IDLE, READY_TIMEOUT, "Conch's kernel idle")
        out.update(prepare_time=time.perf_counter() - t0, setup_cells=len(w.setup))
        return out

    def _on_finished(self, msg_id: str) -> None:
        self.setup_pending.discard(msg_id)
        if msg_id == self.msg_id:
            self.finished()

    def _on_status(self, status: KernelStatus) -> None:
        if status is KernelStatus.IDLE and self.t1 is None:
            self.t_idle = time.perf_counter()
        if status is KernelStatus.UNRESPONSIVE and self.meter.running:
            self.unresponsive.append(time.perf_counter())

    def _on_ready(self, _info: dict[str, Any]) -> None:
        if self.info_pending:  # the console's own handler of the reply has run (connected first)
            self.info_pending = False
            self.finished()

    def start(self, w: Workload) -> None:
        if w.action == "kernel_info":
            self.info_pending = True
            self.kernel.client.request("kernel_info_request", {})
        else:
            self.msg_id = self.console.execute(w.code)

    def console_widget(self) -> Any:
        return self.console

    def viewport(self) -> Any:
        return self.console.view.viewport()

    def scrollbar(self) -> Any:
        return self.console.view.verticalScrollBar()

    def check(self, w: Workload) -> tuple[bool, str]:
        return check_conch(w, self.console)

    def pending_decodes(self) -> int:
        """Image blocks (and images embedded in HTML) whose pixels are still being decoded."""
        count = 0
        for block in getattr(self.console.view, "_blocks", ()):
            embedded = getattr(block, "pending_images", None)
            if callable(embedded):
                count += int(embedded())
            elif getattr(block, "pending", False) is True:
                count += 1
        return count

    def extra_result(self) -> dict[str, Any]:
        """Whether Conch said the kernel was not responding during the measurement."""
        return {"unresponsive": len(self.unresponsive),
                "unresponsive_at": [round(t - self.t0, 3) for t in self.unresponsive]}

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
        last_line = w.raw_final_line()
        block = self.doc.lastBlock()
        for _ in range(8):  # the last line sits just above the next prompt
            if not block.isValid():
                break
            if block.length() - 1 == len(last_line) and block.text() == last_line:
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

    def prepare(self, w: Workload) -> dict[str, Any]:
        """The setup cells as silent executions on qtconsole's own client (nothing shown),
        waiting for every reply."""
        t0 = time.perf_counter()
        pending: set[str] = set()

        def on_shell(msg: dict[str, Any]) -> None:
            if msg.get("msg_type") == "execute_reply":
                pending.discard(msg["parent_header"].get("msg_id"))

        if w.setup:
            self.kc.shell_channel.message_received.connect(on_shell)
            for code in w.setup:
                pending.add(self.kc.execute(code, silent=True, store_history=False))
            self.wait_until(lambda: not pending, PREPARE_TIMEOUT, "the setup cells")
            self.kc.shell_channel.message_received.disconnect(on_shell)
            self.spin(0.3)
        return {"prepare_time": time.perf_counter() - t0, "setup_cells": len(w.setup)}

    def start(self, w: Workload) -> None:
        self.executed = False
        self.widget.execute(w.code)

    def console_widget(self) -> Any:
        return self.widget

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
    prepared = worker.prepare(w)
    # The RSS growth reported is counted from here: after the setup cells, if any.
    emit({"prepared": prepared, "rss_ready": proc_status_bytes()})
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
        out["rss_kernel_ready"] = ready["rss_ready"]
        prepared = worker.expect("prepared", PREPARE_TIMEOUT + 30.0)
        out.update(prepared["prepared"])
        out["rss_ready"] = prepared["rss_ready"]
        worker.expect("started", 30.0)
        # the cap (the worker gives up there if its event loop still runs), the time after the
        # finish that is part of the measurement (decodes, linger), and some for the after phases
        allowed = cap + w.linger + (SETTLE_TIMEOUT if w.settle else 0.0) + (60.0 if w.after else 0.0) + 10.0
        try:
            out.update(worker.expect("result", allowed)["result"])
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
    out["cap"] = cap
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
    for key in ("finished", "painted", "repaint", "pixels", "idle_to_finished", "cpu", "rss_ready",
                "rss_kernel_ready", "rss_after", "rss_peak", "scroll_median", "prepare_time",
                "stream_messages", "iopub_messages"):
        if all(key in r for r in good):
            out[key] = median([r[key] for r in good])
    for key in ("max_stall", "stalls_over_50ms", "scroll_max", "repaint_max", "relayout",
                "unresponsive", "max_msg_chars"):
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
            lines.append((label, f"> {r.get('cap', cap):.0f} s ({'killed' if r.get('killed') else 'gave up'})",
                          "", "", "", "n/a", "n/a", "", "cap exceeded"))
            continue
        fin = r["finished"]
        painted = seconds(r["painted"]) if "painted" in r else "—"
        if "pixels" in r:
            painted += f" (pixels {seconds(r['pixels'])})"
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
    prepared = [(label, r) for label, r in rows if r.get("setup_cells")]
    if prepared:
        out.append(f"Setup, not measured: {len(w.setup)} cell{'s' if len(w.setup) != 1 else ''} run first; it took "
                   + ", ".join(f"{label} {seconds(r.get('prepare_time', math.nan), 1)}" for label, r in prepared)
                   + ". RSS growth is counted from after it.\n")
    if w.max_lines is not None:
        out.append(f"Conch's scrollback cap set to {w.max_lines:,} lines.\n".replace(",", " "))
    out += [
           table(("client", "to finished", "to painted", "× kernel", "idle → finished", "max UI stall",
                  "RSS after (Δ from ready)", "client CPU", "check"), lines)]
    if w.qtconsole_na:
        out.append(f"\nqtconsole: {w.qtconsole_na}.")
    if w.bytes_out:
        rates = [f"{label} {w.bytes_out / r['finished'] / 1e6:.1f} MB/s" for label, r in rows
                 if label in ("kernel alone", "conch") and r.get("finished") and not r.get("timed_out")]
        out.append(f"\nIntake ({w.bytes_out / 1e6:.1f} MB printed / time to finished): " + ", ".join(rates or ["n/a"]) + ".")
    for label, r in rows:
        if "repaint_max" in r:
            out.append(f"\n{label}: after the finish, 3 full repaints of the viewport took "
                       + ", ".join(millis(t, 1) for t in r.get("repaints", [])) + f" (worst run's max "
                       f"{millis(r['repaint_max'], 1)}); a relayout (1 px wider and back, then a repaint) "
                       f"{millis(r['relayout'], 1)} (worst run).")
    conch = next((r for label, r in rows if label == "conch"), None)
    if conch and "unresponsive" in conch:
        seen = [(i + 1, run.get("unresponsive_at", [])) for i, run in enumerate(conch.get("runs", [conch]))
                if run.get("unresponsive")]
        out.append("\nConch reported the kernel \"unresponsive\" during the measurement: " + (
            "never." if not seen else
            "; ".join(f"run {i} at {', '.join(f'{t:.2f}' for t in at)} s" for i, at in seen) + "."))
    if conch and "finished" not in conch:
        out.append("\nConch goals: not measured (" + ("killed at the cap" if conch.get("timed_out")
                                                      else "error") + " in every run).")
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
        if "rss_growth" in g:
            goals.append("RSS growth " + verdict(conch["rss_after"] - conch["rss_ready"], g["rss_growth"], mib))
        if "repaint" in g and "repaint_max" in conch:
            goals.append("each repaint " + verdict(conch["repaint_max"], g["repaint"], lambda v: millis(v, 1))
                         + ", relayout " + verdict(conch["relayout"], g["repaint"], lambda v: millis(v, 1)))
        if "responsive" in g:
            goals.append("kernel never reported unresponsive: "
                         + ("met" if not conch.get("unresponsive") else "**MISSED**"))
        if w.lines or w.last_line or w.images or w.checks:
            goals.append("output " + ("correct" if conch.get("ok") else "**WRONG**"))
        if conch.get("failed_runs"):
            goals.append(f"**{conch['failed_runs']} of {len(conch['runs'])} runs failed** (killed or error; "
                         "the figures are from the others)")
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
    parser.add_argument("--conch-cap", type=float, default=CONCH_CAP,
                        help=f"the same for Conch's and the kernel alone's measurements (default {CONCH_CAP:.0f}; "
                             "a safety net: past it the client is taken for hung)")
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
            direct_runs.append(run_one("direct", w, args.conch_cap))
            log(f"{name}: conch ({rep + 1}/{repeat})…")
            prof = os.path.join(args.profile, f"conch_{name}.prof") if args.profile and rep == 0 else None
            conch_runs.append(run_one("conch", w, args.conch_cap, profile_to=prof,
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
        if r.get("error"):
            print(f"NOTE: {name} / {label} failed: " + r["error"].strip().replace("\n", "\n    ")[-2000:])
        elif r.get("stderr"):  # (a failure's message already ends with its stderr)
            print(f"NOTE: {name} / {label} wrote to stderr:\n    " + "\n    ".join(r["stderr"]))
    # A worker that failed before it named its kernel had its child processes killed instead.
    known = [(name, label, r) for name, label, r in every if r.get("kernel_pid")]
    bad = [(name, label, r) for name, label, r in known
           if not r.get("kernel_gone_after") or r.get("leftover_pids")]
    for name, label, r in bad:
        print(f"NOTE: {name} / {label}: kernel pid {r.get('kernel_pid')} was not gone "
              f"(killed afterwards: {r.get('leftover_pids')})")
    killed = sum(bool(r.get("killed")) for _, _, r in every)
    unnamed = len(every) - len(known)
    print(f"Kernels: {len(known)} started, {len(known) - len(bad)} checked gone by PID"
          + (f"; {unnamed} worker{'s' if unnamed != 1 else ''} failed before naming a kernel" if unnamed else "")
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
