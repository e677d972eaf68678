"""Issue 10, "never orphan": quit signals reach the Qt loop, and launched kernels die with Conch.

Every test here runs a real ``conch`` (or a plain Python parent) in a subprocess, with a kernel
that does not watch its parent: ipykernel quits when the process named by ``JPY_PARENT_PID``
goes away, but IRkernel, IJulia and most others watch nothing, so the test kernel drops that
variable before starting ipykernel. ``test_the_test_kernel_outlives_a_careless_parent`` shows
it really does survive a parent that arranges nothing.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
LINUX = sys.platform.startswith("linux")

KERNEL = "ignores-parent"
IGNORES_PARENT = (
    "import os, sys; os.environ.pop('JPY_PARENT_PID', None); "
    "from ipykernel.kernelapp import launch_new_instance; launch_new_instance(['-f', sys.argv[1]])"
)
NEVER_ANSWERS = "never-answers"
SLEEPS = "import time; time.sleep(600)"  # the connection file is only an argument, never read

EXIT_WITHIN = 3.0
GONE_WITHIN = 3.0


# -- processes -----------------------------------------------------------------------------------

def process_table() -> dict[int, tuple[str, str]]:
    """pid → (state, command line) of every process we can see."""
    table: dict[int, tuple[str, str]] = {}
    if LINUX:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            table[int(entry.name)] = (stat.rsplit(")", 1)[1].split()[0], args)
        return table
    listing = subprocess.run(["ps", "-A", "-o", "pid=,stat=,command="], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        pid, state, args = (line.split(None, 2) + ["", ""])[:3]
        table[int(pid)] = (state[:1], args)
    return table


def parent_of(pid: int) -> int | None:
    if LINUX:
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None
    result = subprocess.run(["ps", "-o", "ppid=", "-p", str(pid)], capture_output=True, text=True)
    return int(result.stdout) if result.stdout.strip() else None


def processes_mentioning(text: str) -> list[int]:
    """Live (not zombie) processes whose command line contains ``text``."""
    own = os.getpid()
    return [pid for pid, (state, args) in process_table().items() if text in args and state != "Z" and pid != own]


def alive(pid: int) -> bool:
    state = process_table().get(pid)
    return state is not None and state[0] != "Z"


def wait_until(condition: Callable[[], bool], within: float, step: float = 0.02) -> float | None:
    """Seconds until ``condition()`` held, or None if it did not within ``within`` seconds."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > within:
            return None
        time.sleep(step)


def kill_group(pid: int, marker: str) -> None:
    """SIGKILL a leftover kernel's process group (the kernel leads its own session), after
    checking the pid is still one of ours."""
    args = process_table().get(pid, ("", ""))[1]
    if marker in args:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# -- a Conch to signal ---------------------------------------------------------------------------

@dataclass
class Place:
    """A private Jupyter and Conch setup under the test's tmp_path. Conch writes a kernel's
    connection file into Jupyter's runtime folder, ``files`` here."""

    root: Path
    env: dict[str, str]
    files: Path
    started: list[subprocess.Popen[Any]] = field(default_factory=list)

    def connection_files(self) -> list[Path]:
        return sorted(self.files.glob("*.json"))

    def kernels(self) -> list[int]:
        """Our kernels: their command lines name their connection files, so they are found
        wherever they are in the process tree, orphaned or not."""
        return processes_mentioning(str(self.files))


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Place]:
    kernels = tmp_path / "jupyter" / "kernels"
    for name, code in ((KERNEL, IGNORES_PARENT), (NEVER_ANSWERS, SLEEPS)):
        (kernels / name).mkdir(parents=True)
        spec = {"argv": [sys.executable, "-c", code, "{connection_file}"], "display_name": name, "language": "python"}
        (kernels / name / "kernel.json").write_text(json.dumps(spec))
    files = tmp_path / "runtime"
    files.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("JPY_PARENT_PID", "CONCH_DEBUG")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CONCH_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_PATH=str(tmp_path / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(files),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
    )
    here = Place(tmp_path, env, files)
    try:
        yield here
    finally:  # whatever happened, leave no process behind
        for process in here.started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        for pid in here.kernels():
            kill_group(pid, str(files))


@dataclass
class Conch:
    process: subprocess.Popen[bytes]
    stderr_path: Path
    place: Place

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_for(self, milestone: str, within: float = 60) -> None:
        reached = wait_until(
            lambda: f"conch-startup {milestone}" in self.stderr() or self.process.poll() is not None, within, 0.05
        )
        assert reached is not None and self.process.poll() is None, f"no {milestone}:\n{self.stderr()}"

    def kernel(self) -> int:
        """The pid of the one kernel Conch launched (a child of Conch, in a session of its own)."""
        found: list[int] = []

        def seen() -> bool:
            found[:] = self.place.kernels()
            return bool(found)

        wait_until(seen, 10)
        assert len(found) == 1, f"kernels {found}:\n{self.stderr()}"
        assert parent_of(found[0]) == self.process.pid
        return found[0]

    def wait_exit(self, within: float = EXIT_WITHIN) -> tuple[int | None, float | None]:
        took = wait_until(lambda: self.process.poll() is not None, within)
        return self.process.returncode, took


def start_conch(place: Place, kernel: str = KERNEL, prefix: Sequence[str] = ()) -> Conch:
    stderr_path = place.root / f"conch-{len(place.started)}.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "conch", "--kernel", kernel, "--startup-times"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=place.env,
        )
    place.started.append(process)
    return Conch(process, stderr_path, place)


def assert_clean_exit(conch: Conch, signum: int, took: float | None) -> None:
    stderr = conch.stderr()
    assert took is not None, f"conch still runs {EXIT_WITHIN} s after {signal.Signals(signum).name}:\n{stderr}"
    assert conch.process.returncode == 128 + signum, stderr  # the shell's convention for "ended by a signal"
    assert "Traceback" not in stderr and "Fatal Python error" not in stderr, stderr


# -- the quit signals ----------------------------------------------------------------------------

QUIT = [signal.SIGTERM, signal.SIGINT] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])


@pytest.mark.parametrize("signum", QUIT, ids=lambda s: signal.Signals(s).name)
def test_a_quit_signal_shuts_conch_and_its_kernel_down(place: Place, signum: int) -> None:
    conch = start_conch(place)
    conch.wait_for("prompt-ready")
    kernel = conch.kernel()
    (connection_file,) = place.connection_files()
    conch.process.send_signal(signum)
    sent = time.monotonic()
    _, took = conch.wait_exit()
    assert_clean_exit(conch, signum, took)
    gone = wait_until(lambda: not alive(kernel), GONE_WITHIN)
    assert gone is not None, "the kernel outlived Conch"
    gone_after = time.monotonic() - sent
    assert not connection_file.exists(), "the kernel's connection file was left behind"
    assert place.connection_files() == []
    print(f"{signal.Signals(signum).name}: conch exited after {took:.2f} s, kernel gone after {gone_after:.2f} s")


def test_a_quit_signal_does_not_ask_about_running_code(place: Place) -> None:
    """Quit asks first while a kernel runs code; a signal means quit now."""
    from jupyter_client.blocking import BlockingKernelClient

    conch = start_conch(place)
    conch.wait_for("prompt-ready")
    kernel = conch.kernel()
    (connection_file,) = place.connection_files()
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        time.sleep(1.0)  # Conch has settled after its prompt came
        msg_id = client.execute("import time; time.sleep(60)")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # Conch sees the same busy status on iopub
            msg = client.get_iopub_msg(timeout=10)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
                break
        time.sleep(0.5)  # and has seen that execution start: Quit would ask now
        conch.process.send_signal(signal.SIGTERM)
        _, took = conch.wait_exit()
    finally:
        client.stop_channels()
    assert_clean_exit(conch, signal.SIGTERM, took)
    assert wait_until(lambda: not alive(kernel), GONE_WITHIN) is not None, "the kernel outlived Conch"
    assert place.connection_files() == []
    print(f"SIGTERM while running code: conch exited after {took:.2f} s")


@pytest.mark.skipif(not hasattr(signal, "SIGHUP") or shutil.which("nohup") is None, reason="needs nohup")
def test_nohup_conch_survives_a_hangup(place: Place) -> None:
    """A signal Conch was started ignoring stays ignored."""
    conch = start_conch(place, prefix=["nohup"])
    conch.wait_for("prompt-ready")
    conch.process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert conch.process.poll() is None, conch.stderr()
    conch.process.send_signal(signal.SIGTERM)
    _, took = conch.wait_exit()
    assert_clean_exit(conch, signal.SIGTERM, took)


def test_sigint_during_startup_never_crashes(place: Place) -> None:
    """Ctrl+C 1.0-1.2 s after launch (while Qt builds the window and the kernel boots) used to be
    ignored with a traceback, or crash inside app.exec."""
    for delay in (1.0, 1.05, 1.1, 1.15, 1.2):
        conch = start_conch(place)
        time.sleep(delay - 0.02)
        kernels = place.kernels()  # those launched by now; a later one is found by its file too
        conch.process.send_signal(signal.SIGINT)
        _, took = conch.wait_exit()
        assert_clean_exit(conch, signal.SIGINT, took)
        assert wait_until(lambda: not place.kernels(), GONE_WITHIN) is not None, f"kernels {kernels} outlived Conch"
        assert place.connection_files() == []
        print(f"SIGINT at {delay:.2f} s: conch exited after {took:.2f} s")


def test_a_second_signal_while_quitting_exits_at_once(place: Place) -> None:
    """The first signal starts the shutdown, which waits up to 1 s for a kernel that never
    answers; a second one ends Conch at once, its kernel killed and its files removed."""
    conch = start_conch(place, NEVER_ANSWERS)
    conch.wait_for("window-shown")
    kernel = conch.kernel()
    conch.process.send_signal(signal.SIGTERM)
    first = time.monotonic()
    time.sleep(0.1)
    assert conch.process.poll() is None, "the graceful quit cannot have ended yet"
    conch.process.send_signal(signal.SIGINT)
    _, took = conch.wait_exit()
    assert_clean_exit(conch, signal.SIGTERM, took)
    elapsed = time.monotonic() - first
    assert elapsed < 0.8, f"the second signal did not hurry the quit ({elapsed:.2f} s)"
    assert wait_until(lambda: not alive(kernel), GONE_WITHIN) is not None, "the kernel outlived Conch"
    assert place.connection_files() == []
    print(f"second signal: conch exited {elapsed:.2f} s after the first")


def test_the_graceful_quit_waits_for_a_silent_kernel_a_while(place: Place) -> None:
    """The reference for the test above: one signal, a kernel that never answers."""
    conch = start_conch(place, NEVER_ANSWERS)
    conch.wait_for("window-shown")
    kernel = conch.kernel()
    conch.process.send_signal(signal.SIGTERM)
    _, took = conch.wait_exit()
    assert_clean_exit(conch, signal.SIGTERM, took)
    assert took is not None and took >= 0.9  # shutdown_request, then killed after 1 s
    assert not alive(kernel) and place.connection_files() == []


# -- kernels die with Conch, even a SIGKILLed one ------------------------------------------------

@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux only")
def test_sigkill_of_conch_takes_its_kernel_along(place: Place) -> None:
    conch = start_conch(place)
    conch.wait_for("prompt-ready")
    kernel = conch.kernel()
    conch.process.kill()
    sent = time.monotonic()
    conch.process.wait(timeout=10)
    gone = wait_until(lambda: not alive(kernel), GONE_WITHIN)
    assert gone is not None, "a SIGKILLed Conch orphaned its kernel"
    print(f"SIGKILL: kernel gone after {time.monotonic() - sent:.2f} s")


PARENT = textwrap.dedent(
    """
    import os, subprocess, sys, time
    from jupyter_client.manager import KernelManager
    if sys.argv[1] == "conch":
        from conch.app.kernel.launcher import LocalKernelProcess
        process = LocalKernelProcess({kernel!r})
        info = process.start()
        manager = process._manager
    else:
        runtime = os.environ["JUPYTER_RUNTIME_DIR"]
        manager = KernelManager(kernel_name={kernel!r}, connection_file=os.path.join(runtime, "kernel-plain.json"))
        manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    print("ready", flush=True)
    time.sleep(120)
    """
).format(kernel=KERNEL)


def launch_from_plain_parent(place: Place, how: str) -> tuple[subprocess.Popen[str], int]:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, how], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=place.env
    )
    place.started.append(parent)
    assert parent.stdout is not None
    line = parent.stdout.readline()  # bounded: the parent gives up after 60 s, pytest-timeout after 120 s
    assert line.strip() == "ready", parent.stderr.read() if parent.stderr else ""
    (kernel,) = place.kernels()
    assert parent_of(kernel) == parent.pid
    return parent, kernel


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_the_test_kernel_outlives_a_careless_parent(place: Place) -> None:
    """The control: launched by jupyter_client alone, the test kernel survives its parent's SIGKILL."""
    parent, kernel = launch_from_plain_parent(place, "jupyter_client")
    parent.kill()
    parent.wait(timeout=10)
    assert wait_until(lambda: not alive(kernel), 2.0) is None, "the test kernel watches its parent after all"


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux only")
def test_a_kernel_conch_launched_dies_with_any_parent(place: Place) -> None:
    parent, kernel = launch_from_plain_parent(place, "conch")
    parent.kill()
    parent.wait(timeout=10)
    assert wait_until(lambda: not alive(kernel), GONE_WITHIN) is not None


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux only")
def test_a_kernel_whose_parent_died_before_it_could_arrange_anything_exits() -> None:
    """The race: the parent dies between fork and prctl, so no signal would ever come; the child
    sees a different parent right after prctl and exits instead of starting the kernel."""
    code = textwrap.dedent(
        """
        import os
        from conch.app.kernel.launcher import parent_death_preexec
        preexec = parent_death_preexec()
        assert preexec is not None
        child = os.fork()
        if child == 0:  # the launcher's child as it should be: goes on to exec the kernel
            preexec()
            os._exit(0)
        _, status = os.waitpid(child, 0)
        ok = os.waitstatus_to_exitcode(status)
        orphan = os.fork()
        if orphan == 0:  # a grandchild: as if the launcher had died and it was adopted
            grandchild = os.fork()
            if grandchild == 0:
                preexec()
                os._exit(0)
            _, status = os.waitpid(grandchild, 0)
            os._exit(os.waitstatus_to_exitcode(status))
        _, status = os.waitpid(orphan, 0)
        print(ok, os.waitstatus_to_exitcode(status))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    ok, orphaned = result.stdout.split()
    assert ok == "0" and orphaned != "0"


# -- the wakeup pipe, in this process ------------------------------------------------------------

def test_signals_arrive_on_the_qt_loop_and_the_old_handlers_come_back(qtbot: QtBot) -> None:
    from PySide6.QtCore import QObject

    from conch.app.quit_signals import SignalPipe

    assert hasattr(signal, "SIGUSR1")
    before = {s: signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGUSR2)}
    pipe = SignalPipe((signal.SIGUSR1, signal.SIGUSR2))
    received: list[int] = []
    owner = QObject()
    pipe.install()
    try:
        pipe.notify_on_qt_loop(received.append, owner)
        os.kill(os.getpid(), signal.SIGUSR2)
        os.kill(os.getpid(), signal.SIGUSR1)
        qtbot.waitUntil(lambda: len(received) == 2, timeout=2000)
        assert received == [signal.SIGUSR2, signal.SIGUSR1]
    finally:
        pipe.uninstall()
    assert {s: signal.getsignal(s) for s in before} == before
    assert signal.set_wakeup_fd(-1) == -1


def test_the_first_signal_quits_gracefully_and_a_second_forces() -> None:
    from conch.app.quit_signals import TwoStageQuit

    calls: list[str] = []
    quit_ = TwoStageQuit(lambda: calls.append("graceful"), lambda: calls.append("force"))
    assert quit_.exit_code is None
    quit_(signal.SIGTERM)
    assert calls == ["graceful"] and quit_.exit_code == 128 + signal.SIGTERM
    quit_(signal.SIGINT)
    quit_(signal.SIGINT)
    assert calls == ["graceful", "force", "force"] and quit_.exit_code == 128 + signal.SIGTERM
