"""Tabs benchmark: eight python3 kernels in one window.

Measured, headless (``offscreen``), in the benchmark's own process (the window) with real
kernels in their own processes:

new tab
    For each of ``--tabs`` (default 8) tabs opened with ``MainWindow.new_tab()``: the time until
    the tab's input editor has painted (the user can type), until the kernel's
    ``kernel_info_reply`` is accepted by the console's client, and until the ``In [1]:`` prompt
    has painted after it. Goal: the prompt within 0.1 s of the reply.
switch
    ``--rounds`` (default 20) rounds over all tabs: ``tabs.setCurrentIndex(i)`` until the
    shown console's transcript viewport has painted (a paint event filter; the clock stops
    after the paint). Each console first shows a few hundred lines of output and a plot, so
    there is something to draw. Goal: under 16 ms.
memory
    This process's RSS with one ready tab, and after the other tabs are open and have each run
    that output (kernel processes are not counted): (after - before) / (tabs - 1) per tab.
    Goal: under 30 MB a tab.

Every kernel is shut down at the end (quit, as a user would) and checked gone by PID.

Usage::

    python benchmarks/bench_tabs.py [--tabs 8] [--rounds 20] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _util import (  # noqa: E402
    environment,
    log,
    median,
    mib,
    millis,
    p90,
    proc_status_bytes,
    seconds,
    spin_qt,
    table,
    wait_gone,
    wait_until_qt,
)

CELL = (
    "for i in range(300): print(f'line {i:4d} ' + 'x' * 60)\n"
    "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2, 4]);"
)
GOAL_SWITCH = 0.016
GOAL_PROMPT = 0.1
GOAL_RSS_PER_TAB = 30 * 1024 * 1024


class PaintWatch:
    """Records when a widget next finishes painting (an event filter; no polling)."""

    def __init__(self, widget: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        self.painted_at: float | None = None
        watch = self

        class Filter(QObject):
            def eventFilter(self, _obj: Any, event: Any) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    watch.pending_paint = True
                return False

        self.pending_paint = False
        self._filter = Filter()
        widget.installEventFilter(self._filter)
        self._widget = widget

    def arm(self) -> None:
        self.painted_at = None
        self.pending_paint = False

    def check(self) -> bool:
        # The filter runs before the widget paints; the paint is done once control is back here.
        if self.pending_paint and self.painted_at is None:
            self.painted_at = time.perf_counter()
        return self.painted_at is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tabs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from conch.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    window = MainWindow("python3")
    window.resize(1000, 700)
    window.show()
    spin_qt(0.2)

    opened: list[dict[str, float]] = []
    rss_one = 0
    for index in range(args.tabs):
        opened.append(open_tab(app, window))
        tab = window.tab_list()[-1]
        assert tab.console is not None
        wait_until_qt(lambda: not tab.console.is_busy(), 5, "idle")  # type: ignore[union-attr]
        tab.console.execute(CELL)
        wait_until_qt(lambda: not tab.console.is_busy(), 60, "the cell")  # type: ignore[union-attr]
        spin_qt(0.2)
        if index == 0:
            rss_one = proc_status_bytes()
        log(f"tab {index + 1}: editor {millis(opened[-1]['editor'])}, prompt after reply "
            f"{millis(opened[-1]['prompt_after_reply'])}")
    spin_qt(0.5)
    rss_all = proc_status_bytes()
    per_tab = (rss_all - rss_one) / max(1, args.tabs - 1)

    switches = measure_switches(app, window, args.rounds)
    stall = measure_idle_stall(window)

    pids = [t.session.process.pid for t in window.tab_list() if t.session and t.session.process]
    started = time.perf_counter()
    closed: list[bool] = []
    window.all_kernels_closed.connect(lambda: closed.append(True))
    window.close()
    wait_until_qt(lambda: bool(closed), 10, "every kernel closed")
    quit_time = time.perf_counter() - started
    left = wait_gone(pids, 3.0)

    editor = [o["editor"] for o in opened]
    reply = [o["reply"] for o in opened]
    prompt = [o["prompt_after_reply"] for o in opened]
    print(f"\n## Tabs ({args.tabs} python3 kernels) — {environment()}\n")
    print(table(
        ["measure", "median", "p90", "max", "goal"],
        [
            ["new tab: editor painted", millis(median(editor)), millis(p90(editor)), millis(max(editor)), "at once"],
            ["new tab: kernel_info_reply", seconds(median(reply)), seconds(p90(reply)), seconds(max(reply)), "(kernel)"],
            ["prompt painted after the reply", millis(median(prompt)), millis(p90(prompt)), millis(max(prompt)), "≤ 100 ms"],
            ["switch tab until painted", millis(median(switches)), millis(p90(switches)), millis(max(switches)), "< 16 ms"],
        ],
    ))
    print()
    print(table(
        ["memory (this process, kernels excluded)", "value", "goal"],
        [
            ["RSS with 1 tab", mib(rss_one), ""],
            [f"RSS with {args.tabs} tabs", mib(rss_all), ""],
            ["per extra tab", mib(per_tab), "< 30 MiB"],
        ],
    ))
    print(f"\nLongest UI stall over 1 s with {args.tabs} idle tabs: {millis(stall)}; quit: all kernels "
          f"gone {seconds(quit_time)} after close; left behind: {left or 'none'}")
    met = (
        max(switches) < GOAL_SWITCH * 2 and median(switches) < GOAL_SWITCH
        and max(prompt) <= GOAL_PROMPT and per_tab < GOAL_RSS_PER_TAB and not left
    )
    print("goals met" if met else "GOALS MISSED")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"opened": opened, "switches": switches, "rss_one": rss_one, "rss_all": rss_all,
                       "per_tab": per_tab, "quit": quit_time, "left": left, "stall": stall}, f, indent=1)
    return 0 if met else 1


def open_tab(app: Any, window: Any) -> dict[str, float]:
    """Open a tab; return seconds to the editor painted, to the reply, and reply → prompt painted."""
    started = time.perf_counter()
    tab = window.new_tab()
    wait_until_qt(lambda: tab.console is not None, 10, "the console")
    console = tab.console
    editor = PaintWatch(console.editor.viewport())
    prompt = PaintWatch(console.prompt)
    marks: dict[str, float] = {}

    def on_ready(_info: object) -> None:
        marks.setdefault("reply", time.perf_counter())
        prompt.arm()

    console.kernel.client.kernel_ready.connect(on_ready)
    while not editor.check():
        app.processEvents()
    marks["editor"] = editor.painted_at  # type: ignore[assignment]
    while "reply" not in marks or not prompt.check():
        app.processEvents()
        time.sleep(0.0005)
    assert console.prompt.text() == "In [1]:", console.prompt.text()
    return {
        "editor": marks["editor"] - started,
        "reply": marks["reply"] - started,
        "prompt_after_reply": prompt.painted_at - marks["reply"],  # type: ignore[operator]
    }


def measure_switches(app: Any, window: Any, rounds: int) -> list[float]:
    tabs = window.tab_list()
    watches = [PaintWatch(t.console.view.viewport()) for t in tabs]
    times: list[float] = []
    count = len(tabs)
    for round_number in range(rounds):
        for step in range(count):
            index = (window.tabs.currentIndex() + 1) % count
            watch = watches[index]
            watch.arm()
            started = time.perf_counter()
            window.tabs.setCurrentIndex(index)
            while not watch.check():
                app.processEvents()
            times.append(watch.painted_at - started)  # type: ignore[operator]
        if round_number == 0:
            times.clear()  # first round: warm-up (first show of each console)
    return times


def measure_idle_stall(window: Any) -> float:
    from _util import StallMeter

    meter = StallMeter()
    meter.start()
    spin_qt(1.0)
    meter.stop()
    return meter.max_gap


if __name__ == "__main__":
    sys.exit(main())
