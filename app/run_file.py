"""File ▸ Run File… and a ``.py`` dropped on the window: the ``%run`` line a kernel runs (Qt-free).

IPython reads a ``%run`` line twice before it opens the file: first ``var_expand`` (``$name``
and ``{expression}`` are replaced by values from the user's namespace), then ``shlex`` in
POSIX mode splits the arguments. :func:`quote_for_run` writes a path so that both passes give
the path back unchanged: every character that is not a letter, digit or one of ``/._-`` is
backslash-escaped (``shlex`` drops the backslash), a ``$`` is never directly followed by a
name character, and braces are doubled (``var_expand`` turns ``{{`` into ``{``).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

RUNNABLE_SUFFIXES = (".py", ".ipy")
"""What a drop may run (the Run File… dialog lets the user pick anything)."""

_SAFE = re.compile(r"[A-Za-z0-9/._-]")
_NAME_CHAR = re.compile(r"[\w.$]")  # what may follow ``$`` in IPython's ``$name`` expansion


class RunFileError(ValueError):
    """The file cannot be run in this kernel; the message says why, for the user."""


@dataclass(frozen=True)
class RunCommand:
    """What to execute for a file, and the absolute path it names."""

    code: str
    path: str


def is_runnable_name(path: str) -> bool:
    """Whether a dropped file's name says it is a Python or IPython script."""
    return path.lower().endswith(RUNNABLE_SUFFIXES)


def kernel_description(kernel_info: Mapping[str, object] | None) -> str:
    """A kernel as the user knows it: its implementation, else its language ("a python kernel")."""
    if not kernel_info:
        return "a kernel that has not said what it is yet"
    implementation = kernel_info.get("implementation")
    language_info = kernel_info.get("language_info")
    language = language_info.get("name") if isinstance(language_info, Mapping) else None
    name = implementation if isinstance(implementation, str) and implementation else language
    if not isinstance(name, str) or not name:
        return "a kernel that does not say what it is"
    if isinstance(language, str) and language and language != name:
        return f"{name} ({language})"
    return name


def is_ipython(kernel_info: Mapping[str, object] | None) -> bool:
    """Whether ``kernel_info`` comes from an IPython kernel (the only one with ``%run``)."""
    return bool(kernel_info) and kernel_info is not None and kernel_info.get("implementation") == "ipython"


def quote_for_run(path: str) -> str:
    """``path`` written so that IPython's ``%run`` reads it back unchanged (POSIX kernels).

    Raises :class:`RunFileError` for a path no ``%run`` line can hold (a line break, a
    control character, a trailing backslash, which IPython takes for a line continuation)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        raise RunFileError("Run File cannot run a file whose path holds a line break or control character.")
    if path.endswith("\\"):
        raise RunFileError("Run File cannot run a file whose path ends with a backslash.")
    pieces: list[str] = []
    after_dollar = False
    for char in path:
        if char in "{}":
            piece = "\\" + char * 2  # var_expand: {{ → {; shlex: \{ → {
        elif _SAFE.fullmatch(char) and not (after_dollar and _NAME_CHAR.fullmatch(char)):
            piece = char
        elif char.isalnum() and not after_dollar:
            piece = char  # letters beyond ASCII: neither expansion nor shlex touches them
        else:
            piece = "\\" + char
        pieces.append(piece)
        after_dollar = char == "$"
    return "".join(pieces)


def run_command(path: str, kernel_info: Mapping[str, object] | None) -> RunCommand:
    """The code that runs the file at ``path`` in the kernel that sent ``kernel_info``.

    Only IPython kernels have ``%run``; any other kernel raises :class:`RunFileError`
    saying which kernel it is. The path is made absolute first (so it never reads as an option)."""
    if not is_ipython(kernel_info):
        raise RunFileError(f"Run File needs an IPython kernel; this one is {kernel_description(kernel_info)}.")
    absolute = os.path.abspath(path)
    return RunCommand(f"%run {quote_for_run(absolute)}", absolute)


def unreadable_reason(path: str) -> str | None:
    """Why the file at ``path`` cannot be run (missing, a folder, unreadable), or None."""
    if not os.path.exists(path):
        return f"Not run: {path} does not exist."
    if not os.path.isfile(path):
        return f"Not run: {path} is not a file."
    if not os.access(path, os.R_OK):
        return f"Not run: {path} cannot be read (permission denied)."
    return None
