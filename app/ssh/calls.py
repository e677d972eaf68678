"""Asynchronous results for the SSH layer: :class:`SshCall` (a value or an error, later) and
:class:`RemoteCommand` (a program run in a ``QProcess``: exit code, stdout, stderr).

Both finish exactly once and never before the method that made them has returned, so a caller
can always connect to ``finished`` first. Nothing here waits: no ``waitFor*``, no sleeps.
"""
from __future__ import annotations

from typing import Callable, Generic, Mapping, Sequence, TypeVar

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

T = TypeVar("T")
DEFAULT_OUTPUT_LIMIT = 16 * 1024 * 1024
"""Most bytes kept from a command's stdout (and, separately, stderr); past it the command is killed."""


class SshCall(QObject, Generic[T]):
    """One request in flight: ``finished`` is emitted once; then exactly one of ``result``
    (when ``ok``) and ``error`` (a message for people) is set."""

    finished = Signal()

    def __init__(self, what: str = "") -> None:
        super().__init__()
        self.what = what
        self.result: T | None = None
        self.error: str | None = None
        self._done = False
        self._held: list[QObject] = []

    @property
    def done(self) -> bool:
        return self._done

    @property
    def ok(self) -> bool:
        return self._done and self.error is None

    def value(self) -> T:
        """The result; raises RuntimeError with the error message if the call failed or is running."""
        if not self.ok or self.result is None:
            raise RuntimeError(self.error or f"{self.what or 'the call'} has not finished")
        return self.result

    def holds(self, helper: QObject) -> None:
        """Keep ``helper`` (e.g. the RemoteCommand doing the work) alive until the call finishes."""
        self._held.append(helper)

    def succeed(self, value: T) -> None:
        if not self._done:
            self._done = True
            self.result = value
            QTimer.singleShot(0, self._emit)

    def fail(self, reason: str) -> None:
        if not self._done:
            self._done = True
            self.error = reason
            QTimer.singleShot(0, self._emit)

    def _emit(self) -> None:
        self.finished.emit()
        self._held.clear()

    def when_done(self, callback: Callable[["SshCall[T]"], None]) -> "SshCall[T]":
        """Call ``callback(self)`` once finished (at once if already finished); returns self."""
        if self._done:
            QTimer.singleShot(0, lambda: callback(self))
        else:
            self.finished.connect(lambda: callback(self))
        return self


class RemoteCommand(QObject):
    """A program run in a ``QProcess``, typically ``ssh -S CONTROL HOST -- command``.

    ``finished(exit_code, stdout, stderr)`` is emitted once. The exit code is the command's own
    (ssh passes it on), 255 when ssh itself failed, and -1 when the program could not start,
    crashed, was stopped with :meth:`kill`, timed out or wrote more than ``output_limit`` bytes
    (then ``problem`` says which).
    """

    finished = Signal(int, bytes, bytes)
    started = Signal(int)
    """The process id, once the program runs."""

    def __init__(
        self,
        program: str,
        arguments: Sequence[str],
        *,
        stdin: bytes = b"",
        environment: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
    ) -> None:
        super().__init__()
        self.program = program
        self.arguments = list(arguments)
        self.exit_code: int | None = None
        self.stdout = b""
        self.stderr = b""
        self.problem = ""
        self.pid: int | None = None
        self._stdin = stdin
        self._limit = output_limit
        self._out = bytearray()
        self._err = bytearray()
        self._process = QProcess(self)
        if environment:
            env = QProcessEnvironment.systemEnvironment()
            for name, value in environment.items():
                env.insert(name, value)
            self._process.setProcessEnvironment(env)
        self._process.readyReadStandardOutput.connect(self._read_out)
        self._process.readyReadStandardError.connect(self._read_err)
        self._process.started.connect(self._started)
        self._process.finished.connect(self._exited)
        self._process.errorOccurred.connect(self._error)
        self._timer: QTimer | None = None
        if timeout_s is not None:
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.setInterval(int(timeout_s * 1000))
            self._timer.timeout.connect(lambda: self.kill(f"it took longer than {timeout_s:g} s"))

    @property
    def done(self) -> bool:
        return self.exit_code is not None

    @property
    def running(self) -> bool:
        return self._process.state() != QProcess.ProcessState.NotRunning

    def start(self) -> "RemoteCommand":
        """Start the program (returns at once); returns self."""
        if not self._stdin:
            self._process.setStandardInputFile(QProcess.nullDevice())
        self._process.start(self.program, self.arguments)
        if self._timer is not None:
            self._timer.start()
        return self

    def kill(self, problem: str = "it was stopped") -> None:
        """Kill the program; ``finished`` follows with exit code -1."""
        if self.done:
            return
        self.problem = self.problem or problem
        if self.running:
            self._process.kill()
        else:
            self._finish(-1)

    # -- QProcess --------------------------------------------------------------------------------
    def _started(self) -> None:
        self.pid = int(self._process.processId()) or None
        if self.pid:
            self.started.emit(self.pid)
        if self._stdin:
            self._process.write(self._stdin)
            self._process.closeWriteChannel()

    def _read_out(self) -> None:
        self._out += bytes(self._process.readAllStandardOutput().data())
        if len(self._out) > self._limit:
            self.kill(f"it wrote more than {self._limit} bytes")

    def _read_err(self) -> None:
        self._err += bytes(self._process.readAllStandardError().data())
        if len(self._err) > self._limit:
            self.kill(f"it wrote more than {self._limit} bytes of errors")

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.problem = self.problem or f"{self.program} could not be started: {self._process.errorString()}"
            self._finish(-1)

    def _exited(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_out()
        self._read_err()
        crashed = status == QProcess.ExitStatus.CrashExit
        if crashed and not self.problem:
            self.problem = f"{self.program} crashed"
        self._finish(-1 if crashed or self.problem else code)

    def _finish(self, code: int) -> None:
        if self.done:
            return
        if self._timer is not None:
            self._timer.stop()
        self.exit_code = code
        self.stdout = bytes(self._out[: self._limit])
        self.stderr = bytes(self._err[: self._limit])
        if self.problem and not self.stderr:
            self.stderr = self.problem.encode()
        QTimer.singleShot(0, lambda: self.finished.emit(code, self.stdout, self.stderr))


_versions: dict[str, tuple[int, int] | None] = {}


def ssh_version(program: str = "ssh") -> SshCall[tuple[int, int] | None]:
    """``(major, minor)`` of OpenSSH from ``program -V`` (None for another client); fails with a
    message when ``program`` cannot run. Remembered per program."""
    from conch.app.ssh.reasons import parse_openssh_version

    call: SshCall[tuple[int, int] | None] = SshCall("check ssh")
    if program in _versions:
        call.succeed(_versions[program])
        return call
    check = RemoteCommand(program, ["-V"], timeout_s=20)

    def checked(code: int, out: bytes, err: bytes) -> None:
        if code == -1:
            call.fail(f"Cannot run {program!r} ({check.problem}). Install the OpenSSH client.")
        else:
            _versions[program] = parse_openssh_version((out + err).decode("utf-8", "replace"))
            call.succeed(_versions[program])

    check.finished.connect(checked)
    call.holds(check)
    check.start()
    return call
