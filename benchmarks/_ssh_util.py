"""Helpers of ``bench_ssh.py``: the sshd it runs (``tests/ssh_server.py``'s ``start_sshd``, as the
``sshd`` fixture makes it), raw kernels whose connection files sit in that sshd's Jupyter runtime
folder, Conch sessions of every kind, the SSH teardown in the workers, and CPU time of the ssh
processes. Qt is imported only inside the functions the workers call."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from _util import pid_alive

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # tests/ is not installed: the sshd recipe
    sys.path.insert(0, str(REPO))

from tests.ssh_server import SSHD, SshServer, sshd_available, start_sshd  # noqa: E402

SSH_KINDS = ("conch-ssh-server", "conch-ssh-raw")


# -- the parent's side ---------------------------------------------------------------------------
def start_ssh_server() -> tuple[SshServer, Path]:
    """A running sshd on 127.0.0.1 under a fresh temporary folder (short: sshd's ``SetEnv`` takes
    no spaces and ssh's control sockets want short paths); returns it and the folder."""
    if not sshd_available():
        raise SystemExit(f"bench_ssh.py needs OpenSSH's server at {SSHD} and the ssh client")
    root = Path(tempfile.mkdtemp(prefix="conch-bench-ssh-"))
    return start_sshd(root / "sshd"), root


def start_raw_kernel(sshd: SshServer, name: str) -> Any:
    """A python3 ipykernel started here with jupyter_client's ``KernelManager`` (not through sshd),
    its connection file ``name`` in sshd's Jupyter runtime folder; returned once it answers."""
    from jupyter_client.manager import KernelManager

    runtime = sshd.jupyter_root / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    manager = KernelManager(kernel_name="python3", connection_file=str(runtime / name))
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = manager.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
    finally:
        client.stop_channels()
    return manager


def stop_raw_kernel(manager: Any) -> bool:
    """Shut the kernel down (a shutdown request, killed if it does not go); True if it is gone."""
    pid = getattr(manager.provisioner, "pid", 0) or 0
    manager.shutdown_kernel()
    return not pid or not pid_alive(pid)


def wait_empty(probe: Callable[[], list[int]], timeout: float) -> tuple[list[int], float]:
    """Poll ``probe()`` every 20 ms until it lists nothing or ``timeout`` passed; returns what it
    listed last and how long that took."""
    t0 = time.monotonic()
    found = probe()
    while found and time.monotonic() - t0 < timeout:
        time.sleep(0.02)  # polling interval while processes end, not a fixed wait
        found = probe()
    return found, time.monotonic() - t0


def leftover_files(sshd: SshServer) -> list[str]:
    """What a Jupyter server Conch started there could leave behind: its private folder in the
    remote TMPDIR, its ``jpserver-*`` files in the runtime folder."""
    found = [str(p) for p in sshd.remote_tmp.glob("conch-jupyter-*")]
    return found + [str(p) for p in (sshd.jupyter_root / "runtime").glob("jpserver-*")]


def cpu_times(pids: Iterable[int]) -> dict[int, float]:
    """User + system CPU seconds of each live process (10 ms clock ticks)."""
    import psutil

    out = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        out[pid] = times.user + times.system
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two :func:`cpu_times` samples by the processes in both."""
    return sum(after[pid] - before[pid] for pid in before if pid in after)


# -- the workers' side ----------------------------------------------------------------------------
def conch_session(kind: str, spec: dict[str, Any]) -> Any:
    """A new KernelSession of ``kind`` (returns at once, as the embedding API does)."""
    from conch import attach_kernel, start_kernel

    if kind == "conch-ssh-server":
        return start_kernel("python3", ssh=spec["host"], ssh_options=spec["options"])
    if kind == "conch-ssh-raw":
        return attach_kernel(spec["remote_file"], ssh=spec["host"], ssh_options=spec["options"])
    if kind == "conch-local":
        return attach_kernel(spec["connection_file"])
    if kind == "conch-server-local":
        return start_kernel("python3", server=spec["url"], token=spec["token"])
    if kind == "local-start":
        return start_kernel("python3")
    raise ValueError(f"unknown client {kind!r}")


def ssh_host(spec: dict[str, Any]) -> Any:
    """The application's :class:`SshHost` for the benchmark's sshd (the one Conch's sessions use)."""
    from conch.app.ssh_hosts import SshHosts

    return SshHosts.shared().host(spec["host"], spec["options"])


def stop_ssh(spec: dict[str, Any], wait: Callable[[Callable[[], bool], float, str], None]) -> list[int]:
    """After the session closed: ``SshHosts.shared().stop_all()``, then wait (running the Qt loop
    with ``wait``) until the master has stopped and every ssh process it started is gone; returns
    the pids of those still alive after 30 s."""
    from conch.app.ssh.master import MasterState
    from conch.app.ssh_hosts import SshHosts

    master = ssh_host(spec).master
    SshHosts.shared().stop_all()

    def alive() -> list[int]:
        return [pid for pid in master.started_pids if pid_alive(pid)]

    try:
        wait(lambda: master.state in (MasterState.STOPPED, MasterState.IDLE, MasterState.FAILED) and not alive(),
             30.0, "Conch's ssh processes to end")
    except TimeoutError:
        pass
    return alive()


def own_result(session: Any, msg_id: str) -> str | None:
    """The text of the one ``execute_result`` of this console's own cell ``msg_id`` (None if it has
    not exactly one): on a kernel shared with other clients, the transcript also holds their cells."""
    cell = session.transcript.cell_for(msg_id)
    results = [o for o in (cell.outputs if cell else []) if o.kind == "result"]
    return results[0].text.strip() if len(results) == 1 else None
