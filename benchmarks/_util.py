"""Helpers shared by the benchmarks: statistics, a plain-text table, a UI stall meter and
process checks. Nothing here imports Qt at module level, so the startup benchmark's parent
process stays light."""
from __future__ import annotations

import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any


# -- statistics ------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def p90(values: Sequence[float]) -> float:
    return percentile(values, 90)


# -- output ----------------------------------------------------------------------------------
def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown-compatible table (also readable as plain text)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"

    out = [line(cells[0]), "| " + " | ".join("-" * w for w in widths) + " |"]
    out.extend(line(row) for row in cells[1:])
    return "\n".join(out)


def seconds(value: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f} s"


def millis(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value * 1000:.{digits}f} ms"


def environment() -> str:
    """One line saying what this ran on."""
    parts = [
        f"Python {platform.python_version()}",
        f"{platform.system()} {platform.machine()}",
        f"{os.cpu_count()} CPUs",
    ]
    for module in ("PySide6", "jupyter_client", "ipykernel", "zmq", "qtconsole"):
        try:
            mod = __import__(module)
            parts.append(f"{module} {getattr(mod, '__version__', '?')}")
        except Exception:  # noqa: BLE001 - optional packages
            pass
    return ", ".join(parts)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- processes -------------------------------------------------------------------------------
def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        import psutil
    except ImportError:  # psutil comes with ipykernel; keep a POSIX fallback anyway
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    """Wait up to ``timeout`` seconds for every pid to end; returns those still alive."""
    pending = [p for p in pids if p]
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = [p for p in pending if pid_alive(p)]
        if pending:
            time.sleep(0.02)
    return pending


def children_of(pid: int) -> list[int]:
    """PIDs of all descendants of ``pid`` (empty if psutil is missing)."""
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except Exception:  # noqa: BLE001 - process already gone, or no psutil
        return []


def kill_leftovers(pids: Iterable[int]) -> None:
    """SIGKILL what a benchmark left behind, so that one failure does not skew the next run."""
    import signal

    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# -- UI stall meter --------------------------------------------------------------------------
class StallMeter:
    """Measures how long the Qt event loop goes without serving a 5 ms precise timer.

    ``max_gap`` is the longest interval between two consecutive ticks while running (about
    5 ms when the loop is never blocked); ``gaps`` keeps every interval for percentiles, and
    ``gap_cpu`` the CPU time the main thread used in each (``max_gap_cpu``: in the longest). A
    gap with far less CPU than wall time was spent waiting, e.g. for a core on a loaded machine.
    Create it after the QApplication.
    """

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000.0
        self.gaps: list[float] = []
        self.gap_cpu: list[float] = []
        self._last = 0.0
        self._last_cpu = 0.0
        self.running = False
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self.gap_cpu.clear()
        self._last_cpu = time.thread_time()
        self._last = time.perf_counter()
        self._timer.start()
        self.running = True

    def stop(self) -> None:
        self.running = False
        self._timer.stop()
        # The stretch since the last tick counts too: the loop may be blocked right now.
        self.gaps.append(time.perf_counter() - self._last)
        self.gap_cpu.append(time.thread_time() - self._last_cpu)

    def _tick(self) -> None:
        now = time.perf_counter()
        cpu = time.thread_time()
        self.gaps.append(now - self._last)
        self.gap_cpu.append(cpu - self._last_cpu)
        self._last = now
        self._last_cpu = cpu

    @property
    def max_gap(self) -> float:
        return max(self.gaps) if self.gaps else math.nan

    @property
    def max_gap_cpu(self) -> float:
        """Main-thread CPU time spent during the longest gap."""
        if not self.gaps:
            return math.nan
        return self.gap_cpu[max(range(len(self.gaps)), key=self.gaps.__getitem__)]

    @property
    def ticks(self) -> int:
        return len(self.gaps)


# -- memory ----------------------------------------------------------------------------------
def proc_status_bytes(field: str = "VmRSS", pid: int | str = "self") -> int:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM, …) in bytes; 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def mib(value: float) -> str:
    return "n/a" if not value or math.isnan(value) else f"{value / 2**20:.0f} MiB"


# -- stall sampler ---------------------------------------------------------------------------
class StallSampler:
    """A poor man's sampling profiler for UI stalls: a thread watches a :class:`StallMeter`
    and, while the loop has not ticked for ``threshold`` seconds, samples the main thread's
    Python stack every ``every`` seconds. Garbage-collector pauses are timed too.

    ``stalls`` lists, per stall, its start (perf_counter), length so far and the sampled
    stacks (innermost frame last, as ``file:function:line`` strings).
    """

    def __init__(self, meter: "StallMeter", threshold: float = 0.030, every: float = 0.002) -> None:
        import threading

        self.meter = meter
        self.threshold = threshold
        self.every = every
        self.stalls: list[dict[str, Any]] = []
        self.gc_pauses: list[tuple[int, float]] = []
        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._gc_t0 = 0.0

    def start(self) -> None:
        import gc

        gc.callbacks.append(self._on_gc)
        self._thread.start()

    def stop(self) -> None:
        import gc

        self._stop.set()
        self._thread.join()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_t0 = time.perf_counter()
        else:
            took = time.perf_counter() - self._gc_t0
            if took > 0.002:
                self.gc_pauses.append((int(info.get("generation", -1)), took))

    def _run(self) -> None:
        import traceback

        current: dict[str, Any] | None = None
        while not self._stop.wait(self.every):
            last = self.meter._last
            now = time.perf_counter()
            if not self.meter.running or now - last < self.threshold:
                current = None
                continue
            if current is None or current["start"] != last:
                current = {"start": last, "length": 0.0, "stacks": []}
                self.stalls.append(current)
            current["length"] = now - last
            frame = sys._current_frames().get(self._main or 0)  # noqa: SLF001 - diagnostics
            if frame is not None:
                stack = [f"{os.path.basename(f.filename)}:{f.name}:{f.lineno}"
                         for f in traceback.extract_stack(frame)]
                current["stacks"].append(stack)

    def summary(self, top: int = 3) -> list[dict[str, Any]]:
        """The ``top`` longest stalls, each with its most frequent innermost stacks."""
        from collections import Counter

        out = []
        for stall in sorted(self.stalls, key=lambda s: -s["length"])[:top]:
            counted = Counter(tuple(s[-8:]) for s in stall["stacks"])
            out.append({
                "length": stall["length"],
                "samples": len(stall["stacks"]),
                "stacks": [{"count": n, "stack": list(s)} for s, n in counted.most_common(4)],
            })
        return out


def spin_qt(seconds: float) -> None:
    """Run the Qt event loop for ``seconds`` (lets queued work settle between phases)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def wait_until_qt(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the Qt loop until ``predicate()`` holds (checked every 10 ms); never timed."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: (predicate() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    if not predicate():
        loop.exec()
    timer.stop()
    if not predicate():
        raise TimeoutError(f"timed out waiting for {what}")
