"""Startup benchmark: how long until Conch's window is shown and its prompt is ready, and how
that compares with a python3 kernel's own time to answer ``kernel_info``.

Each run starts, one after the other (never in parallel):

* ``python -m conch --startup-times --quit-when-ready`` in a fresh process; the child prints
  ``conch-startup window-shown <time.time()>`` and ``conch-startup prompt-ready <time.time()>``
  to stderr, and both are measured from ``time.time()`` taken in this process just before
  ``Popen``;
* a fresh ``python -c`` process that imports jupyter_client, calls
  ``KernelManager.start_kernel()`` and waits with a ``BlockingKernelClient`` for the first
  ``kernel_info_reply``. It reports "kernel alone, from launch call" (start_kernel() call to
  the reply, in the child) and "kernel alone, from process start incl. imports" (from just
  before ``Popen`` in this process to the reply), so interpreter start-up and imports are
  counted as they are for Conch.

Usage::

    python benchmarks/bench_startup.py [--runs 5] [--warmup 1] [--json FILE]

Runs headless (QT_QPA_PLATFORM=offscreen unless ``--platform`` says otherwise). Every kernel
started is checked to be gone afterwards, by PID.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from _util import children_of, environment, kill_leftovers, log, median, seconds, table, wait_gone

WINDOW_GOAL = 0.5
"""Seconds from process start to the window being shown."""
PROMPT_SLACK_GOAL = 0.1
"""Seconds the prompt may be ready after the kernel alone answers kernel_info."""
RUN_TIMEOUT = 60.0

# The kernel-alone child: the same launch as Conch's (kernelspec python3, output discarded),
# with jupyter_client's blocking client; prints one JSON line of time.time() stamps.
KERNEL_CHILD = r"""
import time
t_process = time.time()
import json, subprocess, sys
from jupyter_client.manager import KernelManager
t_imported = time.time()
km = KernelManager(kernel_name=sys.argv[1])
t_call = time.time()
km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
kc = km.blocking_client()
kc.start_channels()
msg_id = kc.kernel_info()
while True:
    reply = kc.get_shell_msg(timeout=60)
    if reply["parent_header"].get("msg_id") == msg_id:
        break
t_reply = time.time()
pid = km.provisioner.process.pid
print(json.dumps({"t_process": t_process, "t_imported": t_imported, "t_call": t_call,
                  "t_reply": t_reply, "kernel_pid": pid}), flush=True)
kc.stop_channels()
km.shutdown_kernel(now=False)
"""


def child_env(platform: str) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = platform
    env.pop("CONCH_DEBUG", None)
    return env


def run_conch(platform: str, kernel: str) -> dict[str, Any]:
    """One Conch start: milestones relative to just before Popen, plus any unexpected stderr."""
    argv = [sys.executable, "-m", "conch", "--kernel", kernel, "--startup-times", "--quit-when-ready"]
    t0 = time.time()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=child_env(platform),
        text=True,
    )
    milestones: dict[str, float] = {}
    other: list[str] = []
    kernel_pids: list[int] = []
    assert proc.stderr is not None
    watchdog = threading.Timer(RUN_TIMEOUT, proc.kill)  # a hung child must not hang us
    watchdog.start()
    for line in proc.stderr:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "conch-startup":
            milestones[parts[1]] = float(parts[2]) - t0
            if parts[1] == "prompt-ready":
                kernel_pids = children_of(proc.pid)  # the kernel it launched
        elif line.strip():
            other.append(line.rstrip())
    watchdog.cancel()
    try:
        code = proc.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    t_exit = time.time() - t0
    leftover = wait_gone(kernel_pids, timeout=3.0)
    kill_leftovers(leftover)
    return {
        "window_shown": milestones.get("window-shown"),
        "prompt_ready": milestones.get("prompt-ready"),
        "exit": t_exit,
        "exit_code": code,
        "kernel_pids": kernel_pids,
        "leftover_pids": leftover,
        "stderr": other,
    }


def run_kernel_alone(kernel: str) -> dict[str, Any]:
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-c", KERNEL_CHILD, kernel],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    stamps = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    pid = stamps.get("kernel_pid")
    leftover = wait_gone([pid] if pid else [], timeout=3.0)
    kill_leftovers(leftover)
    if not stamps:
        raise RuntimeError(f"kernel-alone child failed (exit {proc.returncode}):\n{err}")
    return {
        "from_launch_call": stamps["t_reply"] - stamps["t_call"],
        "from_process_start": stamps["t_reply"] - t0,
        "imports": stamps["t_imported"] - t0,
        "kernel_pids": [pid],
        "leftover_pids": leftover,
        "stderr": [line for line in err.splitlines() if line.strip()],
    }


def fmt_pair(values: list[float]) -> tuple[str, str]:
    return seconds(median(values)), seconds(min(values))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first (default 1)")
    parser.add_argument("--kernel", default="python3", help="kernelspec (default python3)")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM for Conch")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures here")
    args = parser.parse_args()

    conch: list[dict[str, Any]] = []
    alone: list[dict[str, Any]] = []
    total = args.warmup + args.runs
    for i in range(total):
        measured = i >= args.warmup
        c = run_conch(args.platform, args.kernel)
        k = run_kernel_alone(args.kernel)
        tag = "run" if measured else "warm-up"
        log(
            f"{tag} {i - args.warmup + 1 if measured else i + 1}: "
            f"conch window {seconds(c['window_shown'] or float('nan'))}, "
            f"prompt {seconds(c['prompt_ready'] or float('nan'))}; kernel alone "
            f"{seconds(k['from_launch_call'])} from launch call, "
            f"{seconds(k['from_process_start'])} from process start"
        )
        if measured:
            conch.append(c)
            alone.append(k)

    problems: list[str] = []
    for c in conch:
        if c["window_shown"] is None or c["prompt_ready"] is None:
            problems.append(f"conch run without both milestones (exit {c['exit_code']})")
    ok = [c for c in conch if c["window_shown"] is not None and c["prompt_ready"] is not None]
    if not ok:
        print("no complete Conch run; stderr of the last one:\n" + "\n".join(conch[-1]["stderr"]))
        return 1

    window = [c["window_shown"] for c in ok]
    prompt = [c["prompt_ready"] for c in ok]
    k_call = [k["from_launch_call"] for k in alone]
    k_start = [k["from_process_start"] for k in alone]
    overhead_med = median(prompt) - median(k_start)
    overhead_min = min(prompt) - min(k_start)

    def verdict(value: float, limit: float) -> str:
        return "met" if value <= limit else f"MISSED by {value - limit:.3f} s"

    rows = [
        ("Conch window shown (from process start)", *fmt_pair(window),
         f"≤ {WINDOW_GOAL} s: {verdict(median(window), WINDOW_GOAL)}"),
        ("Conch prompt ready (from process start)", *fmt_pair(prompt), ""),
        ("Kernel alone, from launch call", *fmt_pair(k_call), ""),
        ("Kernel alone, from process start incl. imports", *fmt_pair(k_start), ""),
        ("Prompt overhead over the kernel", seconds(overhead_med), seconds(overhead_min),
         f"≤ {PROMPT_SLACK_GOAL} s: {verdict(overhead_med, PROMPT_SLACK_GOAL)}"),
    ]
    print(f"\nStartup, {len(ok)} runs after {args.warmup} warm-up "
          f"({environment()}, QT_QPA_PLATFORM={args.platform})\n")
    print(table(("measure", "median", "min", "goal"), rows))
    print(
        "\nOverhead = Conch prompt ready − kernel alone from process start "
        "(median − median; min − min)."
    )
    exits = [c["exit"] for c in ok]
    print(f"Conch process exit after --quit-when-ready: median {seconds(median(exits))} from start.")

    leftovers = [p for r in conch + alone for p in r["leftover_pids"]]
    checked = sum(len(r["kernel_pids"]) for r in conch + alone)
    if leftovers:
        problems.append(f"kernel processes still alive 3 s after their parent exited: {leftovers}")
    print(f"Kernel processes checked gone by PID: {checked - len(leftovers)}/{checked}.")
    # Qt's offscreen plugin says this once per shown top-level window; it is not Conch's.
    noisy = [line for c in conch for line in c["stderr"] if "propagateSizeHints" not in line]
    if noisy:
        tracebacks = sum(1 for line in noisy if line.startswith("Traceback"))
        distinct = sorted(set(noisy), key=noisy.index)
        problems.append(
            f"Conch wrote {len(noisy)} other stderr lines over {len(conch)} runs "
            f"({tracebacks} tracebacks); distinct lines:\n    " + "\n    ".join(distinct[:12])
        )
    for problem in problems:
        print(f"NOTE: {problem}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"conch": conch, "kernel_alone": alone, "env": environment()}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
