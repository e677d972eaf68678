"""Launching local kernels from kernelspecs, without ever waiting on them (Qt-free)."""
from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager
from jupyter_core.paths import jupyter_runtime_dir

log = logging.getLogger(__name__)

DEBUG_ENV = "CONCH_DEBUG"
"""When set (non-empty), a launched kernel's stdout/stderr go to our terminal."""

# jupyter_client replaces these argv[0] values with sys.executable.
_PYTHON_NAMES = {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}


def installed_kernels() -> dict[str, str]:
    """Installed kernelspecs: name → display name, sorted by name."""
    return _installed(KernelSpecManager())


def _installed(manager: KernelSpecManager) -> dict[str, str]:
    specs: dict[str, Any] = manager.get_all_specs()
    return {
        name: str(specs[name].get("spec", {}).get("display_name") or name) for name in sorted(specs)
    }


class KernelSpecNotFound(LookupError):
    """No installed kernelspec has the requested name."""

    def __init__(self, name: str, available: dict[str, str]) -> None:
        self.name = name
        self.available = available
        if available:
            listed = ", ".join(f"{n} ({display})" for n, display in available.items())
            installed = f"Installed kernels: {listed}."
        else:
            installed = "No kernels are installed."
        super().__init__(
            f"No kernel named {name!r}. {installed} Install one with e.g. "
            "`python -m ipykernel install --user`, or pass --kernel NAME."
        )


class KernelLaunchError(RuntimeError):
    """A kernelspec exists but its process could not be started."""


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_prctl: Any = None


def parent_death_preexec() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` that makes the kernel die with this process.

    It runs in the child between fork and exec: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` has the
    kernel SIGKILLed when the thread that forked it ends, which for the main thread is when this
    process ends in any way (quit, crash, SIGKILL). The setting survives exec (not into setuid or
    setgid programs, which kernels are not). If this process died between the fork and the
    prctl, the child has been adopted already and no signal will ever come, so it exits at once.

    None elsewhere (no such call on macOS, Windows or BSD), and when called off the main thread:
    a kernel must not die with a worker thread that launched it.
    """
    global _prctl
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    if _prctl is None:
        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            return None
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        prctl.restype = ctypes.c_int
        _prctl = prctl
    prctl, parent, kill = _prctl, os.getpid(), int(signal.SIGKILL)

    def die_with_parent() -> None:
        # In the forked child, before exec: as little as possible, nothing imported or locked.
        prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return die_with_parent


def _show_kernel_output() -> bool:
    return bool(os.environ.get(DEBUG_ENV)) or log.isEnabledFor(logging.DEBUG)


class LocalKernelProcess:
    """A kernel process launched on this machine from an installed kernelspec.

    :meth:`start` spawns the process and returns its connection info at once; it does
    not wait for the kernel to be ready. Every method is non-blocking: watching for
    the process to end is the caller's job (poll :meth:`is_alive` on a timer).
    """

    def __init__(self, kernel_name: str, *, cwd: str | None = None) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd
        self._spec: KernelSpec | None = None
        self._manager: KernelManager | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._pgid: int | None = None
        self._exit_code: int | None = None
        self._connection_file = ""
        self._cleaned = False

    # -- kernelspec ------------------------------------------------------------------

    def _load_spec(self) -> KernelSpec:
        if self._spec is None:
            specs = KernelSpecManager()
            try:
                self._spec = specs.get_kernel_spec(self.kernel_name)
            except NoSuchKernel:
                raise KernelSpecNotFound(self.kernel_name, _installed(specs)) from None
        return self._spec

    @property
    def spec_display_name(self) -> str:
        return str(self._load_spec().display_name or self.kernel_name)

    @property
    def interrupt_mode(self) -> str:
        """"signal" (the default) or "message", as the kernelspec says."""
        return str(self._load_spec().interrupt_mode or "signal")

    @property
    def language(self) -> str:
        return str(self._load_spec().language or "")

    def _check_executable(self, spec: KernelSpec) -> None:
        where = f"kernelspec {self.kernel_name!r} ({os.path.join(spec.resource_dir, 'kernel.json')})"
        if not spec.argv:
            raise KernelLaunchError(f"The {where} has an empty argv.")
        exe = str(spec.argv[0])
        if exe in _PYTHON_NAMES:
            return
        names = {"prefix": sys.prefix, "resource_dir": spec.resource_dir}
        exe = os.path.expanduser(re.sub(r"\{(\w+)\}", lambda m: names.get(m[1], m[0]), exe))
        if "{" in exe:
            return  # a template only jupyter_client knows how to fill in
        path = (spec.env or {}).get("PATH", os.environ.get("PATH"))
        if os.path.dirname(exe):
            found = os.path.isfile(exe) and os.access(exe, os.X_OK)
        else:
            found = shutil.which(exe, path=path) is not None
        if not found:
            raise KernelLaunchError(
                f"Cannot start kernel {self.kernel_name!r}: its executable {exe!r} does not exist "
                f"or is not executable (from the {where})."
            )

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        """Spawn the kernel and return its connection info (as in a connection file)."""
        if self._manager is not None:
            raise RuntimeError("this kernel process was already started")
        spec = self._load_spec()
        self._check_executable(spec)
        specs = KernelSpecManager()
        # In Jupyter's runtime folder, named as `jupyter console` names them: other tools (and
        # File ▸ Connect to Existing Kernel) can find a kernel Conch started.
        runtime = jupyter_runtime_dir()
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        connection_file = os.path.join(runtime, f"kernel-{uuid.uuid4()}.json")
        manager = KernelManager(kernel_name=self.kernel_name, kernel_spec_manager=specs, connection_file=connection_file)
        env = dict(os.environ)
        # Otherwise debugpy greets the user's first execution with a warning about
        # frozen modules on stderr (ipykernel forwards fd-level output to IOPub).
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        kwargs: dict[str, Any] = {"env": env}
        if not _show_kernel_output():
            kwargs.update(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.cwd is not None:
            kwargs["cwd"] = self.cwd
        # jupyter_client hands unknown keywords through launch_kernel to Popen.
        preexec = parent_death_preexec()
        if preexec is not None:
            kwargs["preexec_fn"] = preexec
        try:
            manager.start_kernel(**kwargs)
        except Exception as exc:
            _release(manager)
            raise KernelLaunchError(
                f"Cannot start kernel {self.kernel_name!r} ({spec.display_name}): {exc}"
            ) from exc
        self._manager = manager
        provisioner = manager.provisioner
        self._process = getattr(provisioner, "process", None)
        self._pgid = getattr(provisioner, "pgid", None)
        self._connection_file = str(manager.connection_file)
        info: dict[str, Any] = dict(manager.get_connection_info())
        for key, value in info.items():
            if isinstance(value, bytes):  # the file holds text; so does our dict
                info[key] = value.decode("ascii")
        log.info("started kernel %s (pid %s)", self.kernel_name, self.pid)
        return info

    @property
    def connection_file(self) -> str:
        return self._connection_file

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def is_alive(self) -> bool:
        """Whether the process still runs; reaps it (without waiting) once it has exited."""
        if self._process is None:
            if self._manager is None:
                return False
            return bool(self._manager.is_alive())  # a provisioner without a Popen
        if self._exit_code is None:
            code = self._process.poll()
            if code is None:
                return True
            self._exit_code = code
        return False

    @property
    def exit_code(self) -> int | None:
        """The exit status once the process has ended (negative: killed by that signal)."""
        self.is_alive()
        return self._exit_code

    def interrupt(self) -> None:
        """Interrupt as the kernelspec says: SIGINT, or an interrupt_request for mode "message"."""
        if self._manager is None:
            raise RuntimeError("kernel not started")
        if self.is_alive():
            self._manager.interrupt_kernel()

    def kill(self) -> None:
        """SIGKILL the kernel's process group; returns at once (poll is_alive to reap)."""
        if self._manager is None or not self.is_alive():
            return
        if self._process is None:
            self._manager.signal_kernel(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            return
        if hasattr(os, "killpg") and self._pgid and self._pgid != os.getpgrp():
            try:
                os.killpg(self._pgid, signal.SIGKILL)
                return
            except ProcessLookupError:
                return
            except OSError:
                pass  # fall back to the process alone
        try:
            self._process.kill()
        except ProcessLookupError:
            pass

    def cleanup(self) -> None:
        """Remove the connection file and close the manager's sockets. Idempotent."""
        if self._manager is not None and not self._cleaned:
            self._cleaned = True
            _release(self._manager)


def _release(manager: KernelManager) -> None:
    # jupyter_client gives its control socket a 100 ms linger; nothing we could
    # still have queued there is worth blocking the GUI thread for.
    control = getattr(manager, "_control_socket", None)
    if control is not None:
        control.linger = 0
    try:
        manager.cleanup_resources()
    except Exception:
        log.exception("cleaning up after kernel %s failed", manager.kernel_name)
