"""Reading the files Conch is given without ever hanging on them or failing with a traceback (Qt-free).

Every file Conch reads (``settings.json``, connection files, ``kernel.json``) goes through
:func:`read_text` or :func:`read_json`. They read regular files only: a FIFO, a device, a socket
or a folder is refused after an ``os.stat`` that opens nothing, and the file is then opened with
``O_NONBLOCK`` and checked again with ``fstat`` (in case it was swapped meanwhile), so a named
pipe with no writer never blocks and ``/dev/zero`` is never read. At most ``limit`` bytes are
read. Every problem becomes one exception, :class:`UnreadableFile`, whose message names the file,
says what is wrong and, where there is something to do, what.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Literal

Problem = Literal["missing", "not_regular", "too_big", "unreadable", "not_utf8", "not_json", "too_deep", "not_object"]

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the stat: open returns at once
    | getattr(os, "O_NOCTTY", 0)  # a terminal device never becomes our controlling terminal
    | getattr(os, "O_BINARY", 0)  # Windows: no newline translation
)
_CHUNK = 1 << 16


class UnreadableFile(ValueError):
    """A file that cannot be used: ``str()`` is the message for the user."""

    def __init__(self, path: Path | str, what: str, problem: Problem, reason: str) -> None:
        self.path = Path(path)
        self.what = what
        """What the file was read as ("settings file", "connection file", ...)."""
        self.problem: Problem = problem
        self.reason = reason
        """The message without the file's name: "is not valid JSON (...)"."""
        super().__init__(f"{what[:1].upper()}{what[1:]} {path} {reason}")


def describe_size(size: int) -> str:
    """``size`` bytes the way people read them: "512 bytes", "64 KiB", "50.0 MiB"."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_regular(path: Path | str, what: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise UnreadableFile(
            path, what, "not_regular",
            f"is {_kind(mode)}, not a regular file (Conch reads only regular files)",
        )


def _check_size(path: Path | str, what: str, size: int, limit: int, exact: bool = True) -> None:
    if size > limit:
        how_big = f"is {describe_size(size)}" if exact else f"is larger than {describe_size(limit)}"
        raise UnreadableFile(
            path, what, "too_big",
            f"{how_big}, more than a {what} can be (at most {describe_size(limit)}); is it the right file?",
        )


def _os_problem(path: Path | str, what: str, error: OSError) -> UnreadableFile:
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        return UnreadableFile(path, what, "missing", "does not exist")
    reason = f"cannot be read ({error.strerror or error})"
    if isinstance(error, PermissionError):
        reason += "; check its permissions"
    return UnreadableFile(path, what, "unreadable", reason)


def read_bytes(path: Path | str, limit: int, what: str) -> bytes:
    """The contents of the regular file ``path``, at most ``limit`` bytes, never blocking.

    Raises :class:`UnreadableFile` if it does not exist, is not a regular file, is bigger than
    ``limit`` or cannot be read.
    """
    try:
        mode = os.stat(path).st_mode  # opens nothing: a FIFO is never touched
    except OSError as error:
        raise _os_problem(path, what, error) from None
    except ValueError:  # a NUL character in the name
        raise UnreadableFile(path, what, "missing", "is not a possible file name") from None
    _check_regular(path, what, mode)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise _os_problem(path, what, error) from None
    try:
        info = os.fstat(fd)
        _check_regular(path, what, info.st_mode)
        _check_size(path, what, info.st_size, limit)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:  # st_size can lie (/proc) or the file can grow: read limit + 1 at most
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        _check_size(path, what, total, limit, exact=False)
        return b"".join(chunks)
    except OSError as error:
        raise _os_problem(path, what, error) from None
    finally:
        os.close(fd)


def read_text(path: Path | str, limit: int, what: str) -> str:
    """The UTF-8 text of the regular file ``path`` (a leading byte-order mark dropped), as
    :func:`read_bytes` reads it; text that is not UTF-8 raises :class:`UnreadableFile` naming the
    first bad byte and where it is."""
    data = read_bytes(path, limit, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        raise UnreadableFile(
            path, what, "not_utf8",
            f"is not UTF-8 text: byte 0x{data[offset]:02X} at offset {offset} (line {line}, column {column}) is "
            "not valid UTF-8 (Latin-1 or another legacy encoding?); save the file as UTF-8",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether JSON containers nest more than ``max_depth`` deep in ``value`` (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def read_json(path: Path | str, limit: int, what: str, max_depth: int = 32) -> dict[str, Any]:
    """The JSON object in the regular file ``path``, read as :func:`read_text` reads it.

    Raises :class:`UnreadableFile` also for text that is not JSON (with the line and column),
    containers nested more than ``max_depth`` deep (``json.loads`` itself would recurse until a
    RecursionError), and a top level that is not an object.
    """
    text = read_text(path, limit, what)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            path, what, "not_json", f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        data = None
        deep = True
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise UnreadableFile(path, what, "not_json", f"is not valid JSON ({error})") from None
    else:
        deep = isinstance(data, (dict, list)) and _depth_exceeds(data, max_depth)
    if deep:
        raise UnreadableFile(
            path, what, "too_deep",
            f"nests JSON more than {max_depth} levels deep, which no {what} does; is it the right file?",
        )
    if not isinstance(data, dict):
        holds = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(type(data), "a number")
        raise UnreadableFile(path, what, "not_object", f"does not hold a JSON object (it holds {holds})")
    return data
