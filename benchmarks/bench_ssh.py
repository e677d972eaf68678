"""SSH benchmark (issue 13): Conch on kernels reached over SSH, against the same kernel local.

The benchmark starts a real sshd on 127.0.0.1 (``tests/ssh_server.py``: a key without passphrase,
a client ``ssh_config``, a private Jupyter runtime folder on the "remote" side) and a raw python3
ipykernel with jupyter_client's ``KernelManager``, its connection file in that runtime folder.
Every client runs in a subprocess of its own.

1. **Round trip** of ``1+1``: ``console.execute`` → ``execution_finished``, the console's own cell
   then checked to hold the result ``2``; interleaved rounds as in ``bench_roundtrip.py``, with the
   client's CPU per execution and its longest UI stall (5 ms precise QTimer).

   * *conch-ssh-server*: ``start_kernel("python3", ssh=HOST, ssh_options=[...])``: a kernel on a
     Jupyter server that Conch starts there (WebSocket through a forwarded unix socket).
   * *conch-ssh-raw*: ``attach_kernel("kernel-….json", ssh=HOST, ...)``: the raw kernel, its five
     ZMQ ports forwarded through Conch's ssh master.
   * *conch-local*: ``attach_kernel(path)`` on the same raw kernel's connection file: the reference.
   * *zmq-direct* (for the record): a ``BlockingKernelClient`` on that file, reply and idle.

   With ``--own-server`` the benchmark starts a Jupyter Server on the "remote" side itself (its
   folders in sshd's Jupyter root, iopub rate limits off): *conch-ssh-server* then finds it with
   ``jupyter server list`` and forwards its TCP port, and *conch-server-local* runs
   ``start_kernel("python3", server=URL, token=T)`` on it directly: the same server without SSH.

   By default the last three share the one raw kernel (``--kernels separate``: one each). On a
   shared kernel each Conch console also shows the other clients' cells (foreign cells), between
   its own batches. For the SSH clients the CPU of their ssh master and of sshd's session
   processes during their batches is measured too.
2. **Connect**: from the ``start_kernel``/``attach_kernel`` call (imports and QApplication done
   before) until the session is IDLE, each run in a fresh process: *conch-ssh-server* (ssh master,
   ``jupyter server list``, starting a Jupyter server there, forwarding it, a kernel by REST, its
   WebSocket), *conch-ssh-raw* (master, reading the runtime folder, five forwards, ZMQ), and for
   reference *local-start* (``start_kernel("python3")``) and *conch-local* (``attach_kernel(path)``).
   Then ``1+1`` once, and ``session.shutdown()`` until ``session.closed`` (for the server kernel:
   the kernel deleted and the server Conch started stopped).

At the end (and after every connect run) nothing started through sshd may be left
(``remote_pids()``), nor any sshd session, nor any ssh process of Conch's; sshd is then stopped.

Usage::

    python benchmarks/bench_ssh.py [-n 100] [--warmup 10] [--rounds 5] [--connects 3]
                                   [--kernels shared|separate] [--own-server] [--parts roundtrip,connect]
                                   [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from queue import Empty
from typing import Any

from _remote_util import EXEC_TIMEOUT, Conch, WorkerProcess, ZmqDirect, answer, serve_rounds, start_server
from _ssh_util import (
    SSH_KINDS, conch_session, cpu_delta, cpu_times, leftover_files, own_result, ssh_host, start_raw_kernel,
    start_ssh_server, stop_raw_kernel, stop_ssh, wait_empty,
)
from _util import children_of, environment, log, median, millis, p90, table

RT_CODE, RT_EXPECTED = "1+1", "2"
RT_CLIENTS = ("conch-ssh-server", "conch-ssh-raw", "conch-local", "zmq-direct")
CONNECT_KINDS = ("conch-ssh-server", "conch-ssh-raw", "local-start", "conch-local")
RAW_FILE = "kernel-conch-bench.json"
REFERENCE = "conch-local"


# -- workers -----------------------------------------------------------------------------------------
def serve_roundtrip(kind: str, spec: dict[str, Any]) -> None:
    conch, client = None, None
    if kind == "zmq-direct":
        client = ZmqDirect(spec["connection_file"])
    else:
        conch = Conch(lambda: conch_session(kind, spec))

    def once() -> tuple[float, bool]:
        if conch is not None:
            elapsed = conch.run(RT_CODE, EXEC_TIMEOUT)
            return elapsed, own_result(conch.session, conch.msg_id) == RT_EXPECTED
        while True:  # other clients' broadcasts on a shared kernel, read before the clock starts
            try:
                client.kc.get_iopub_msg(timeout=0)
            except Empty:
                break
        t0 = time.perf_counter()
        got = client.execute(RT_CODE)
        return time.perf_counter() - t0, got["result"] == RT_EXPECTED

    for _ in range(spec["warmup"]):
        once()
    answer({"ready": True})

    def close() -> dict[str, Any]:
        if conch is None:
            client.close()
            return {"closed": True}
        closed = conch.close()
        return {"closed": closed, "ssh_left": stop_ssh(spec, Conch.wait_until) if kind in SSH_KINDS else []}

    serve_rounds(once, conch, close)


def serve_connect(kind: str, spec: dict[str, Any]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    import conch.app.server_kernel  # noqa: F401 - imported before the clock starts
    import conch.app.ssh_hosts  # noqa: F401
    from conch import ConsoleWidget
    from conch.app.kernel.status import KernelStatus

    app = QApplication.instance() or QApplication([sys.argv[0]])  # noqa: F841 - kept alive
    marks: dict[str, float] = {}
    t0 = time.perf_counter()
    session = conch_session(kind, spec)
    console = ConsoleWidget(session)
    console.resize(800, 600)
    console.show()
    host = ssh_host(spec) if kind in SSH_KINDS else None

    def check(*_: object) -> None:
        now = time.perf_counter() - t0
        if host is not None and host.master.is_ready:
            marks.setdefault("ssh", now)
        if host is not None and host.started_server is not None:
            marks.setdefault("server", now)
        if (kind == "conch-ssh-server" and session.kernel.kernel_id) or (
                kind == "conch-ssh-raw" and session.kernel.connection_info):
            marks.setdefault("kernel", now)
        if session.status is KernelStatus.IDLE:
            marks.setdefault("idle", now)
        elif session.status.gone and "idle" not in marks:
            marks.setdefault("gone", now)

    session.status_changed.connect(check)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(check)
    timer.start(2)
    try:
        Conch.wait_until(lambda: "idle" in marks or "gone" in marks, 120.0, "the session to be idle")
    except TimeoutError:
        pass
    timer.stop()
    ok = False
    if "idle" in marks:
        done: list[str] = []
        console.execution_finished.connect(done.append)
        msg_id = console.execute(RT_CODE)
        try:
            Conch.wait_until(lambda: msg_id in done, EXEC_TIMEOUT, "1+1")
        except TimeoutError:
            pass
        ok = own_result(session, msg_id) == RT_EXPECTED
    problem = "" if ok else console.transcript_text()[-800:]
    closed: list[float] = []
    session.closed.connect(lambda: closed.append(time.perf_counter()))
    t_close = time.perf_counter()
    session.shutdown()
    try:
        Conch.wait_until(lambda: bool(closed), 60.0, "the session to close")
    except TimeoutError:
        pass
    left = stop_ssh(spec, Conch.wait_until) if kind in SSH_KINDS else []
    answer({"marks": marks, "ok": ok, "close": closed[0] - t_close if closed else math.nan,
            "ssh_left": left, "problem": problem})


# -- parent ----------------------------------------------------------------------------------------
def base_spec(sshd: Any) -> dict[str, Any]:
    return {"host": sshd.host_alias, "options": sshd.ssh_options()}


def kernel_spec(sshd: Any, name: str) -> dict[str, Any]:
    return {"remote_file": name, "connection_file": str(sshd.jupyter_root / "runtime" / name)}


def part_roundtrip(sshd: Any, files: dict[str, str], server: Any, args: argparse.Namespace) -> dict[str, Any]:
    clients = RT_CLIENTS + (("conch-server-local",) if server else ())
    workers: dict[str, WorkerProcess] = {}
    res = {c: {"samples": [], "wrong": 0, "cpu": 0.0, "ssh_cpu": 0.0, "max_stall": 0.0, "round_medians": []}
           for c in clients}
    try:
        for client in clients:
            spec = dict(base_spec(sshd), warmup=args.warmup, **kernel_spec(sshd, files.get(client, RAW_FILE)))
            spec.update({"url": server.url, "token": server.token} if server else {})
            log(f"round trip: starting {client}…")
            workers[client] = WorkerProcess(__file__, f"rt:{client}", spec)
        counts = [args.runs // args.rounds + (i < args.runs % args.rounds) for i in range(args.rounds)]
        for r, count in enumerate(counts):
            order = clients[r % len(clients):] + clients[: r % len(clients)]
            for client in order:
                watched = sshd.session_pids() + children_of(workers[client].proc.pid) if client in SSH_KINDS else []
                before = cpu_times(watched)
                got = workers[client].command(f"run {count}")
                res[client]["ssh_cpu"] += cpu_delta(before, cpu_times(watched))
                for key in ("samples", "wrong", "cpu"):
                    res[client][key] += got[key]
                res[client]["round_medians"].append(median(got["samples"]))
                res[client]["max_stall"] = max(res[client]["max_stall"], got.get("max_stall", 0.0))
            log(f"round {r + 1}: " + ", ".join(f"{c} {millis(res[c]['round_medians'][-1])}" for c in clients))
        for client, worker in workers.items():
            got = worker.quit()
            res[client].update(closed=got.get("closed"), ssh_left=got.get("ssh_left", []), stderr=worker.stderr())
    finally:
        for worker in workers.values():
            worker.kill()
    remote, _ = wait_empty(sshd.remote_pids, 30.0)
    sessions, _ = wait_empty(sshd.session_pids, 30.0)
    return {"clients": res, "remote_left": remote, "sessions_left": sessions}


def part_connect(sshd: Any, args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in CONNECT_KINDS}
    for r in range(args.connects):
        for kind in CONNECT_KINDS:
            before, _ = wait_empty(sshd.remote_pids, 30.0)  # a fresh Jupyter server for each run
            worker = WorkerProcess(__file__, f"connect:{kind}", dict(base_spec(sshd), **kernel_spec(sshd, RAW_FILE)))
            try:
                got = dict(worker.first)
                worker.proc.wait(timeout=60)
                got["stderr"] = worker.stderr()
            finally:
                worker.kill()
            got["remote_before"] = before
            got["remote_left"], got["remote_gone_after"] = wait_empty(sshd.remote_pids, 30.0)
            got["sessions_left"], _ = wait_empty(sshd.session_pids, 30.0)
            runs[kind].append(got)
            log(f"connect run {r + 1} {kind}: idle after {seconds_or_nan(got['marks'].get('idle'))}, "
                f"close {seconds_or_nan(got['close'])}, ok={got['ok']}")
    return {"runs": runs}


def seconds_or_nan(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f} s"


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}×" if reference and not math.isnan(reference) else "n/a"


def notes(results: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for client, r in results.get("roundtrip", {}).get("clients", {}).items():
        out += [f"round trip {client}: {r['wrong']} wrong results"] if r["wrong"] else []
        out += [f"round trip {client}: did not close cleanly"] if not r.get("closed") else []
        out += [f"round trip {client}: ssh processes left: {r['ssh_left']}"] if r.get("ssh_left") else []
        out += [f"round trip {client} wrote to stderr:\n    " + r["stderr"].replace("\n", "\n    ")] if r.get("stderr") else []
    rt = results.get("roundtrip", {})
    out += [f"round trip: left through sshd {rt['remote_left']}, sessions {rt['sessions_left']}"] \
        if rt.get("remote_left") or rt.get("sessions_left") else []
    for kind, rs in results.get("connect", {}).get("runs", {}).items():
        for i, r in enumerate(rs, 1):
            what = f"connect {kind} run {i}"
            out += [f"{what}: failed; the console said:\n    " + r["problem"].replace("\n", "\n    ")] if not r["ok"] else []
            out += [f"{what}: did not close"] if math.isnan(r["close"]) else []
            out += [f"{what}: left through sshd {r['remote_left']}, sessions {r['sessions_left']}, ssh {r['ssh_left']}"] \
                if r["remote_left"] or r["sessions_left"] or r["ssh_left"] else []
            out += [f"{what}: processes through sshd before it started: {r['remote_before']}"] if r["remote_before"] else []
            out += [f"{what} wrote to stderr:\n    " + r["stderr"].replace("\n", "\n    ")] if r.get("stderr") else []
    return out


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\nKernels over SSH on loopback ({results['env']}, {results['openssh']}, jupyter_server "
          f"{results['jupyter_server']}; load average {results['load_before']} before, {results['load_after']} after)")
    if "roundtrip" in results:
        res = results["roundtrip"]["clients"]
        ref, ref90 = median(res[REFERENCE]["samples"]), p90(res[REFERENCE]["samples"])
        rows = []
        for client, r in res.items():
            s, n = r["samples"], len(r["samples"])
            rows.append((client, millis(median(s)), millis(p90(s)), ratio(median(s), ref), ratio(p90(s), ref90),
                         " / ".join(f"{m * 1000:.1f}" for m in r["round_medians"]), millis(r["cpu"] / n),
                         millis(r["ssh_cpu"] / n) if client in SSH_KINDS else "—",
                         millis(r["max_stall"], 1) if r["max_stall"] else "—", f"{n - r['wrong']}/{n}"))
        kernels = "one raw kernel shared by conch-ssh-raw, conch-local and zmq-direct" if args.kernels == "shared" \
            else "conch-ssh-raw, conch-local and zmq-direct on a raw kernel each"
        where = "a Jupyter server the benchmark started there" if args.own_server else "a server Conch started there"
        print(f"\n1. Round trip of `{RT_CODE}`: {args.runs} per client after {args.warmup} warm-up, "
              f"{args.rounds} interleaved rounds; {kernels}; conch-ssh-server on {where}\n")
        print(table(("client", "median", "p90", f"median / {REFERENCE}", f"p90 / {REFERENCE}", "round medians (ms)",
                     "client CPU / exec", "ssh + sshd CPU / exec", "max UI stall", "result 2"), rows))
    if "connect" in results:
        rows = []
        for kind, rs in results["connect"]["runs"].items():
            idle = [r["marks"].get("idle", math.nan) for r in rs]

            def mid(key: str, rs: list[dict[str, Any]] = rs) -> str:
                values = [r["marks"][key] for r in rs if key in r["marks"]]
                return seconds_or_nan(median(values)) if values else "—"

            rows.append((kind, " / ".join(seconds_or_nan(v).removesuffix(" s") for v in idle),
                         seconds_or_nan(median(idle)), mid("ssh"), mid("server"), mid("kernel"),
                         seconds_or_nan(median([r["close"] for r in rs])), f"{sum(r['ok'] for r in rs)}/{len(rs)}"))
        server = "the Jupyter server the benchmark started there" if args.own_server else "a Jupyter server Conch starts"
        print(f"\n2. Connecting: the start_kernel/attach_kernel call until IDLE, {args.connects} runs each, "
              f"each in a fresh process; conch-ssh-server on {server}\n")
        print(table(("client", "runs (s)", "median", "ssh master ready (median)", "Jupyter server up (median)",
                     "server kernel created / ports forwarded (median)", "shutdown → closed (median)", "1+1 ok"), rows))
    print()
    for note in notes(results):
        print(f"NOTE: {note}")
    end = results["end"]
    print(f"At the end: processes started through sshd {end['remote_left'] or 'none'}, sshd sessions "
          f"{end['sessions_left'] or 'none'}, files left by a Jupyter server there {end['files_left'] or 'none'}; "
          f"raw kernels gone: {end['raw_gone']}; sshd stopped (it had to kill: {end['killed_at_stop'] or 'nothing'}).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=100, help="measured round trips per client (100)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured round trips first (10)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--connects", type=int, default=3, help="connect runs per client (3)")
    parser.add_argument("--kernels", choices=("shared", "separate"), default="shared",
                        help="the raw-kernel clients on one kernel (default) or one each")
    parser.add_argument("--own-server", action="store_true",
                        help="start a Jupyter server on the remote side first (and a conch-server-local client)")
    parser.add_argument("--parts", default="roundtrip,connect")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        part, kind = args.worker.split(":")
        {"rt": serve_roundtrip, "connect": serve_connect}[part](kind, json.loads(args.spec))
        return 0

    import jupyter_server

    openssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.split(",")[0].strip()
    results: dict[str, Any] = {"env": environment(), "openssh": openssh, "jupyter_server": jupyter_server.__version__,
                               "date": time.strftime("%Y-%m-%d"), "load_before": " ".join(
                                   f"{x:.2f}" for x in os.getloadavg())}
    sshd, root = start_ssh_server()
    files = {c: f"kernel-conch-bench-{c}.json" for c in ("conch-local", "zmq-direct")} if args.kernels == "separate" else {}
    managers: list[Any] = []
    server = None
    try:
        server = start_server(sshd.jupyter_root) if args.own_server else None
        for name in (RAW_FILE, *files.values()):
            managers.append(start_raw_kernel(sshd, name))
        parts = {"roundtrip": lambda: part_roundtrip(sshd, files, server, args),
                 "connect": lambda: part_connect(sshd, args)}
        for name in (p.strip() for p in args.parts.split(",") if p.strip()):
            results[name] = parts[name]()
    finally:
        raw_gone = [stop_raw_kernel(m) for m in managers]
        if server is not None:
            server.stop()
        remote, _ = wait_empty(sshd.remote_pids, 30.0)
        sessions, _ = wait_empty(sshd.session_pids, 30.0)
        results["end"] = {"remote_left": remote, "sessions_left": sessions, "files_left": leftover_files(sshd),
                          "raw_gone": f"{sum(raw_gone)}/{len(raw_gone)}", "killed_at_stop": sshd.stop()}
        results["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        shutil.rmtree(root, ignore_errors=True)
    report(results, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
