"""One ssh connection per host, shared by everything Conch does there (OpenSSH ControlMaster).

``SshMaster(destination, options).start()`` runs ``ssh -N -o ControlMaster=yes -o ControlPath=…``
in a ``QProcess`` with its questions routed to the GUI (askpass). ``ready`` follows once the
control socket answers ``ssh -O check``; ``failed(reason)`` if it never does; ``lost(reason)`` if
the connection ends later (network drop, server gone, process killed). Then forwards
(``ssh -O forward -L``), cancels and commands (``ssh -S … HOST -- cmd``) are short ssh processes
through the master: no new login, no new prompt. Nothing blocks: signals, timers, QProcess only.
"""
from __future__ import annotations

import enum
import os
import secrets
from typing import Sequence

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from conch.app.ssh.calls import RemoteCommand, SshCall, ssh_version
from conch.app.ssh.forwards import Forward, free_local_port
from conch.app.ssh.prompts import Prompt, PromptServer, shared_prompt_server
from conch.app.ssh.reasons import (
    MIN_ASKPASS_VERSION, AskedPrompt, describe_failure, describe_loss, describe_mux_failure, old_openssh_message,
)  # fmt: skip
from conch.app.ssh.runtime import runtime_dir
from conch.app.ssh.ssh_args import master_arguments, mux_arguments

POLL_MS = 50
STOP_GRACE_MS = 3000
FORWARD_ATTEMPTS = 3
MUX_TIMEOUT_S = 20.0
STDERR_LIMIT = 64 * 1024


class MasterState(enum.Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    READY = "ready"
    FAILED = "failed"
    LOST = "lost"
    STOPPING = "stopping"
    STOPPED = "stopped"


class SshMaster(QObject):
    """The master connection to one host. ``options`` are ssh's own (``["-F", file]``, ``["-i", key,
    "-p", "2222"]``, ``["-o", "User=ada"]``); ``destination`` is what ``ssh`` takes (``ada@host``, an alias)."""

    ready = Signal()
    failed = Signal(str)
    lost = Signal(str)
    stopped = Signal()
    """The master process and every command it ran are gone (after :meth:`stop`)."""
    state_changed = Signal(object)
    forward_failed = Signal(object, str)
    """A :class:`Forward` that could not be restored after :meth:`reconnect`, and why."""

    def __init__(
        self,
        destination: str,
        options: Sequence[str] = (),
        *,
        prompts: PromptServer | None = None,
        ssh_program: str = "ssh",
        name: str | None = None,
        connect_timeout_s: int = 20,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.destination = destination
        self.options = list(options)
        self.name = name or destination
        self.ssh_program = ssh_program
        self.connect_timeout_s = connect_timeout_s
        self.ssh_version: tuple[int, int] | None = None
        self.control_path = ""
        self.reason = ""
        """Why the last attempt failed or the connection was lost ("" otherwise)."""
        self.started_pids: list[int] = []
        """Every process this master started (the master, each ssh through it): for leak checks."""
        self._prompts = prompts
        self._state = MasterState.IDLE
        self._process: QProcess | None = None
        self._stderr = ""
        self._asked: list[Prompt] = []
        self._tag = ""
        self._checking = False
        self._usable = False
        self._forwards: dict[str, Forward] = {}
        self._commands: set[RemoteCommand] = set()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_socket)
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(STOP_GRACE_MS)
        self._kill_timer.timeout.connect(self._kill_master)

    # -- state -------------------------------------------------------------------------------------
    @property
    def state(self) -> MasterState:
        return self._state

    @property
    def is_ready(self) -> bool:
        return self._state is MasterState.READY

    @property
    def pid(self) -> int | None:
        """The master ssh process, while it runs."""
        if self._process is None or self._process.state() == QProcess.ProcessState.NotRunning:
            return None
        return int(self._process.processId()) or None

    @property
    def stderr(self) -> str:
        """What the master ssh wrote to stderr (the last 64 KiB)."""
        return self._stderr

    @property
    def forwards(self) -> list[Forward]:
        return list(self._forwards.values())

    @property
    def prompts(self) -> PromptServer:
        if self._prompts is None:
            self._prompts = shared_prompt_server()
        return self._prompts

    # -- connecting --------------------------------------------------------------------------------
    def start(self) -> None:
        """Connect (returns at once): ``ready`` or ``failed(reason)`` follows."""
        if self._state in (MasterState.CONNECTING, MasterState.READY, MasterState.STOPPING):
            return
        self._set_state(MasterState.CONNECTING)
        self.reason = ""
        ssh_version(self.ssh_program).when_done(self._versioned)

    def reconnect(self) -> None:
        """Connect again after ``failed``/``lost``/:meth:`stop`; forwards made before are restored
        (same local ports) before ``ready`` is emitted."""
        if self._state in (MasterState.FAILED, MasterState.LOST, MasterState.STOPPED, MasterState.IDLE):
            self.start()

    def _versioned(self, check: SshCall[tuple[int, int] | None]) -> None:
        if self._state is not MasterState.CONNECTING:
            return
        if check.error is not None:
            self._fail(check.error)
        else:
            self._launch(check.result)

    def _launch(self, version: tuple[int, int] | None) -> None:
        self.ssh_version = version
        can_ask = version is not None and version >= MIN_ASKPASS_VERSION
        self.control_path = str(runtime_dir() / f"cm-{secrets.token_hex(6)}")
        self._stderr = ""
        self._asked = []
        self._tag = self.prompts.register(self.name, self._asked.append) if can_ask else ""
        arguments = master_arguments(
            self.destination, self.options, self.control_path, version, can_ask=can_ask,
            connect_timeout_s=self.connect_timeout_s,
        )  # fmt: skip
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        for key, value in (self.prompts.environment(self._tag) if can_ask else {}).items():
            environment.insert(key, value)
        process.setProcessEnvironment(environment)
        process.setStandardInputFile(QProcess.nullDevice())
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(lambda code, status: self._exited(process, code, status))
        process.errorOccurred.connect(lambda error: self._process_error(process, error))
        process.started.connect(lambda: self.started_pids.append(int(process.processId())))
        self._process = process
        process.start(self.ssh_program, arguments)
        self._poll.start()

    def _check_socket(self) -> None:
        if self._checking or self._state is not MasterState.CONNECTING or not os.path.exists(self.control_path):
            return
        self._checking = True
        check = self._mux(["-O", "check"])
        check.finished.connect(lambda code, _out, _err: self._checked(code))
        check.start()

    def _checked(self, code: int) -> None:
        self._checking = False
        if code != 0 or self._state is not MasterState.CONNECTING:
            return
        self._poll.stop()
        self._usable = True
        pending = list(self._forwards.values())
        if not pending:
            self._become_ready()
            return
        remaining = [len(pending)]
        for forward in pending:  # after reconnect(): the same local ports again, then ready

            def restored(done: SshCall[Forward], old: Forward = forward) -> None:
                if not done.ok:
                    self._forwards.pop(old.spec(), None)
                    self.forward_failed.emit(old, done.error or "")
                remaining[0] -= 1
                if remaining[0] == 0:
                    self._become_ready()

            call: SshCall[Forward] = SshCall("forward")
            self._try_forward(call, forward, attempts=1)
            call.when_done(restored)

    def _become_ready(self) -> None:
        if self._usable and self._state is MasterState.CONNECTING:
            self._set_state(MasterState.READY)
            self.ready.emit()

    def _read_stderr(self) -> None:
        if self._process is not None:
            self._stderr += bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
            self._stderr = self._stderr[-STDERR_LIMIT:]

    def _process_error(self, process: QProcess, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and process is self._process:
            self._process = None
            self._fail(f"Cannot run {self.ssh_program!r}: {process.errorString()}. Install the OpenSSH client.")

    def _exited(self, process: QProcess, code: int, status: QProcess.ExitStatus) -> None:
        if process is not self._process:
            return
        self._read_stderr()
        self._usable = False
        self._poll.stop()
        self._kill_timer.stop()
        self._cleanup_socket()
        crashed = status == QProcess.ExitStatus.CrashExit
        state = self._state
        if state is MasterState.CONNECTING:
            asked = [AskedPrompt(p.info, p.outcome, p.accepted) for p in self._asked]
            reason = describe_failure(self.name, self._stderr, asked, None if crashed else code)
            if self.ssh_version is None or self.ssh_version < MIN_ASKPASS_VERSION:
                reason += "\n" + old_openssh_message(self.ssh_version)
            self._fail(reason)
        elif state is MasterState.READY:
            self._unregister()
            self.reason = describe_loss(self.name, self._stderr, code, crashed)
            self._set_state(MasterState.LOST)
            self.lost.emit(self.reason)
        elif state is MasterState.STOPPING:
            self._unregister()
            self._stop_commands()
            self._maybe_stopped()

    def _fail(self, reason: str) -> None:
        self._poll.stop()
        self._unregister()
        self.reason = reason
        self._set_state(MasterState.FAILED)
        self.failed.emit(reason)

    # -- stopping ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Close the connection (``-O exit``; killed if still there after 3 s) and every command
        through it; ``stopped`` follows once no process of this master is left."""
        if self._state in (MasterState.STOPPING, MasterState.STOPPED):
            return
        was_ready = self._usable
        self._usable = False
        self._set_state(MasterState.STOPPING)
        self._poll.stop()
        self._unregister()
        if self.pid is None:
            self._process = None
            self._stop_commands()
            self._maybe_stopped()
            return
        if was_ready:
            self._mux(["-O", "exit"]).start()
            self._kill_timer.start()
        else:
            self._kill_master()

    def _kill_master(self) -> None:
        if self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning:
            self._process.kill()

    def _stop_commands(self) -> None:
        for command in list(self._commands):
            command.kill("the connection was closed")

    def _maybe_stopped(self) -> None:
        master_gone = self._process is None or self._process.state() == QProcess.ProcessState.NotRunning
        if self._state is MasterState.STOPPING and master_gone and not self._commands:
            self._cleanup_socket()
            self._set_state(MasterState.STOPPED)
            QTimer.singleShot(0, self.stopped.emit)  # never before stop() has returned

    def _unregister(self) -> None:
        if self._tag:
            self.prompts.unregister(self._tag)
            self._tag = ""

    def _cleanup_socket(self) -> None:
        """A killed master leaves its control socket behind."""
        if self.control_path:
            try:
                os.unlink(self.control_path)
            except OSError:
                pass

    def _set_state(self, state: MasterState) -> None:
        if state is not self._state:
            self._state = state
            self.state_changed.emit(state)

    # -- through the master ------------------------------------------------------------------------
    def run(self, command: str, stdin: bytes = b"", *, timeout_s: float | None = None) -> RemoteCommand:
        """Run ``command`` (a remote shell command line) through the master; started at once.

        ``finished(exit_code, stdout, stderr)`` follows (exit code -1 when not connected)."""
        run = self._mux(["-T", "--", self.destination, command], stdin=stdin, timeout_s=timeout_s)
        if not self._usable:
            run.kill(f"not connected to {self.name}" + (f": {self.reason}" if self.reason else ""))
            return run
        return run.start()

    def run_script(self, script: str, *, timeout_s: float | None = None) -> RemoteCommand:
        """Run a POSIX ``sh`` script (fed through stdin: whatever the login shell, nothing of it is
        on a command line)."""
        return self.run("/bin/sh -s", script.encode("utf-8"), timeout_s=timeout_s)

    def forward(self, target: str, local: int | str | None = None) -> SshCall[Forward]:
        """Forward ``127.0.0.1:local`` (a free port if None, or a local unix socket path if a str)
        to ``target`` (``host:port`` or an absolute socket path, as seen from the remote machine)."""
        if isinstance(local, str):
            forward = Forward(target, local_socket=local)
        else:
            forward = Forward(target, local_port=local or 0)
        call: SshCall[Forward] = SshCall("forward")
        self._try_forward(call, forward, attempts=FORWARD_ATTEMPTS if local is None else 1)
        return call

    def cancel_forward(self, forward: Forward) -> SshCall[None]:
        call: SshCall[None] = SshCall("cancel a forward")
        self._forwards.pop(forward.spec(), None)
        if not self._usable:
            call.succeed(None)  # the forward went with the connection
            return call
        cancel = self._mux(["-O", "cancel", "-L", forward.spec()])

        def cancelled(code: int, _out: bytes, err: bytes) -> None:
            if code == 0:
                call.succeed(None)
            else:
                what = f"stop forwarding {forward.listen}"
                call.fail(describe_mux_failure(self.name, what, err.decode("utf-8", "replace"), code))

        cancel.finished.connect(cancelled)
        cancel.start()
        return call

    def _try_forward(self, call: SshCall[Forward], forward: Forward, attempts: int) -> None:
        if not self._usable:
            call.fail(f"Cannot forward to {forward.target}: not connected to {self.name}.")
            return
        fresh = forward.local_port == 0 and not forward.local_socket
        chosen = Forward(forward.target, local_port=free_local_port()) if fresh else forward
        request = self._mux(["-O", "forward", "-L", chosen.spec()])

        def answered(code: int, _out: bytes, err: bytes) -> None:
            if code == 0 and self._usable:
                self._forwards[chosen.spec()] = chosen
                call.succeed(chosen)
            elif attempts > 1 and self._usable:
                self._try_forward(call, forward, attempts - 1)
            else:
                what = f"forward {chosen.listen} to {chosen.target}"
                call.fail(describe_mux_failure(self.name, what, err.decode("utf-8", "replace"), code))

        request.finished.connect(answered)
        request.start()

    def _mux(self, request: list[str], *, stdin: bytes = b"", timeout_s: float | None = MUX_TIMEOUT_S) -> RemoteCommand:
        arguments = mux_arguments(self.control_path, self.destination, request)
        return self._command([self.ssh_program, *arguments], stdin=stdin, timeout_s=timeout_s)

    def _command(self, argv: list[str], *, stdin: bytes = b"", timeout_s: float | None = None) -> RemoteCommand:
        command = RemoteCommand(argv[0], argv[1:], stdin=stdin, timeout_s=timeout_s)
        self._commands.add(command)
        command.started.connect(self.started_pids.append)

        def finished(*_: object) -> None:
            self._commands.discard(command)
            self._maybe_stopped()

        command.finished.connect(finished)
        return command
