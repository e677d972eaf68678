"""Remote-kernel benchmark (issue 12): Conch on kernels of a Jupyter Server, on loopback.

The benchmark starts one Jupyter Server (token, iopub rate limits off; the recipe of
``tests/remote_servers.py``) and runs every client in a subprocess of its own:

1. **Round trip** of ``1+1``, execute → result there. *floor*: a plain WebSocket client
   (``websockets``' sans-I/O protocol on a blocking socket, v1 frames packed by hand from
   ``Session().msg``), until the ``execute_reply`` and the IOPub ``status: idle`` of the request
   came; renders nothing. *conch*: ``ConsoleWidget`` on ``start_kernel(server=...)``, from
   ``console.execute("1+1")`` to ``execution_finished``, the last output checked to be ``2``.
   For the record, over ZMQ to server kernels through their connection files (the server's
   ``runtime/kernel-<id>.json``): *conch-zmq* (``attach_kernel(path)``) and *zmq-direct*
   (``BlockingKernelClient``). Interleaved rounds as in ``bench_roundtrip.py``.
2. **Flood**: ``for i in range(100_000): print(f'line {i:06d} ' + 'x'*58)`` (70-character
   lines). *floor*: the WebSocket client counting stdout text until reply and idle; *conch*:
   until ``execution_finished``, then one stdout output of 100 000 lines, the last one right.
   Conch's longest UI stall (5 ms precise QTimer) from execute to finish. Alternating, each
   run in a fresh process on a fresh kernel.
3. **Reconnect**: a Conch console through a ``CuttableProxy`` in front of the server; a cell
   prints a numbered line every 20 ms; once ``--cut-at`` lines are there the proxy cuts every
   connection (and keeps accepting). Measured: cut → the next new line in the transcript (the
   first one delivered after the WebSocket reopened; lines already in flight when it was cut
   are counted apart), and that every line arrived exactly once. Variant *refuse*: the proxy
   also stops listening (connections refused) for ``--blackout`` seconds; measured from when
   it listens again to the next new line.

Every kernel is shut down (Conch's own through ``session.shutdown()``, the others by REST),
the server's kernel list checked empty after each part, and the server stopped at the end.

Usage::

    python benchmarks/bench_remote.py [-n 100] [--warmup 10] [--rounds 5] [--repeat 3]
                                      [--reconnects 5] [--parts roundtrip,flood,reconnect]
                                      [--floor-no-quickack] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _remote_util import (
    EXEC_TIMEOUT, KERNEL_PIDS, Conch, CuttableProxy, RefusingProxy, WorkerProcess, WsClient, ZmqDirect, answer, conch_session,
    left_on_server, note_kernels, notes, rest_kernel, serve_rounds, start_server,
)
from _util import environment, kill_leftovers, log, median, millis, p90, table, wait_gone

RT_CODE, RT_EXPECTED = "1+1", "2"
FLOOD_LINES = 100_000
FLOOD_CODE = f"for i in range({FLOOD_LINES}): print(f'line {{i:06d}} ' + 'x'*58)"
FLOOD_LAST = f"line {FLOOD_LINES - 1:06d} " + "x" * 58
TICK_CODE = "import time\nfor i in range({n}):\n    print(f'tick {{i:04d}}', flush=True)\n    time.sleep(0.02)"
FLOOD_CAP = 180.0
TARGETS = {"rt": 1.2, "flood": 1.15, "stall": 0.050, "reconnect": 1.0}
RT_CLIENTS = ("floor", "conch", "conch-zmq", "zmq-direct")


# -- workers ---------------------------------------------------------------------------------
def serve_roundtrip(kind: str, spec: dict[str, Any]) -> None:
    conch = None
    if kind == "floor":
        client: Any = WsClient(spec["url"], spec["token"], spec["kernel_id"], quickack=spec["quickack"])
        client.request("shell", "kernel_info_request", {})
    elif kind == "zmq-direct":
        client = ZmqDirect(spec["connection_file"])
    else:
        conch = Conch(lambda: conch_session(spec))

    def once() -> tuple[float, bool]:
        if conch is not None:
            elapsed = conch.run(RT_CODE, EXEC_TIMEOUT)
            outputs = conch.console.outputs()
            return elapsed, bool(outputs) and outputs[-1].kind == "result" and outputs[-1].text.strip() == RT_EXPECTED
        t0 = time.perf_counter()
        got = client.execute(RT_CODE)
        return time.perf_counter() - t0, got["result"] == RT_EXPECTED

    for _ in range(spec["warmup"]):
        once()
    answer({"ready": True})
    serve_rounds(once, conch, lambda: {"closed": conch.close() if conch else client.close() is None})


def serve_flood(kind: str, spec: dict[str, Any]) -> None:
    if kind == "floor":
        client = WsClient(spec["url"], spec["token"], spec["kernel_id"], quickack=spec["quickack"])
        client.request("shell", "kernel_info_request", {})
        answer({"ready": True})
        sys.stdin.readline()
        cpu0, t0 = time.process_time(), time.perf_counter()
        got = client.execute(FLOOD_CODE)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        last = got["tail"].rstrip("\n").rsplit("\n", 1)[-1]
        answer({"elapsed": elapsed, "cpu": cpu, "lines": got["newlines"], "ok": got["newlines"] == FLOOD_LINES
                and last == FLOOD_LAST, "messages": got["iopub"], "chars": got["chars"]})
        sys.stdin.readline()
        client.close()
        answer({"closed": True})
        return
    conch = Conch(lambda: conch_session(spec))
    answer({"ready": True})
    conch.read_command()
    cpu0 = time.process_time()
    conch.meter.start()
    elapsed = conch.run(FLOOD_CODE, FLOOD_CAP)
    conch.meter.stop()
    cpu = time.process_time() - cpu0
    streams = conch.stdout()
    content = streams[-1].content if streams else None
    n = content.line_count() if content else 0
    last = content.line_text(n - 1) if n else ""
    answer({"elapsed": elapsed, "cpu": cpu, "lines": n, "outputs": len(streams),
            "ok": len(streams) == 1 and n == FLOOD_LINES and last == FLOOD_LAST,
            "max_stall": conch.meter.max_gap, "max_stall_cpu": conch.meter.max_gap_cpu})
    conch.read_command()
    answer({"closed": conch.close()})


def serve_reconnect(kind: str, spec: dict[str, Any]) -> None:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    proxy = (RefusingProxy if kind == "refuse" else CuttableProxy)("127.0.0.1", spec["port"])
    spec = dict(spec, url=f"http://127.0.0.1:{proxy.port}/")
    conch = Conch(lambda: conch_session(spec))
    session = conch.session
    arrivals: list[tuple[float, int]] = []  # (when, lines of the running cell's stdout)
    reopened: list[float] = []

    def on_iopub(message: dict[str, Any]) -> None:  # connected after the router: the transcript has it
        if message.get("msg_type") == "stream" and message.get("parent_header", {}).get("msg_id") == conch.msg_id:
            streams = conch.stdout()
            n = streams[-1].content.line_count() if streams else 0
            if not arrivals or n > arrivals[-1][1]:
                arrivals.append((time.perf_counter(), n))

    session.client.iopub_message.connect(on_iopub)
    session.kernel.responsiveness_changed.connect(lambda ok: ok and reopened.append(time.perf_counter()))
    n, runs = spec["lines"], []
    for _ in range(spec["repeats"]):
        arrivals.clear()
        reopened.clear()
        conch.t1 = None
        conch.msg_id = conch.console.execute(TICK_CODE.format(n=n))
        conch.wait_until(lambda: bool(arrivals) and arrivals[-1][1] >= spec["cut_at"], 30.0, "lines before the cut")
        t_cut, at_cut = time.perf_counter(), arrivals[-1][1]
        if kind == "refuse":
            proxy.refuse()
            outage, timer = QEventLoop(), QTimer()  # the outage itself, not a wait for a result
            timer.setTimerType(Qt.TimerType.PreciseTimer)
            timer.setSingleShot(True)
            timer.timeout.connect(outage.quit)
            timer.start(int(spec["blackout"] * 1000))
            outage.exec()
            t_back = time.perf_counter()
            proxy.accept_again()
        else:
            proxy.cut()
            t_back = t_cut
        conch.guard.start(60_000)
        if conch.t1 is None:
            conch.loop.exec()
        conch.guard.stop()
        t_open = reopened[0] if reopened else math.nan
        after = [(t, k) for t, k in arrivals if t > t_cut and (math.isnan(t_open) or t > t_open)]
        in_flight = max([k for t, k in arrivals if t_cut < t <= t_open] or [at_cut]) - at_cut
        streams = conch.stdout()
        got = streams[-1].text.splitlines() if streams else []
        want = [f"tick {i:04d}" for i in range(n)]
        runs.append({
            "finished": conch.t1 is not None, "lines_at_cut": at_cut, "in_flight": in_flight,
            "reopen": t_open - t_back, "next_line": (after[0][0] - t_back) if after else math.nan,
            "cut_to_next_line": (after[0][0] - t_cut) if after else math.nan,
            "exactly_once": len(streams) == 1 and got == want, "lines": len(got),
            "duplicates": len(got) - len(set(got)), "missing": len(set(want) - set(got)),
        })
        conch.wait_until(conch.idle, 30.0, "idle after the cell")
    answer({"ready": True, "runs": runs})
    conch.read_command()
    closed = conch.close()
    proxy.close()
    answer({"closed": closed})


# -- parent ----------------------------------------------------------------------------------
def part_roundtrip(server: Any, base: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    workers: dict[str, WorkerProcess] = {}
    res = {c: {"samples": [], "wrong": 0, "cpu": 0.0, "max_stall": 0.0, "round_medians": []} for c in RT_CLIENTS}
    mine: list[str] = []
    try:
        for client in RT_CLIENTS:
            spec = dict(base, warmup=args.warmup)
            if client != "conch":
                spec.update(rest_kernel(server, client != "floor"))
                mine.append(spec["kernel_id"])
            log(f"round trip: starting {client}…")
            workers[client] = WorkerProcess(__file__, f"rt:{client}", spec)
            note_kernels(server)
        counts = [args.runs // args.rounds + (i < args.runs % args.rounds) for i in range(args.rounds)]
        for r, count in enumerate(counts):
            order = RT_CLIENTS[r % len(RT_CLIENTS):] + RT_CLIENTS[: r % len(RT_CLIENTS)]
            for client in order:
                got = workers[client].command(f"run {count}")
                res[client]["samples"] += got["samples"]
                res[client]["wrong"] += got["wrong"]
                res[client]["cpu"] += got["cpu"]
                res[client]["round_medians"].append(median(got["samples"]))
                res[client]["max_stall"] = max(res[client]["max_stall"], got.get("max_stall", 0.0))
            log(f"round {r + 1}: " + ", ".join(f"{c} {millis(res[c]['round_medians'][-1])}" for c in RT_CLIENTS))
        for client, worker in workers.items():
            res[client]["closed"] = worker.quit().get("closed")
            res[client]["stderr"] = worker.stderr()
    finally:
        for worker in workers.values():
            worker.kill()
    return {"clients": res, "left_on_server": left_on_server(server, mine)}


def part_flood(server: Any, base: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"floor": [], "conch": []}
    mine: list[str] = []
    for r in range(args.repeat):
        for client in (("floor", "conch") if r % 2 == 0 else ("conch", "floor")):
            spec = dict(base)
            if client == "floor":
                spec.update(rest_kernel(server, False))
                mine.append(spec["kernel_id"])
            worker = WorkerProcess(__file__, f"flood:{client}", spec)
            note_kernels(server)
            try:
                got = worker.command("run")
                got["closed"] = worker.quit().get("closed")
                got["stderr"] = worker.stderr()
            finally:
                worker.kill()
            runs[client].append(got)
            log(f"flood run {r + 1} {client}: {got['elapsed']:.3f} s, {got['lines']} lines, ok={got['ok']}")
    return {"runs": runs, "left_on_server": left_on_server(server, mine)}


def part_reconnect(server: Any, base: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for variant in ("cut", "refuse"):
        spec = dict(base, port=server.port, repeats=args.reconnects, lines=args.tick_lines,
                    cut_at=args.cut_at, blackout=args.blackout)
        log(f"reconnect ({variant}): {args.reconnects} cells…")
        worker = WorkerProcess(__file__, f"reconnect:{variant}", spec)
        note_kernels(server)
        try:
            out[variant] = {"runs": worker.first["runs"], "closed": worker.quit().get("closed"),
                            "stderr": worker.stderr()}
        finally:
            worker.kill()
    out["left_on_server"] = server.kernel_ids()
    return out


def verdict(value: float, limit: float) -> str:
    return "n/a" if math.isnan(value) else ("met" if value <= limit else "MISSED")


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\nRemote kernels on a local Jupyter Server ({environment()}, websockets "
          f"{results['websockets']}, jupyter_server {results['jupyter_server']})")
    if "roundtrip" in results:
        res = results["roundtrip"]["clients"]
        base, base90 = median(res["floor"]["samples"]), p90(res["floor"]["samples"])
        rows = []
        for client, r in res.items():
            s, ratio = r["samples"], median(r["samples"]) / base
            goal = f"≤ {TARGETS['rt']}×: {verdict(ratio, TARGETS['rt'])}" if client == "conch" else ""
            rows.append((client, millis(median(s)), millis(p90(s)), f"{ratio:.2f}×", f"{p90(s) / base90:.2f}×",
                         millis(r["cpu"] / len(s)), millis(r["max_stall"], 1) if r["max_stall"] else "—", goal))
        print(f"\n1. Round trip of `{RT_CODE}`: {args.runs} per client after {args.warmup} warm-up, "
              f"{args.rounds} interleaved rounds (floor {'without' if args.floor_no_quickack else 'with'} "
              "TCP_QUICKACK)\n")
        print(table(("client", "median", "p90", "median / floor", "p90 / floor", "client CPU / exec",
                     "max UI stall", "target"), rows))
    if "flood" in results:
        runs = results["flood"]["runs"]
        base = median([r["elapsed"] for r in runs["floor"]])
        rows = []
        for client, rs in runs.items():
            wall = median([r["elapsed"] for r in rs])
            worst = max(rs, key=lambda r: r.get("max_stall", 0.0))
            stall = worst.get("max_stall", math.nan)
            goal = (f"≤ {TARGETS['flood']}×: {verdict(wall / base, TARGETS['flood'])}; stall ≤ 50 ms: "
                    f"{verdict(stall, TARGETS['stall'])}") if client == "conch" else ""
            rows.append((client, f"{wall:.3f} s", " / ".join(f"{r['elapsed']:.3f}" for r in rs),
                         f"{wall / base:.2f}×", "—" if math.isnan(stall) else
                         f"{millis(stall, 1)} ({millis(worst['max_stall_cpu'], 1)} CPU)",
                         f"{median([r['cpu'] for r in rs]):.2f} s",
                         f"{sum(r['ok'] for r in rs)}/{len(rs)} complete", goal))
        print(f"\n2. Flood: {FLOOD_LINES:,} lines of 70 characters through the server, {args.repeat} runs each\n")
        print(table(("client", "wall (median)", "runs (s)", "× floor", "max UI stall (worst run; UI-thread CPU in it)",
                     "client CPU", "check", "target"), rows))
    if "reconnect" in results:
        rows = []
        for variant, key, label in (("cut", "cut_to_next_line", "cut → next new line"),
                                    ("refuse", "next_line", f"listening again ({args.blackout:g} s refused) → next new line")):
            rs = results["reconnect"][variant]["runs"]
            values = [r[key] for r in rs]
            reopen = [r["reopen"] for r in rs]
            once = sum(r["exactly_once"] for r in rs)
            rows.append((label, millis(median(values), 0), millis(max(values), 0), millis(median(reopen), 0),
                         f"{sum(r['in_flight'] for r in rs)}", f"{once}/{len(rs)}",
                         f"≤ 1 s: {verdict(max(values), TARGETS['reconnect'])}"))
        print(f"\n3. Reconnect: a line every 20 ms, {args.reconnects} cells per variant, cut after "
              f"{args.cut_at} lines\n")
        print(table(("measure", "median", "max", "WebSocket open again (median)", "lines in flight at the cut",
                     "every line once", "target"), rows))
    print()
    for note in notes(results):
        print(f"NOTE: {note}")
    print(f"Server stopped; its kernel processes gone: {results.get('kernels_gone')}; "
          f"iopub rate limit hit: {results.get('rate_limited')}.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=100, help="measured round trips per client (100)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured round trips first (10)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--repeat", type=int, default=3, help="flood runs per client (3)")
    parser.add_argument("--reconnects", type=int, default=5, help="cells (one cut each) per variant (5)")
    parser.add_argument("--tick-lines", type=int, default=250, help="lines the reconnect cell prints (250)")
    parser.add_argument("--cut-at", type=int, default=40, help="cut once this many lines are there (40)")
    parser.add_argument("--blackout", type=float, default=2.0, help="seconds the proxy refuses (2)")
    parser.add_argument("--parts", default="roundtrip,flood,reconnect")
    parser.add_argument("--floor-no-quickack", action="store_true", help="floor without TCP_QUICKACK")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        part, kind = args.worker.split(":")
        {"rt": serve_roundtrip, "flood": serve_flood, "reconnect": serve_reconnect}[part](kind, json.loads(args.spec))
        return 0

    import jupyter_server
    import websockets

    root = Path(tempfile.mkdtemp(prefix="conch-bench-remote-"))
    results: dict[str, Any] = {"env": environment(), "websockets": websockets.__version__,
                               "jupyter_server": jupyter_server.__version__, "date": time.strftime("%Y-%m-%d")}
    server = start_server(root)
    base = {"url": server.url, "token": server.token, "quickack": not args.floor_no_quickack}
    parts = {"roundtrip": part_roundtrip, "flood": part_flood, "reconnect": part_reconnect}
    try:
        for name in (p.strip() for p in args.parts.split(",") if p.strip()):
            results[name] = parts[name](server, base, args)
    finally:
        note_kernels(server)
        kernels = sorted(KERNEL_PIDS)
        server.stop()
        leftover = wait_gone(kernels, 5.0)
        kill_leftovers(leftover)
        results["kernels_gone"] = f"{len(kernels) - len(leftover)}/{len(kernels)}"
        results["rate_limited"] = "rate exceeded" in server.stderr()
        shutil.rmtree(root, ignore_errors=True)
    report(results, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
