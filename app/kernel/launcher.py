"""Launching local kernels from kernelspecs, without ever waiting on them (Qt-free).

``kernel.json`` files are read by Conch, not by jupyter_client: the :class:`KernelSpecManager`
used here builds its specs with :class:`CheckedKernelSpec`, which reads the file through
``conch.app.safe_read`` (regular files only, never blocking, at most :data:`KERNEL_JSON_LIMIT`
bytes) and checks every field jupyter_client would trip over later. Whatever is wrong with a
kernelspec comes out of this module as :class:`KernelSpecNotFound` or :class:`KernelLaunchError`
with a message naming the file, never as another exception.
"""
from __future__ import annotations

import ctypes
import json
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

from conch.app.safe_read import UnreadableFile, read_json

log = logging.getLogger(__name__)

DEBUG_ENV = "CONCH_DEBUG"
"""When set (non-empty), a launched kernel's stdout/stderr go to our terminal."""

KERNEL_JSON_LIMIT = 1 << 20
"""The biggest ``kernel.json`` read (1 MiB; they are a few hundred bytes)."""
KERNEL_JSON_DEPTH = 32
"""The deepest nesting a ``kernel.json`` may have (its ``metadata`` is free-form, but shallow)."""

# jupyter_client replaces these argv[0] values with sys.executable.
_PYTHON_NAMES = {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}
_STRING_FIELDS = ("display_name", "language", "kernel_protocol_version", "name", "mimetype")
_FIX = "Fix the file, or reinstall the kernel (`jupyter kernelspec list` shows where kernels are)."


class KernelSpecFileError(ValueError):
    """A ``kernel.json`` that cannot be used; the message names it, says what is wrong and what to do."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        """What is wrong, without the file's name: "is not valid JSON (...)"."""
        super().__init__(f"Kernelspec file {path} {reason}. {_FIX}")


def read_kernel_json(path: str) -> dict[str, Any]:
    """The contents of the kernelspec file ``path``, checked: ``argv`` a list of strings, ``env``
    an object of strings, ``interrupt_mode`` "signal" or "message" (any case), the names strings,
    ``metadata`` an object. An unknown ``interrupt_mode`` is refused, as jupyter_client refuses it:
    guessing would make Interrupt do the wrong thing to the kernel."""
    try:
        data = read_json(path, KERNEL_JSON_LIMIT, "kernelspec file", max_depth=KERNEL_JSON_DEPTH)
    except UnreadableFile as error:
        raise KernelSpecFileError(path, error.reason) from None
    problems = []
    argv = data.get("argv")
    if not isinstance(argv, list) or not all(isinstance(arg, str) for arg in argv):
        problems.append('"argv" must be a list of strings (the command that starts the kernel)')
    env = data.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(value, str) for value in env.values()):
        problems.append(f'"env" must be an object of "NAME": "value" strings, not {_json_type(env)}')
    mode = data.get("interrupt_mode", "signal")
    if not isinstance(mode, str) or mode.lower() not in ("signal", "message"):
        problems.append(f'"interrupt_mode" must be "signal" or "message", not {_json_repr(mode)}')
    problems += [f'"{key}" must be a string' for key in _STRING_FIELDS if not isinstance(data.get(key, ""), str)]
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        problems.append('"metadata" must be an object')
    elif not isinstance(metadata.get("kernel_provisioner", {}), dict):
        problems.append('"metadata": "kernel_provisioner" must be an object')
    if problems:
        raise KernelSpecFileError(path, f"cannot be used: {'; '.join(problems)}")
    return data


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "an object with other values"
    return {list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(type(value), "a number")


def _json_repr(value: object) -> str:
    """``value`` as it would appear in JSON, shortened."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


class CheckedKernelSpec(KernelSpec):
    """A kernelspec whose ``kernel.json`` is read by :func:`read_kernel_json`."""

    @classmethod
    def from_resource_dir(cls: type[KernelSpec], resource_dir: str) -> KernelSpec:
        path = os.path.join(resource_dir, "kernel.json")
        data = read_kernel_json(path)
        known = set(KernelSpec.class_trait_names()) - {"resource_dir"}
        try:
            return cls(resource_dir=resource_dir, **{key: value for key, value in data.items() if key in known})
        except Exception as error:  # noqa: BLE001 - a trait jupyter_client refuses: say where
            raise KernelSpecFileError(path, f"cannot be used: {error}") from None


def spec_manager() -> KernelSpecManager:
    """jupyter_client's kernelspec manager, reading ``kernel.json`` files through Conch."""
    return KernelSpecManager(kernel_spec_class=CheckedKernelSpec)


def kernelspecs(manager: KernelSpecManager | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The installed kernelspecs that can be used (name → display name, sorted by name), and
    those that cannot (name → why, naming the file). One broken kernelspec never hides the others."""
    specs = manager or spec_manager()
    good: dict[str, str] = {}
    broken: dict[str, str] = {}
    try:
        found = specs.find_kernel_specs()
    except Exception as error:  # noqa: BLE001 - an unreadable kernels folder hides nothing else
        log.warning("cannot list kernelspecs: %s", error)
        found = {}
    for name in sorted(found):
        try:
            spec = specs.get_kernel_spec(name)
        except NoSuchKernel:
            continue  # its provisioner is not installed: jupyter_client hides it too
        except KernelSpecFileError as error:
            broken[name] = f"{error.path} {error.reason}"
            continue
        except Exception as error:  # noqa: BLE001 - reported, the others still listed
            broken[name] = str(error)
            continue
        good[name] = str(spec.display_name or name)
    for name, path in _non_file_specs(specs).items():
        if name not in good and name not in broken:
            problem = _non_file_problem(path)
            broken[name] = f"{problem.path} {problem.reason}"
    return good, dict(sorted(broken.items()))


def installed_kernels() -> dict[str, str]:
    """Installed kernelspecs that can be used: name → display name, sorted by name (broken ones
    are left out; :func:`kernelspecs` names them)."""
    return kernelspecs()[0]


def _non_file_specs(specs: KernelSpecManager) -> dict[str, str]:
    """Kernelspec folders whose ``kernel.json`` exists but is no regular file (a FIFO, a device, a
    folder, a dangling link): jupyter_client skips them silently. Name → path; nothing is opened."""
    found: dict[str, str] = {}
    for folder in specs.kernel_dirs:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(folder, entry, "kernel.json")
            if os.path.lexists(path) and not os.path.isfile(path):
                found.setdefault(entry.lower(), path)
    return found


def _non_file_problem(path: str) -> KernelSpecFileError:
    try:
        read_kernel_json(path)  # refuses it after a stat, without opening it
    except KernelSpecFileError as error:
        return error
    return KernelSpecFileError(path, "could not be read")


class KernelSpecNotFound(LookupError):
    """No installed kernelspec has the requested name."""

    def __init__(self, name: str, available: dict[str, str], broken: dict[str, str] | None = None) -> None:
        self.name = name
        self.available = available
        self.broken = broken or {}
        if available:
            listed = ", ".join(f"{n} ({display})" for n, display in available.items())
            installed = f"Installed kernels: {listed}."
        else:
            installed = "No kernels are installed."
        if self.broken:
            installed += " Kernelspecs that cannot be used: " + "; ".join(
                f"{n} ({why})" for n, why in self.broken.items()
            ) + "."
        super().__init__(
            f"No kernel named {name!r}. {installed} Install one with e.g. "
            "`python -m ipykernel install --user`, or pass --kernel NAME."
        )


def load_kernelspec(name: str, manager: KernelSpecManager | None = None) -> KernelSpec:
    """The kernelspec ``name``, read and checked; raises :class:`KernelSpecNotFound` (with the
    installed and the broken ones) or :class:`KernelLaunchError` (naming the broken file)."""
    specs = manager or spec_manager()
    try:
        return specs.get_kernel_spec(name)
    except NoSuchKernel:
        pass
    except KernelSpecFileError as error:
        raise KernelLaunchError(f"Cannot start kernel {name!r}: {error}") from None
    except Exception as error:  # noqa: BLE001 - whatever jupyter_client raises, say which kernel
        raise KernelLaunchError(f"Cannot start kernel {name!r}: its kernelspec cannot be used ({error}).") from None
    path = _non_file_specs(specs).get(name.lower())
    if path is not None:
        raise KernelLaunchError(f"Cannot start kernel {name!r}: {_non_file_problem(path)}")
    raise KernelSpecNotFound(name, *kernelspecs(specs))


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
            self._spec = load_kernelspec(self.kernel_name)
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
        # In Jupyter's runtime folder, named as `jupyter console` names them: other tools (and
        # File ▸ Connect to Existing Kernel) can find a kernel Conch started.
        runtime = jupyter_runtime_dir()
        try:
            os.makedirs(runtime, mode=0o700, exist_ok=True)
        except OSError as error:
            raise KernelLaunchError(
                f"Cannot start kernel {self.kernel_name!r}: Jupyter's runtime folder {runtime} cannot be "
                f"created ({error.strerror or error}); set JUPYTER_RUNTIME_DIR to a writable folder."
            ) from None
        connection_file = os.path.join(runtime, f"kernel-{uuid.uuid4()}.json")
        try:
            manager = KernelManager(
                kernel_name=self.kernel_name, kernel_spec_manager=spec_manager(), connection_file=connection_file
            )
        except Exception as error:  # noqa: BLE001 - jupyter_client's, with the kernel named
            raise KernelLaunchError(f"Cannot start kernel {self.kernel_name!r}: {error}") from error
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
