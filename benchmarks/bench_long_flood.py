"""Long flood: 20 million lines (about 1.4 GB) streamed into Conch, sampled every second.

The kernel runs ``for i in range(N): print(f"{i:08d} " + "q"*61)`` (N = ``--lines``, default
20 000 000; 70 characters and a newline a line), in chunks of 10 000 lines after each of which
it writes how many lines it has printed so far into a small file (``os.pwrite``, 2 000 writes
for 20 M lines): the benchmark reads that file to know where the kernel is without asking it.

One subprocess runs the client (Conch's ``ConsoleWidget`` with its default 1 000 000-line
scrollback; ``--client qtconsole`` with its default 500-line buffer; or ``--client kernel``,
the kernel alone: a ``BlockingKernelClient`` draining IOPub, no GUI, for the kernel's own pace
and RSS) on a fresh python3 kernel. Every second a sampler thread in it records:

* the client's RSS (``VmRSS`` of its process) and the kernel's (``VmRSS`` of the kernel's PID);
* lines received so far: Conch's stream output ``content.trimmed + content.line_count()``
  (lines ever received, including those the scrollback dropped); qtconsole: the number on its
  last line + 1. Read on the UI thread by a 200 ms timer, so while the UI thread is blocked the
  figure is the last one it could show;
* the kernel's printed count (the file above), and from it how far behind the client is: in
  lines, and in seconds (how long ago the kernel had printed what the client shows now);
* the longest UI stall that second (the gaps of a 5 ms precise ``QTimer``; a gap still open
  counts as far as it has got) and the CPU time of the client process and of the kernel.

The parent prints a Markdown table sampled every ``--every`` seconds (default 15; the stall
column there is the longest in the whole interval), and a summary: RSS at 1/4, 1/2, 3/4 and
the end of the run, the maximum, and whether it levels off (the maximum over the second half
within +15 % of the value at the half). The run must finish within ``--cap`` seconds
(default 1800, from the start of the subprocess); past it the subprocess and its kernel are
killed and the partial samples reported.

The kernel's own RSS grows with every line printed, whatever the client (ipykernel 7.4: about
140 bytes a line with the kernel alone), so only the client's RSS is expected to level off.

Usage::

    python benchmarks/bench_long_flood.py [--lines 20000000] [--client conch|qtconsole|kernel]
                                          [--cap 1800] [--every 15] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from _util import (
    children_of,
    environment,
    kill_leftovers,
    log,
    mib,
    pid_alive,
    proc_status_bytes,
    table,
    wait_gone,
)

READY_TIMEOUT = 60.0
CHUNK = 10_000  # lines between two updates of the kernel's counter file
LINE_CHARS = 71  # 70 characters and the newline
MB = 1e6


def flood_code(lines: int, counter_file: str) -> str:
    return (
        "import os\n"
        f"_fd = os.open({counter_file!r}, os.O_WRONLY | os.O_CREAT, 0o600)\n"
        f"for _j in range(0, {lines}, {CHUNK}):\n"
        f"    for i in range(_j, min(_j + {CHUNK}, {lines})): print(f\"{{i:08d}} \" + \"q\"*61)\n"
        f"    os.pwrite(_fd, b\"%12d\" % min(_j + {CHUNK}, {lines}), 0)\n"
        "os.close(_fd)"
    )


def last_line(lines: int) -> str:
    return f"{lines - 1:08d} " + "q" * 61


# -- worker: the client, in its own process ----------------------------------------------------
class Emitter:
    """JSON lines on stdout, from the UI thread and the sampler thread alike."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, payload: dict[str, Any]) -> None:
        with self._lock:
            sys.stdout.write(json.dumps(payload) + "\n")
            sys.stdout.flush()


def _read_counter(path: str) -> int:
    try:
        with open(path, "rb") as f:
            text = f.read(12).strip()
        return int(text) if text else 0
    except (OSError, ValueError):
        return 0


def _cpu_of(pid: int) -> float:
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    except Exception:  # noqa: BLE001 - gone, or no psutil
        return math.nan


class Sampler:
    """A thread that records the figures above once a second (it does not need the UI thread,
    so a blocked UI still gets its samples); the client tells it what it shows with
    :meth:`update` (Qt clients from a 200 ms timer on the UI thread)."""

    def __init__(self, meter: Any, kernel_pid: int, counter_file: str, emit: Emitter) -> None:
        self.meter = meter  # a StallMeter, or None (the kernel alone has no UI)
        self.kernel_pid = kernel_pid
        self.counter_file = counter_file
        self.emit = emit
        self.received = 0
        self.received_at = 0.0
        self.held = 0  # lines the client holds now (Conch), -1 if unknown
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = 0.0

    def update(self, received: int, held: int) -> None:
        """What the client shows now: lines received so far, lines it holds (-1: unknown)."""
        self.received, self.held = received, held
        self.received_at = time.perf_counter()

    def start(self, t0: float) -> None:
        self.t0 = t0
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        seen = 0  # gaps of the meter already attributed to earlier seconds
        cpu_self, cpu_kernel = time.process_time(), _cpu_of(self.kernel_pid)
        while not self._stop.wait(1.0):
            now = time.perf_counter()
            stall = math.nan
            if self.meter is not None:
                gaps = self.meter.gaps
                count = len(gaps)
                stall = max(gaps[seen:count], default=0.0)
                seen = count
                if self.meter.running:
                    stall = max(stall, now - self.meter._last)  # noqa: SLF001 - a gap still open
            cpu_s, cpu_k = time.process_time(), _cpu_of(self.kernel_pid)
            self.emit({"sample": {
                "t": now - self.t0,
                "rss": proc_status_bytes(),
                "kernel_rss": proc_status_bytes("VmRSS", self.kernel_pid),
                "received": self.received,
                "received_age": now - self.received_at if self.received_at else math.nan,
                "held": self.held,
                "kernel_printed": _read_counter(self.counter_file),
                "max_stall": stall,
                "cpu": cpu_s - cpu_self,
                "kernel_cpu": cpu_k - cpu_kernel,
            }})
            cpu_self, cpu_kernel = cpu_s, cpu_k


def _conch_worker() -> Any:
    from bench_floods import ConchWorker

    class Worker(ConchWorker):
        def received_lines(self) -> tuple[int, int]:
            streams = [o for o in self.console.outputs() if o.kind == "stdout"]
            if not streams:
                return 0, 0
            content = streams[-1].content
            held = content.line_count()
            return int(getattr(content, "trimmed", 0)) + held, held

    return Worker()


def _qtconsole_worker(buffer: int) -> Any:
    from bench_floods import QtconsoleWorker

    class Worker(QtconsoleWorker):
        def received_lines(self) -> tuple[int, int]:
            block = self.doc.lastBlock()
            for _ in range(6):  # the last output line sits just above the next prompt
                if not block.isValid():
                    break
                text = block.text()
                if text[:8].isdigit() and text[8:10] == " q":
                    return int(text[:8]) + 1, -1
                block = block.previous()
            return 0, -1

    return Worker(buffer)


def serve(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QEventLoop, QTimer

    from flood_workloads import Workload

    emit = Emitter()
    if args.worker == "kernel":
        return serve_kernel(args, emit)
    worker = _conch_worker() if args.worker == "conch" else _qtconsole_worker(args.buffer)
    pid = worker.setup()
    emit({"kernel_pid": pid, "rss_ready": proc_status_bytes(),
          "kernel_rss_ready": proc_status_bytes("VmRSS", pid)})
    w = Workload("long_flood", flood_code(args.lines, args.counter_file), "long flood",
                 last_line=last_line(args.lines))
    worker.workload = w  # (qtconsole's finish test looks for the last line)
    sampler = Sampler(worker.meter, pid, args.counter_file, emit)

    def poll_ui() -> None:
        sampler.update(*worker.received_lines())

    poll = QTimer()
    poll.setInterval(200)
    poll.timeout.connect(poll_ui)
    worker.loop = QEventLoop()
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(worker.loop.quit)
    worker.t1 = None
    worker.meter.start()
    t0 = worker.t0 = time.perf_counter()
    sampler.start(t0)
    poll.start()
    worker.start(w)
    emit({"started": True})
    guard.start(int(args.cap * 1000))
    if worker.t1 is None:
        worker.loop.exec()
    guard.stop()
    poll.stop()
    poll_ui()
    worker.meter.stop()
    sampler.stop()
    received, held = sampler.received, sampler.held
    if worker.t1 is None:
        emit({"result": {"timed_out": True, "received": received}})
        return 0  # the parent kills the kernel (it is still printing)
    ok, note = worker.check(w) if args.worker == "qtconsole" else _check_conch(worker, args.lines)
    emit({"result": {
        "finished": worker.t1 - t0,
        "received": received,
        "held": held,
        "max_stall": worker.meter.max_gap,
        "stalls_over_50ms": sum(g > 0.050 for g in worker.meter.gaps),
        "rss_after": proc_status_bytes(),
        "rss_peak": proc_status_bytes("VmHWM"),
        "kernel_rss_after": proc_status_bytes("VmRSS", pid),
        "ok": ok,
        "check": note,
    }})
    emit({"kernel_gone": worker.shutdown(pid)})
    return 0


def serve_kernel(args: argparse.Namespace, emit: Emitter) -> int:
    """The kernel alone: a BlockingKernelClient draining IOPub (no GUI), for the kernel's own
    pace and RSS."""
    import zmq
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.blocking_client()
    kc.start_channels()
    kc.wait_for_ready(timeout=READY_TIMEOUT)
    while True:  # start-up traffic
        try:
            kc.iopub_channel.get_msg(timeout=0.3)
        except queue.Empty:
            break
    pid = int(km.provisioner.process.pid)  # type: ignore[union-attr]
    emit({"kernel_pid": pid, "rss_ready": proc_status_bytes(), "kernel_rss_ready": proc_status_bytes("VmRSS", pid)})
    sampler = Sampler(None, pid, args.counter_file, emit)
    shell, iopub = kc.shell_channel, kc.iopub_channel
    poller = zmq.Poller()
    poller.register(shell.socket, zmq.POLLIN)
    poller.register(iopub.socket, zmq.POLLIN)
    t0 = time.perf_counter()
    sampler.start(t0)
    msg_id = kc.execute(flood_code(args.lines, args.counter_file))
    emit({"started": True})
    replied = idle = False
    received, tail = 0, ""
    while not (replied and idle) and time.perf_counter() - t0 < args.cap:
        ready = dict(poller.poll(1000))
        if shell.socket in ready:
            msg = shell.get_msg(timeout=0)
            replied = replied or msg["parent_header"].get("msg_id") == msg_id
        if iopub.socket in ready:
            msg = iopub.get_msg(timeout=0)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                text = msg["content"]["text"]
                received += text.count("\n")
                tail = (tail + text)[-200:]
                sampler.update(received, -1)
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
    finished = time.perf_counter() - t0
    sampler.stop()
    if not (replied and idle):
        emit({"result": {"timed_out": True, "received": received}})
        return 0
    last = tail.rstrip("\n").rsplit("\n", 1)[-1]
    ok = received == args.lines and last == last_line(args.lines)
    emit({"result": {
        "finished": finished, "received": received, "held": -1, "max_stall": math.nan,
        "rss_after": proc_status_bytes(), "rss_peak": proc_status_bytes("VmHWM"),
        "kernel_rss_after": proc_status_bytes("VmRSS", pid), "ok": ok,
        "check": f"{received} lines received, last line {'right' if last == last_line(args.lines) else repr(last[:20])}",
    }})
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    emit({"kernel_gone": not wait_gone([pid], 3.0)})
    return 0


def _check_conch(worker: Any, lines: int) -> tuple[bool, str]:
    streams = [o for o in worker.console.outputs() if o.kind == "stdout"]
    if not streams:
        return False, "no stdout output"
    content = streams[-1].content
    n = content.line_count()
    trimmed = int(getattr(content, "trimmed", 0))
    last = content.line_text(n - 1) if n else ""
    ok = len(streams) == 1 and trimmed + n == lines and last == last_line(lines)
    return ok, f"{trimmed + n} lines received ({n} held, {trimmed} dropped), last line {'right' if last == last_line(lines) else repr(last[:20])}"


# -- parent -----------------------------------------------------------------------------------
def run(args: argparse.Namespace, counter_file: str) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_API="pyside6")
    env.pop("CONCH_DEBUG", None)
    err = tempfile.TemporaryFile(mode="w+")
    argv = [sys.executable, os.path.abspath(__file__), "--worker", args.client, "--lines", str(args.lines),
            "--cap", str(args.cap), "--buffer", str(args.buffer), "--counter-file", counter_file]
    started = time.monotonic()
    deadline = started + args.cap
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                            text=True, env=env)
    lines: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                lines.put(json.loads(line))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    out: dict[str, Any] = {"samples": []}
    kernel_pid = 0
    next_note = started + 60
    while True:
        try:
            got = lines.get(timeout=max(0.1, min(deadline - time.monotonic(), 5.0)))
        except queue.Empty:
            got = {}
        if got is None:
            break
        if "kernel_pid" in got:
            kernel_pid = got["kernel_pid"]
            out.update(got)
        elif "sample" in got:
            out["samples"].append(got["sample"])
            if time.monotonic() > next_note:
                s = got["sample"]
                log(f"  {s['t']:.0f} s: {spaced(s['received'])} lines received, kernel at {spaced(s['kernel_printed'])}, "
                    f"RSS {mib(s['rss'])}, kernel {mib(s['kernel_rss'])}")
                next_note += 60
        elif "result" in got:
            out.update(got["result"])
        elif "kernel_gone" in got:
            out["kernel_gone"] = got["kernel_gone"]
        if time.monotonic() > deadline + (30 if "finished" in out else 0):
            out["gave_up"] = True
            break
    if proc.poll() is None and (out.get("gave_up") or "kernel_gone" not in out):
        pids = [kernel_pid] if kernel_pid else children_of(proc.pid)
        proc.kill()
        proc.wait()
        kill_leftovers(pids)
        out["killed"] = True
    proc.wait()
    if out.get("timed_out"):
        out["gave_up"] = True
        kill_leftovers([kernel_pid] if kernel_pid else [])
    leftover = wait_gone([kernel_pid], 5.0) if kernel_pid else []
    kill_leftovers(leftover)
    out["kernel_gone_after"] = bool(kernel_pid) and not pid_alive(kernel_pid)
    out["leftover_pids"] = leftover
    out["elapsed"] = time.monotonic() - started
    err.seek(0)
    out["stderr"] = [line for line in err.read().splitlines()
                     if line.strip() and "propagateSizeHints" not in line][:12]
    return out


def lags(samples: list[dict[str, Any]]) -> list[float]:
    """Per sample: how long ago the kernel had printed as many lines as the client showed then
    (the kernel's count interpolated linearly between samples, from 0 lines at t = 0; the
    client's figure taken when it was read, ``received_age`` before the sample)."""
    points = [(0.0, 0)] + [(s["t"], s["kernel_printed"]) for s in samples]
    out = []
    j = 1
    for s in samples:
        while j < len(points) and points[j][1] < s["received"]:
            j += 1
        if j >= len(points):
            out.append(0.0)  # the kernel's counter (every 10 000 lines) is not past it yet
            continue
        (t_a, n_a), (t_b, n_b) = points[j - 1], points[j]
        crossed = t_b if n_b == n_a else t_a + (t_b - t_a) * (s["received"] - n_a) / (n_b - n_a)
        age = s["received_age"] if s["received_age"] == s["received_age"] else 0.0
        out.append(max(0.0, s["t"] - age - crossed))
    return out


def at_fraction(samples: list[dict[str, Any]], fraction: float) -> dict[str, Any]:
    end = samples[-1]["t"]
    return min(samples, key=lambda s: abs(s["t"] - fraction * end))


def spaced(n: float) -> str:
    """1234567 -> '1 234 567'."""
    return f"{n:,.0f}".replace(",", " ")


def client_name(args: argparse.Namespace) -> str:
    return {"conch": "Conch", "kernel": "kernel alone"}.get(args.client, f"qtconsole (buffer {args.buffer})")


def summary(out: dict[str, Any], args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    samples = out["samples"]
    if not samples:
        return "No samples (the client did not get as far as the flood).", {}
    ui = args.client != "kernel"
    lag = lags(samples)
    every = max(1, round(args.every))
    rows = []
    last_row_t = -math.inf
    window_stall = 0.0
    window_cpu = window_kcpu = window_t = 0.0
    for s, behind in zip(samples, lag):
        if ui:
            window_stall = max(window_stall, s["max_stall"])
        window_cpu += s["cpu"]
        window_kcpu += s["kernel_cpu"]
        window_t += 1.0
        if s["t"] - last_row_t >= every - 0.5 or s is samples[-1]:
            row = [
                f"{s['t']:.0f}",
                f"{s['received'] / 1e6:.2f} M",
                f"{s['kernel_printed'] / 1e6:.2f} M",
                f"{spaced(max(0, s['kernel_printed'] - s['received']))} / {behind:.2f} s",
                mib(s["rss"]),
                mib(s["kernel_rss"]),
            ]
            if ui:
                row += [f"{s['max_stall'] * 1000:.0f} ms", f"{window_stall * 1000:.0f} ms"]
            row.append(f"{100 * window_cpu / window_t:.0f} % / {100 * window_kcpu / window_t:.0f} %")
            rows.append(row)
            last_row_t = s["t"]
            window_stall = window_cpu = window_kcpu = window_t = 0.0
    client = client_name(args)
    own = f"{client} RSS" if ui else "client process RSS"
    headers = ["t (s)", "received", "kernel printed", "behind (lines / time)", own, "kernel RSS"]
    if ui:
        headers += ["max stall (that s)", "max stall (since last row)"]
    headers.append("CPU client / kernel")
    text = [table(headers, rows)]
    quarter = {f: at_fraction(samples, f) for f in (0.25, 0.5, 0.75)}
    end = samples[-1]
    half_t = quarter[0.5]["t"]
    second_half = [s for s in samples if s["t"] >= half_t]
    figures: dict[str, Any] = {}
    for key, name in (("rss", own), ("kernel_rss", "Kernel RSS")):
        at_half = quarter[0.5][key]
        late_max = max(s[key] for s in second_half)
        levels = late_max <= 1.15 * at_half
        figures[key] = {"q1": quarter[0.25][key], "half": at_half, "q3": quarter[0.75][key],
                        "end": end[key], "max": max(s[key] for s in samples),
                        "max_second_half": late_max, "levels_off": levels}
        text.append(
            f"\n{name}: {mib(quarter[0.25][key])} at 1/4, {mib(at_half)} at 1/2, "
            f"{mib(quarter[0.75][key])} at 3/4, {mib(end[key])} at the end ({end['t']:.0f} s); max "
            f"{mib(figures[key]['max'])}. Levels off (second half ≤ +15 % of the value at the half, "
            f"i.e. ≤ {mib(1.15 * at_half)}): " + ("yes" if levels else f"**NO** (up to {mib(late_max)})") + ".")
    figures.update(max_lag_s=max(lag), end_lag_s=lag[-1])
    line = f"\nBehind the kernel: at most {max(lag):.2f} s."
    if ui:
        stalls = [s["max_stall"] for s in samples]
        figures.update(max_stall=max(stalls), seconds_with_stall_over_50ms=sum(x > 0.050 for x in stalls))
        line = (f"\nUI stalls: longest {max(stalls) * 1000:.0f} ms; {figures['seconds_with_stall_over_50ms']} of "
                f"{len(samples)} seconds had one over 50 ms. " + line.strip())
    text.append(line)
    if "finished" in out:
        mb = args.lines * LINE_CHARS / MB
        text.append(f"\nFinished in {out['finished']:.1f} s ({mb:.0f} MB, {mb / out['finished']:.1f} MB/s, "
                    f"{args.lines / out['finished'] / 1e3:.0f} k lines/s)"
                    + (f"; longest stall over the whole run {out['max_stall'] * 1000:.0f} ms" if ui else "")
                    + ". Check: " + ("ok" if out.get("ok") else "**WRONG**") + f": {out.get('check', '')}.")
    return "\n".join(text), figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20_000_000, help="lines to print (default 20 000 000)")
    parser.add_argument("--client", choices=("conch", "qtconsole", "kernel"), default="conch",
                        help="conch (default), qtconsole, or kernel: the kernel alone (a BlockingKernelClient, "
                             "no GUI), for the kernel's own pace and RSS")
    parser.add_argument("--buffer", type=int, default=500, help="qtconsole's buffer_size (default 500)")
    parser.add_argument("--cap", type=float, default=1800.0,
                        help="seconds for the whole run (default 1800); past it the client and its kernel are killed")
    parser.add_argument("--every", type=float, default=15.0, help="seconds between table rows (default 15)")
    parser.add_argument("--json", metavar="FILE", help="also write every sample and the summary here")
    parser.add_argument("--worker", choices=("conch", "qtconsole", "kernel"), help=argparse.SUPPRESS)
    parser.add_argument("--counter-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lines < CHUNK:
        parser.error(f"--lines must be at least {CHUNK}")

    if args.worker:
        return serve(args)

    if args.client == "qtconsole":
        try:
            import qtconsole  # noqa: F401
        except ImportError:
            parser.error("qtconsole is not installed (pip install -e '.[bench]')")
    tmp = tempfile.mkdtemp(prefix="conch-long-flood-")
    try:
        log(f"long flood: {spaced(args.lines)} lines ({args.lines * LINE_CHARS / MB:.0f} MB) into {args.client}, "
            f"cap {args.cap:.0f} s…")
        out = run(args, os.path.join(tmp, "printed"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nLong flood: {spaced(args.lines)} lines of 70 characters ({args.lines * LINE_CHARS / MB:.0f} MB) "
          f"into {client_name(args)} ({environment()}, QT_QPA_PLATFORM=offscreen), whole run {out['elapsed']:.0f} s\n")
    text, figures = summary(out, args)
    print(text)
    if out.get("gave_up"):
        print(f"\nGAVE UP at the cap ({args.cap:.0f} s): the client "
              + ("was killed" if out.get("killed") else "stopped waiting")
              + f" with {spaced(out.get('received', out['samples'][-1]['received'] if out['samples'] else 0))} lines received; "
              "its kernel was killed.")
    if out.get("stderr"):
        print("\nNOTE: the client wrote to stderr:\n    " + "\n    ".join(out["stderr"]))
    print(f"\nKernel {out.get('kernel_pid', '?')}: " + ("gone" if out.get("kernel_gone_after") else "NOT GONE")
          + (f" (killed afterwards: {out['leftover_pids']})" if out.get("leftover_pids") else "") + ".")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": environment(), "client": args.client, "lines": args.lines, "cap": args.cap,
                       "summary": figures, **out}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
